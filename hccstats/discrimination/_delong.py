"""DeLong's variance and covariance of AUCs, by Sun & Xu's (2014) fast algorithm.

The placement of a case is the share of controls it outranks (ties count 1/2); the
placement of a control is the share of cases that outrank it. Sun & Xu compute them
from mid-ranks; here they come from the counts of cases and controls at each distinct
score (one sort, done once when the ROC curve is built), so each curve costs O(n log n)
once and O(n) per variance or covariance, with memory linear in n.

References: DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837–845; Sun & Xu
(2014), IEEE Signal Processing Letters 21:1389–1393. R equivalents: ``pROC::var``,
``pROC::cov``, ``pROC:::delongPlacements``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._roc import Roc

__all__ = ["Placements", "placements", "delong_var", "delong_cov", "delong_paired", "delong_unpaired"]


@dataclass(frozen=True)
class Placements:
    """DeLong placements: ``cases`` (m,) and ``controls`` (n,) in patient order; ``theta`` = AUC."""

    theta: float
    cases: np.ndarray
    controls: np.ndarray


def placements(r: Roc) -> Placements:
    """The structural components of the AUC (``pROC:::delongPlacements``), linear time."""
    case_counts = r._case_counts.astype(np.float64)
    control_counts = r._control_counts.astype(np.float64)
    controls_below = np.cumsum(control_counts) - control_counts
    cases_above = r.n_cases - np.cumsum(case_counts)
    case_place = (controls_below + 0.5 * control_counts) / r.n_controls  # per group
    control_place = (cases_above + 0.5 * case_counts) / r.n_cases  # per group
    is_case = r.y_true == 1
    x = case_place[r._group[is_case]]
    y = control_place[r._group[~is_case]]
    return Placements(theta=r.auc, cases=x, controls=y)


def _components(p: Placements) -> tuple[np.ndarray, np.ndarray]:
    return p.cases - p.theta, p.controls - p.theta


def delong_var(r: Roc, p: Placements | None = None) -> float:
    """DeLong's variance of the AUC (``pROC::var(roc, method = "delong")``); nan if a class has one patient."""
    m, n = r.n_cases, r.n_controls
    if m <= 1 or n <= 1:
        return float("nan")
    dx, dy = _components(p if p is not None else placements(r))
    sx = np.dot(dx, dx) / (m - 1)
    sy = np.dot(dy, dy) / (n - 1)
    return float(sx / m + sy / n)


def delong_cov(r1: Roc, r2: Roc, p1: Placements | None = None, p2: Placements | None = None) -> float:
    """DeLong's covariance of two paired AUCs (same patients, same outcome; ``pROC::cov``)."""
    m, n = r1.n_cases, r1.n_controls
    if m <= 1 or n <= 1:
        return float("nan")
    dx1, dy1 = _components(p1 if p1 is not None else placements(r1))
    dx2, dy2 = _components(p2 if p2 is not None else placements(r2))
    return float(np.dot(dx1, dx2) / (m - 1) / m + np.dot(dy1, dy2) / (n - 1) / n)


def delong_paired(r1: Roc, r2: Roc) -> tuple[float, float, float, float, float]:
    """``(difference, se of the difference, var1, var2, cov)`` for two paired curves."""
    p1, p2 = placements(r1), placements(r2)
    v1, v2 = delong_var(r1, p1), delong_var(r2, p2)
    c = delong_cov(r1, r2, p1, p2)
    var_d = v1 + v2 - 2.0 * c
    se = float(np.sqrt(max(var_d, 0.0))) if np.isfinite(var_d) else float("nan")
    return p1.theta - p2.theta, se, v1, v2, c


def delong_unpaired(r1: Roc, r2: Roc) -> tuple[float, float, float, float, float]:
    """``(difference, se of the difference, df, var1, var2)`` for two independent curves.

    The degrees of freedom are pROC's Welch–Satterthwaite-type
    ``(V1 + V2)^2 / (V1^2 / (N1 - 1) + V2^2 / (N2 - 1))`` with ``N`` the patients per curve.
    """
    v1, v2 = delong_var(r1), delong_var(r2)
    total = v1 + v2
    with np.errstate(invalid="ignore", divide="ignore"):
        df = total**2 / (v1**2 / (r1.n - 1) + v2**2 / (r2.n - 1))
    return r1.auc - r2.auc, float(np.sqrt(total)), float(df), v1, v2
