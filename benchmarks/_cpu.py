"""CPU seconds of a benchmark: this process, its worker processes and its ended children."""

from __future__ import annotations

import psutil


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, of its ended (waited-for) child processes
    (the report's figure writers), and of its live child processes (joblib's workers stay
    alive between calls, so their running totals are read here)."""
    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total
