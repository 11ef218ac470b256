"""Plain-text tables for the ``__repr__`` of the logistic results (R's print, unrounded data)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["print_table"]


def _cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return (
            f"{float(value):.{digits}g}"
            if abs(value) < 1e-3 and value != 0
            else (f"{float(value):.{digits}f}")
        )
    return str(value)


def _p_cell(value, digits: int) -> str:
    if value is None or not np.isfinite(value):
        return ""
    return "<0." + "0" * (digits - 1) + "1" if value < 10.0**-digits else f"{value:.{digits}f}"


def print_table(frame: pd.DataFrame, columns: Mapping[str, str], digits: int = 4) -> str:
    """``frame``'s ``columns`` (data name -> header) as aligned text, numbers to ``digits``."""
    if frame.empty:
        return "(none)"
    shown = {}
    for name, head in columns.items():
        if head.startswith("Pr("):  # p values as rms prints them: "<0.0001" below 1e-4
            cells = [_p_cell(v, digits) for v in frame[name]]
        else:
            cells = [_cell(v, digits) for v in frame[name]]
        if not pd.api.types.is_numeric_dtype(frame[name]):  # text left-aligned, as R prints names
            width = max(len(head), *(len(c) for c in cells))
            cells, head = [c.ljust(width) for c in cells], head.ljust(width)
        shown[head] = cells
    return pd.DataFrame(shown).to_string(index=False)
