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

from .._jit import HAVE_NUMBA, njit
from ._roc import Roc

__all__ = [
    "Placements",
    "placements",
    "delong_var",
    "delong_cov",
    "delong_paired",
    "delong_unpaired",
    "centred_sums",
]


@dataclass(frozen=True)
class Placements:
    """DeLong placements: ``cases`` (m,) and ``controls`` (n,) in patient order; ``theta`` = AUC."""

    theta: float
    cases: np.ndarray
    controls: np.ndarray


def _group_placements(r: Roc) -> tuple[np.ndarray, np.ndarray]:
    """Placement of a case and of a control at each distinct score (ascending oriented score).

    A case in group g outranks the controls below g and ties with those in g:
    ``(tn[g] + tn[g+1]) / 2n``, the mean of two adjacent specificities of the curve; a control
    in g is outranked by ``(tp[g] + tp[g+1]) / 2m`` cases, two adjacent sensitivities.
    """
    sp, se = r.specificities, r.sensitivities
    return (sp[:-1] + sp[1:]) / 2.0, (se[:-1] + se[1:]) / 2.0


def placements(r: Roc) -> Placements:
    """The structural components of the AUC (``pROC:::delongPlacements``), linear time."""
    case_place, control_place = _group_placements(r)
    return Placements(
        theta=r.auc,
        cases=case_place[r.groups.case_group],
        controls=control_place[r.groups.control_group],
    )


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum's own loop: BLAS ddot brings nothing for one dot product and its threads
    # stall on a busy machine
    return float(np.einsum("i,i->", a, b))


def _centred(r: Roc) -> tuple[np.ndarray, np.ndarray]:
    """Placements minus the AUC, per patient (cases, controls), computed per group first."""
    case_place, control_place = _group_placements(r)
    case_place -= r.auc
    control_place -= r.auc
    return case_place[r.groups.case_group], control_place[r.groups.control_group]


def centred_sums(r1: Roc, r2: Roc, compiled: bool = HAVE_NUMBA) -> np.ndarray:
    """Sums of products of the centred placements (placement minus AUC) of two curves on the
    same patients: ``[[cases 1·1, 1·2, 2·2], [controls 1·1, 1·2, 2·2]]``.

    With numba one compiled pass per class reads each patient's two groups and forms the
    placements on the fly; without it the placements are gathered per patient and multiplied
    with numpy. The sums agree to rounding.
    """
    out = np.empty((2, 3))
    if compiled:
        g1, g2 = r1.groups, r2.groups
        _product_sums(
            g1.case_group, g2.case_group, r1.specificities, r2.specificities, r1.auc, r2.auc, out[0]
        )
        _product_sums(
            g1.control_group,
            g2.control_group,
            r1.sensitivities,
            r2.sensitivities,
            r1.auc,
            r2.auc,
            out[1],
        )
        return out
    dx1, dy1 = _centred(r1)
    dx2, dy2 = (dx1, dy1) if r2 is r1 else _centred(r2)
    out[0] = _dot(dx1, dx1), _dot(dx1, dx2), _dot(dx2, dx2)
    out[1] = _dot(dy1, dy1), _dot(dy1, dy2), _dot(dy2, dy2)
    return out


_BLOCK = 1024  # patients summed in a block before the block joins the total (rounding error)


@njit
def _product_sums(g1, g2, rate1, rate2, auc1, auc2, out):
    """``out = [sum u1^2, sum u1 u2, sum u2^2]`` where ``u = (rate[g] + rate[g + 1]) / 2 - auc``
    is a patient's centred placement from two adjacent points of its curve."""
    t11 = 0.0
    t12 = 0.0
    t22 = 0.0
    n = g1.size
    for start in range(0, n, _BLOCK):
        b11 = 0.0
        b12 = 0.0
        b22 = 0.0
        for i in range(start, min(start + _BLOCK, n)):
            u = (rate1[g1[i]] + rate1[g1[i] + 1]) / 2.0 - auc1
            v = (rate2[g2[i]] + rate2[g2[i] + 1]) / 2.0 - auc2
            b11 += u * u
            b12 += u * v
            b22 += v * v
        t11 += b11
        t12 += b12
        t22 += b22
    out[0] = t11
    out[1] = t12
    out[2] = t22


def _var_cov(sums: np.ndarray, m: int, n: int) -> np.ndarray:
    """DeLong's ``[var1, cov, var2]`` from :func:`centred_sums`."""
    return sums[0] / (m - 1) / m + sums[1] / (n - 1) / n


def delong_var(r: Roc, p: Placements | None = None) -> float:
    """DeLong's variance of the AUC (``pROC::var(roc, method = "delong")``); nan if a class has one patient."""
    m, n = r.n_cases, r.n_controls
    if m <= 1 or n <= 1:
        return float("nan")
    if p is None:
        return float(_var_cov(centred_sums(r, r), m, n)[0])
    dx, dy = p.cases - p.theta, p.controls - p.theta
    sx = _dot(dx, dx) / (m - 1)
    sy = _dot(dy, dy) / (n - 1)
    return float(sx / m + sy / n)


def delong_cov(
    r1: Roc, r2: Roc, p1: Placements | None = None, p2: Placements | None = None
) -> float:
    """DeLong's covariance of two paired AUCs (same patients, same outcome; ``pROC::cov``)."""
    m, n = r1.n_cases, r1.n_controls
    if m <= 1 or n <= 1:
        return float("nan")
    if p1 is None and p2 is None:
        return float(_var_cov(centred_sums(r1, r2), m, n)[1])
    dx1, dy1 = _centred(r1) if p1 is None else (p1.cases - p1.theta, p1.controls - p1.theta)
    dx2, dy2 = _centred(r2) if p2 is None else (p2.cases - p2.theta, p2.controls - p2.theta)
    return float(_dot(dx1, dx2) / (m - 1) / m + _dot(dy1, dy2) / (n - 1) / n)


def delong_paired(r1: Roc, r2: Roc) -> tuple[float, float, float, float, float]:
    """``(difference, se of the difference, var1, var2, cov)`` for two paired curves."""
    m, n = r1.n_cases, r1.n_controls
    if m <= 1 or n <= 1:
        nan = float("nan")
        return r1.auc - r2.auc, nan, nan, nan, nan
    v1, c, v2 = (float(v) for v in _var_cov(centred_sums(r1, r2), m, n))
    var_d = v1 + v2 - 2.0 * c
    se = float(np.sqrt(max(var_d, 0.0))) if np.isfinite(var_d) else float("nan")
    return r1.auc - r2.auc, se, v1, v2, c


def delong_unpaired(r1: Roc, r2: Roc) -> tuple[float, float, float, float, float]:
    """``(difference, se of the difference, df, var1, var2)`` for two independent curves.

    The degrees of freedom are pROC's Welch–Satterthwaite-type
    ``(V1 + V2)^2 / (V1^2 / (N1 - 1) + V2^2 / (N2 - 1))`` with ``N`` the patients per curve.
    """
    v1, v2 = delong_var(r1), delong_var(r2)
    total = np.float64(v1) + v2  # numpy floats: 0/0 is nan (pROC's NaN), not ZeroDivisionError
    with np.errstate(invalid="ignore", divide="ignore"):
        df = total**2 / (v1**2 / (r1.n - 1) + v2**2 / (r2.n - 1))
    return r1.auc - r2.auc, float(np.sqrt(total)), float(df), v1, v2
