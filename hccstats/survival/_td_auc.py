"""Time-dependent AUC (cumulative cases, dynamic controls) with inverse-probability-of-censoring
weights, as Uno et al. (2007) and Blanche et al. (2013, R package timeROC) define it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError, UndefinedStatisticWarning
from .._validation import as_finite, check_same_length
from ._product_limit import km_at
from ._surv import as_event, as_time

__all__ = ["TimeDependentAuc", "td_auc"]


@dataclass(frozen=True, eq=False)
class TimeDependentAuc:
    """Result of :func:`td_auc`.

    ``table`` has one row per time: ``time``, ``auc``, ``cases`` (events before t), ``controls``
    (still followed after t), ``censored`` (censored before t, or ended exactly at t),
    ``cumulative_incidence`` and ``surv_prob`` (the IPCW estimates of P(T < t) and P(T > t),
    timeROC's ``CumulativeIncidence`` and ``survProb``).
    """

    table: pd.DataFrame
    n: int

    @property
    def auc(self) -> pd.Series:
        """AUC indexed by time."""
        return self.table.set_index("time")["auc"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        return (
            f"Time-dependent AUC, cumulative/dynamic, IPCW (Kaplan-Meier), n = {self.n}\n"
            f"{self.table.to_string(index=False, float_format=lambda v: f'{v:.4f}')}"
        )


def _auc_at(t, time, event, marker, g_case, g_times_t, n):
    cases = (time < t) & (event == 1)
    controls = time > t
    w = np.where(cases, 1.0 / g_case, 0.0)
    n_ctrl = int(controls.sum())
    row = {
        "time": t,
        "auc": np.nan,
        "cases": int(cases.sum()),
        "controls": n_ctrl,
        "censored": n - int(cases.sum()) - n_ctrl,
        "cumulative_incidence": w.sum() / n,
        "surv_prob": n_ctrl / (g_times_t * n) if g_times_t > 0 else np.nan,
    }
    if not cases.any() or n_ctrl == 0:
        warnings.warn(
            f"td_auc: no {'cases' if not cases.any() else 'controls'} at time {t:g}; AUC is nan",
            UndefinedStatisticWarning,
            stacklevel=3,
        )
        return row
    # for each case: controls with a lower marker, ties counting one half (the trapezoidal
    # area under the step ROC curve); ranks among the controls plus the case itself
    ctrl = np.sort(marker[controls])
    m = marker[cases]
    below = np.searchsorted(ctrl, m, side="left")
    ties = np.searchsorted(ctrl, m, side="right") - below
    wc = w[cases]
    row["auc"] = float(np.sum(wc * (below + 0.5 * ties)) / (wc.sum() * n_ctrl))
    return row


def td_auc(time, event, marker, times) -> TimeDependentAuc:
    """Time-dependent AUC at ``times``: cumulative cases, dynamic controls, IPCW (Kaplan–Meier).

    At time ``t`` the cases are the patients with an event before ``t`` (``T_i < t``), the
    controls those still followed after ``t`` (``T_j > t``);
    ``AUC(t) = sum_ij w_i [1(M_i > M_j) + 1/2 1(M_i = M_j)] / (n_controls sum_i w_i)`` over cases
    ``i`` and controls ``j``, each case weighted by ``w_i = 1 / G(T_i-)``, the Kaplan–Meier
    estimate of the censoring distribution just before its event time (the controls' common
    weight ``1 / G(t)`` cancels). Patients censored before ``t`` enter only through ``G``.

    Parameters
    ----------
    time : array-like
        Follow-up time (event or censoring), non-negative.
    event : array-like
        1 for an event, 0 for censored (or R's 2/1, or True/False).
    marker : array-like
        Higher values mean higher risk (a predicted risk, a linear predictor); use ``-x`` for a
        protective marker.
    times : float or sequence of float
        The times ``t``.

    Returns
    -------
    TimeDependentAuc
        ``table`` with ``time``, ``auc``, counts, and the IPCW cumulative incidence and
        event-free share at each ``t``. A time without cases or controls gives ``nan`` and an
        :class:`~hccstats.UndefinedStatisticWarning`.

    Notes
    -----
    R equivalent: ``timeROC::timeROC(T = time, delta = event, marker = marker, cause = 1,
    weighting = "marginal", times = times)$AUC`` (Blanche, Dartigues & Jacqmin-Gadda 2013;
    Uno et al. 2007; Hung & Chiang 2010). As timeROC, a patient whose time equals ``t`` exactly
    is neither case nor control.

    Examples
    --------
    >>> import hccstats as hs
    >>> hs.td_auc(months, recurred, nomogram_risk, [12, 24, 36]).auc   # doctest: +SKIP
    """
    t = as_time(time, "time")
    e = as_event(event, "event").astype(float)
    m = as_finite(marker, "marker")
    check_same_length(time=t, event=e, marker=m)
    at = as_finite(np.atleast_1d(times), "times")
    if len(at) == 0 or np.any(at <= 0):
        raise InputError(f"times: need positive times, got {at.tolist()}")
    n = len(t)
    g_case = km_at(t, 1.0 - e, t, left=True)[:, 0]
    g_at = km_at(t, 1.0 - e, at)[:, 0]
    rows = [_auc_at(float(ti), t, e, m, g_case, float(gi), n) for ti, gi in zip(at, g_at)]
    return TimeDependentAuc(pd.DataFrame(rows), n)
