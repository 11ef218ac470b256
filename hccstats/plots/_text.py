"""Text that goes into figures (legends, annotations). Manuscript tables are formatted in reports/."""

from __future__ import annotations

import math

__all__ = ["auc_legend", "format_p", "format_or"]

_DASH = "\u2013"  # en dash, as journals print ranges


def _num(x: float, digits: int) -> str:
    return "NA" if x is None or not math.isfinite(float(x)) else f"{float(x):.{digits}f}"


def auc_legend(
    name: str, auc: float, low: float | None = None, high: float | None = None, digits: int = 3
) -> str:
    """Legend text "DL nomogram: AUC 0.949 (0.919–0.980)" (the CI part only when given).

    >>> auc_legend("DL nomogram", 0.9493, 0.9191, 0.9798)
    'DL nomogram: AUC 0.949 (0.919–0.980)'
    """
    text = f"{name}: AUC {_num(auc, digits)}"
    if low is not None and high is not None:
        text += f" ({_num(low, digits)}{_DASH}{_num(high, digits)})"
    return text


def format_p(p: float, digits: int = 3) -> str:
    """p-value text for a figure: "<0.001" below 10**-digits, else rounded.

    >>> format_p(0.00002), format_p(0.0312)
    ('<0.001', '0.031')
    """
    if p is None or not math.isfinite(float(p)):
        return "NA"
    floor = 10.0 ** (-digits)
    return f"<{floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"


def format_or(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """Odds-ratio text "2.31 (1.20–4.45)".

    >>> format_or(2.314, 1.2, 4.449)
    '2.31 (1.20–4.45)'
    """
    return f"{_num(estimate, digits)} ({_num(low, digits)}{_DASH}{_num(high, digits)})"
