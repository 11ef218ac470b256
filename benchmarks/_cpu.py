"""CPU seconds of a benchmark: this process and its worker processes."""

from __future__ import annotations

import psutil


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its live child processes (joblib's
    workers stay alive between calls, so their running totals are read here)."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total
