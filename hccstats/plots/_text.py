"""Text that goes into figures (legends, annotations), by the manuscript rules of
:mod:`hccstats.formatting` (the one place where numbers are rounded for display)."""

from __future__ import annotations

from ..formatting import fmt_est_ci, fmt_num, fmt_or_ci, fmt_p, fmt_p_text

__all__ = ["auc_legend", "format_p", "format_p_text", "format_or"]


def auc_legend(
    name: str, auc: float, low: float | None = None, high: float | None = None, digits: int = 3
) -> str:
    """Legend text "DL nomogram: AUC 0.949 (0.919–0.980)" (the CI part only when given).

    >>> auc_legend("DL nomogram", 0.9493, 0.9191, 0.9798)
    'DL nomogram: AUC 0.949 (0.919–0.980)'
    """
    if low is None or high is None:
        return f"{name}: AUC {fmt_num(auc, digits)}"
    return f"{name}: AUC {fmt_est_ci(auc, low, high, digits)}"


def format_p(p: float, digits: int = 3) -> str:
    """p-value text for a figure (:func:`hccstats.formatting.fmt_p`).

    >>> format_p(0.00002), format_p(0.0312)
    ('< 0.001', '0.031')
    """
    return fmt_p(p, digits=digits)


def format_p_text(p: float, digits: int = 3) -> str:
    """p-value in running text, "p < 0.001" or "p = 0.031" (:func:`hccstats.formatting.fmt_p_text`).

    >>> format_p_text(0.00002), format_p_text(0.0312)
    ('p < 0.001', 'p = 0.031')
    """
    return fmt_p_text(p, digits=digits)


def format_or(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """Odds-ratio text "2.31 (1.20–4.45)" (:func:`hccstats.formatting.fmt_or_ci`).

    >>> format_or(2.314, 1.2, 4.449)
    '2.31 (1.20–4.45)'
    """
    return fmt_or_ci(estimate, low, high, digits)
