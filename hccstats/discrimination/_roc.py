"""The empirical ROC curve, as ``pROC::roc`` builds it.

Everything is computed from one sort of the score: the distinct scores (groups) with the
number of cases and controls in each. Thresholds, sensitivities and specificities, the
Mann–Whitney AUC (mid-ranks) and the DeLong placements all follow from these group counts
in linear time.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import HccstatsWarning, InputError
from .._jit import HAVE_NUMBA, njit
from .._validation import as_binary, as_finite, check_same_length, describe_values
from ._groups import ScoreGroups, score_groups

__all__ = ["roc", "Roc", "DirectionWarning", "ConstantScoreWarning", "curve_points"]

DIRECTIONS = ("auto", "<", ">")


class DirectionWarning(HccstatsWarning):
    """The ROC direction was chosen automatically, or two curves have different directions."""


class ConstantScoreWarning(HccstatsWarning):
    """The score takes one value for every patient: the ROC curve is the diagonal (AUC 0.5)."""


@dataclass(frozen=True, repr=False, eq=False)
class Roc:
    """An empirical ROC curve (``pROC::roc``'s object).

    Attributes
    ----------
    sensitivities, specificities, thresholds : numpy.ndarray
        In pROC's order: specificities increasing, sensitivities decreasing. Thresholds
        increase for ``direction="<"`` and decrease for ``">"`` (as in pROC); the first and
        last are ``-inf``/``inf``, the others midpoints between adjacent distinct scores.
    auc : float
        Area under the curve (Mann–Whitney statistic with mid-ranks for ties).
    direction : str
        ``"<"``: a patient is called a case when ``score >= threshold`` (controls have lower
        scores); ``">"``: when ``score <= threshold``.
    n_controls, n_cases : int
    levels : tuple
        ``(control level, case level)`` of ``y_true``.
    y_true : numpy.ndarray
        0/1 (1 = case), patients in the order given.
    score : numpy.ndarray
        The score (float64), patients in the order given.
    groups : ScoreGroups
        The patients grouped by distinct score (used by DeLong, bootstrap and cut-offs).
    """

    sensitivities: np.ndarray
    specificities: np.ndarray
    thresholds: np.ndarray
    auc: float
    direction: str
    n_controls: int
    n_cases: int
    levels: tuple
    y_true: np.ndarray
    score: np.ndarray
    groups: ScoreGroups = field(repr=False)

    @property
    def controls(self) -> np.ndarray:
        """Scores of the controls, in patient order (pROC's ``$controls``)."""
        return self.score[self.y_true == 0]

    @property
    def cases(self) -> np.ndarray:
        """Scores of the cases, in patient order (pROC's ``$cases``)."""
        return self.score[self.y_true == 1]

    @property
    def n(self) -> int:
        return self.n_controls + self.n_cases

    def to_frame(self) -> pd.DataFrame:
        """The curve as a DataFrame: threshold, sensitivity, specificity (pROC's ``coords(roc, "all")``)."""
        return pd.DataFrame(
            {
                "threshold": self.thresholds,
                "sensitivity": self.sensitivities,
                "specificity": self.specificities,
            }
        )

    def __repr__(self) -> str:
        ctrl, case = self.levels
        return (
            "Receiver operating characteristic curve\n\n"
            f"Data: score in {self.n_controls} controls (y_true {ctrl}) {self.direction} "
            f"{self.n_cases} cases (y_true {case}).\n"
            f"Area under the curve: {self.auc:.4f}"
        )


def _as_score(score: Any) -> np.ndarray:
    """The score as float64; an ordered categorical becomes numeric as pROC does."""
    if isinstance(score, (pd.Series, pd.Categorical)) and isinstance(
        getattr(score, "dtype", None), pd.CategoricalDtype
    ):
        cat = pd.Categorical(score)
        if not cat.ordered:
            raise InputError(
                "score: expected numbers or an ordered categorical, got an unordered categorical"
            )
        if (cat.codes < 0).any():
            raise InputError(f"score: {(cat.codes < 0).sum()} missing value(s)")
        try:
            return np.asarray(cat.categories.astype(np.float64))[cat.codes]
        except (TypeError, ValueError):
            warnings.warn(
                "score: ordered categorical converted to its level codes 1..k; thresholds are codes",
                HccstatsWarning,
                stacklevel=3,
            )
            return cat.codes.astype(np.float64) + 1.0
    return as_finite(score, "score")


def _as_response(y_true: Any, levels: Sequence[Any] | None) -> tuple[np.ndarray, tuple]:
    if levels is None:
        arr = np.asarray(y_true)
        if arr.ndim == 1 and arr.size and arr.dtype.kind in "biu":
            # fast path (large numeric outcomes): two distinct values, the larger is the case
            low, high = arr.min(), arr.max()
            y = arr == high
            if low != high and np.count_nonzero(y) + np.count_nonzero(arr == low) == arr.size:
                return y.astype(np.int64), (low.item(), high.item())
        y = as_binary(arr, "y_true")
        labels = np.unique(arr)
        return y, (
            labels[0].item() if hasattr(labels[0], "item") else labels[0],
            labels[1].item() if hasattr(labels[1], "item") else labels[1],
        )
    levels = tuple(levels)
    if len(levels) != 2 or levels[0] == levels[1]:
        raise InputError(f"levels: expected two distinct levels (control, case), got {levels!r}")
    arr = np.asarray(y_true, dtype=object).ravel()
    outside = ~np.isin(arr, np.asarray(levels, dtype=object))
    if outside.any():
        raise InputError(
            f"y_true: {int(outside.sum())} value(s) not among levels {levels!r}: "
            f"{describe_values(arr[outside])}"
        )
    y = (arr == levels[1]).astype(np.int64)
    if y.min() == y.max():
        raise InputError(
            f"y_true: only one class present ({describe_values(arr)}); both levels {levels!r} are needed"
        )
    return y, levels


def thresholds_from_values(
    values: np.ndarray, direction: str, compiled: bool = HAVE_NUMBA
) -> np.ndarray:
    """pROC's thresholds for distinct ascending ``values`` (``roc.utils.thresholds``).

    Midpoints between adjacent values with ``-inf`` and ``inf`` at the ends, in increasing
    order. Where a midpoint rounds onto one of its neighbours (adjacent floating-point
    numbers), it is moved onto the neighbour that keeps the classification right for
    ``direction``, as pROC does.
    """
    if compiled:
        return _thresholds_loop(np.ascontiguousarray(values, dtype=np.float64), direction == "<")
    thr = np.empty(values.size + 1)
    thr[0], thr[-1] = -np.inf, np.inf
    inner = thr[1:-1]  # between values[k-1] and values[k]
    with np.errstate(over="ignore"):
        np.add(values[:-1], values[1:], out=inner)
        inner /= 2.0
    big = np.flatnonzero(np.abs(inner) > 1e100)  # (a + b) / 2 could overflow: a / 2 + b / 2
    inner[big] = values[:-1][big] / 2.0 + values[1:][big] / 2.0
    if direction == "<":
        fix = np.flatnonzero(inner == values[:-1])
        inner[fix] = values[1:][fix]
    else:
        fix = np.flatnonzero(inner == values[1:])
        inner[fix] = values[:-1][fix]
    return thr


@njit
def _thresholds_loop(values, less):
    """:func:`thresholds_from_values` in one compiled pass (the same arithmetic)."""
    k = values.size
    thr = np.empty(k + 1)
    thr[0] = -np.inf
    thr[k] = np.inf
    for i in range(k - 1):
        a = values[i]
        b = values[i + 1]
        t = (a + b) / 2.0
        if abs(t) > 1e100:
            t = a / 2.0 + b / 2.0
        if less and t == a:
            t = b
        elif not less and t == b:
            t = a
        thr[i + 1] = t
    return thr


def curve_points(
    groups: ScoreGroups, n_cases: int, n_controls: int, compiled: bool = HAVE_NUMBA
) -> tuple[np.ndarray, np.ndarray, float]:
    """``(sensitivities, specificities, auc)`` of the curve over the score groups, pROC's order.

    Point k calls "case" the patients with oriented score >= ``values[k]`` (k = 0..K-1), and
    point K calls nobody a case. The AUC is the Mann–Whitney statistic (ties count 1/2); with
    numba its numerator is summed in integers (exact), without it as a float dot product of
    half-integers (exact below 2**53).
    """
    case_counts, control_counts = groups.case_counts, groups.control_counts
    if compiled and n_cases * n_controls < 2**61:  # the integer numerator cannot overflow
        k = case_counts.size
        sens, spec = np.empty(k + 1), np.empty(k + 1)
        twice = _curve_loop(case_counts, control_counts, n_cases, n_controls, sens, spec)
        return sens, spec, float(twice) / 2.0 / n_cases / n_controls
    tp = np.concatenate((np.cumsum(case_counts[::-1])[::-1], [0]))
    tn = np.concatenate(([0], np.cumsum(control_counts)))
    controls_below = tn[:-1]
    auc = float(np.dot(case_counts, controls_below + 0.5 * control_counts)) / n_cases / n_controls
    return tp / n_cases, tn / n_controls, auc


@njit
def _curve_loop(case_counts, control_counts, n_cases, n_controls, sens, spec):
    """Fill ``sens`` and ``spec``; return twice the Mann–Whitney numerator (an integer)."""
    k = case_counts.size
    tn = 0
    twice = 0
    spec[0] = 0.0
    for g in range(k):
        c = control_counts[g]
        twice += case_counts[g] * (2 * tn + c)
        tn += c
        spec[g + 1] = tn / n_controls
    tp = 0
    sens[k] = 0.0
    for g in range(k - 1, -1, -1):
        tp += case_counts[g]
        sens[g] = tp / n_cases
    return twice


def roc(
    y_true: Any,
    score: Any,
    direction: str = "auto",
    levels: Sequence[Any] | None = None,
) -> Roc:
    """Build an empirical ROC curve, as ``pROC::roc(response, predictor)``.

    Parameters
    ----------
    y_true : array-like
        Outcome with two values. Without ``levels`` the smaller sorted value is the
        control and the larger the case (0/1, False/True, as R's ``levels(factor(y))``).
    score : array-like of float
        Predicted risk or any score (an ordered categorical becomes numeric, as in pROC).
    direction : {"auto", "<", ">"}
        ``"<"``: controls have lower scores (case if ``score >= threshold``). ``"auto"`` picks
        ``"<"`` when ``median(controls) <= median(cases)`` and ``">"`` otherwise (as pROC),
        with a :class:`DirectionWarning` naming the choice; pass it explicitly to silence.
    levels : (control, case), optional
        pROC's ``levels``: which value of ``y_true`` is the control and which the case.

    Returns
    -------
    Roc

    Notes
    -----
    R equivalent: ``pROC::roc(response, predictor, levels = c(control, case), direction = ...)``.
    The AUC is the Mann–Whitney statistic (ties count 1/2), equal to pROC's trapezoidal AUC.
    Unlike pROC, missing or infinite scores raise :class:`~hccstats.InputError` (pROC drops
    NAs silently and returns NaN for infinite values).

    Examples
    --------
    >>> import hccstats as hs
    >>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
    >>> round(r.auc, 4)
    0.8889
    """
    if direction not in DIRECTIONS:
        raise InputError(f"direction: expected one of {DIRECTIONS}, got {direction!r}")
    y, levels = _as_response(y_true, levels)
    s = _as_score(score)
    check_same_length(y_true=y, score=s)
    n_cases = int(y.sum())
    n_controls = int(y.size - n_cases)
    if direction == "auto":
        med_ctrl = float(np.median(s[y == 0]))
        med_case = float(np.median(s[y == 1]))
        direction = "<" if med_ctrl <= med_case else ">"
        relation = "<=" if direction == "<" else ">"
        warnings.warn(
            f"roc: direction='auto' chose '{direction}' (median score of controls "
            f"{med_ctrl:.6g} {relation} median of cases {med_case:.6g}); "
            f"pass direction='{direction}' to silence this warning",
            DirectionWarning,
            stacklevel=2,
        )
    if s.min() == s.max():
        warnings.warn(
            f"score: constant ({s[0]:.6g}) for all {s.size} patients; the ROC curve is the "
            "diagonal and the AUC is 0.5",
            ConstantScoreWarning,
            stacklevel=2,
        )
    oriented = s if direction == "<" else -s
    groups = score_groups(oriented, y)
    sens, spec, auc = curve_points(groups, n_cases, n_controls)
    original_values = groups.values if direction == "<" else -groups.values[::-1]
    thr = thresholds_from_values(original_values, direction)
    if direction == ">":
        thr = thr[::-1].copy()
    return Roc(
        sensitivities=sens,
        specificities=spec,
        thresholds=thr,
        auc=auc,
        direction=direction,
        n_controls=n_controls,
        n_cases=n_cases,
        levels=levels,
        y_true=y,
        score=s,
        groups=groups,
    )
