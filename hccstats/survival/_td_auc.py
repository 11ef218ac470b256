"""Time-dependent AUC (cumulative cases, dynamic controls) with inverse-probability-of-censoring
weights and its influence-function standard error, as Uno et al. (2007) and Blanche,
Dartigues & Jacqmin-Gadda (2013, R package timeROC, ``weighting = "marginal"``, ``iid = TRUE``)
define them."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError, UndefinedStatisticWarning
from .._validation import as_finite, check_conf_level, check_same_length
from ._args import NOT_GIVEN, check_times, renamed
from ._product_limit import km_at
from ._surv import as_event, as_time

__all__ = ["TimeDependentAuc", "td_auc", "event_free_at"]


@dataclass(frozen=True, eq=False)
class TimeDependentAuc:
    """Result of :func:`td_auc`.

    ``table`` has one row per time: ``time``, ``auc``, ``se`` (influence function, timeROC's
    ``inference$vect_sd_1``), ``ci_low``, ``ci_high`` (Wald, at ``conf_level``), ``cases``
    (events before t), ``controls`` (event-free at t), ``censored`` (censored before t, or an
    event exactly at t), ``cumulative_incidence`` and ``surv_prob`` (the IPCW estimates of
    P(T < t) and P(T > t), timeROC's ``CumulativeIncidence`` and ``survProb``).
    """

    table: pd.DataFrame
    n: int
    conf_level: float = 0.95

    @property
    def auc(self) -> pd.Series:
        """AUC indexed by time."""
        return self.table.set_index("time")["auc"]

    @property
    def se(self) -> pd.Series:
        """Standard error of the AUC indexed by time."""
        return self.table.set_index("time")["se"]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        return (
            f"Time-dependent AUC, cumulative/dynamic, IPCW (Kaplan-Meier), n = {self.n}, "
            f"{self.conf_level:.0%} CI\n"
            f"{self.table.to_string(index=False, float_format=lambda v: f'{v:.4f}')}"
        )


def event_free_at(time: np.ndarray, event: np.ndarray, t: float) -> np.ndarray:
    """Patients known to be event-free at ``t``: followed beyond ``t``, or censored at ``t``.

    A censoring at ``t`` counts as after ``t`` (as a censoring at a death time counts as after
    the death in ``survival``); with their weight ``1 / G(t-)`` the estimators stay defined at
    the last follow-up time (administrative censoring at the horizon). Without censorings
    exactly at ``t`` this is ``T > t`` with ``1 / G(t)``, as timeROC and riskRegression.
    """
    return (time > t) | ((time == t) & (event == 0))


def _pair_sums(m_case, w_case, m_ctrl):
    """Per case: controls below (ties one half); per control: case weight above (ties half)."""
    ctrl = np.sort(m_ctrl)
    below = np.searchsorted(ctrl, m_case, side="left")
    ties = np.searchsorted(ctrl, m_case, side="right") - below
    per_case = below + 0.5 * ties
    o = np.argsort(m_case, kind="stable")
    ms, cw = m_case[o], np.concatenate([[0.0], np.cumsum(w_case[o])])
    lo = cw[np.searchsorted(ms, m_ctrl, side="left")]
    hi = cw[np.searchsorted(ms, m_ctrl, side="right")]
    per_ctrl = (cw[-1] - hi) + 0.5 * (hi - lo)
    return per_case, per_ctrl


def _censoring_terms(ts, es, a):
    """``sum_i a_i M_ik`` for every subject k, ``M_ik`` timeROC's ``MatInt0TcidhatMCksurEff``
    (the martingale integral of the Kaplan–Meier of the censoring up to row i, rows in the
    stable order of time, one row per subject as timeROC's ``Compute.iid.KM``)."""
    n = ts.size
    pos = np.arange(n)
    cens = (es == 0).astype(float)
    lam = np.cumsum(cens * n / (n - pos) ** 2.0)  # Lambda*(m): sum_{l <= m} dLambda_C / y
    first = np.searchsorted(ts, ts, side="left")
    suffix = np.concatenate([np.cumsum(a[::-1])[::-1], [0.0]])
    jump = cens * n / (n - first) * suffix[first]
    upto = np.cumsum(a * lam)
    return jump - (upto + lam * suffix[pos + 1])


def _auc_at(t, ts, es, ms, g_case, g_t, n, conf_level):
    cases = (ts < t) & (es == 1)
    controls = event_free_at(ts, es, t)
    n_case, n_ctrl = int(cases.sum()), int(controls.sum())
    w = np.where(cases, 1.0 / (g_case * n), 0.0)
    c = 1.0 / (g_t * n) if g_t > 0 else np.nan
    row = {
        "time": t,
        "auc": np.nan,
        "se": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "cases": n_case,
        "controls": n_ctrl,
        "censored": n - n_case - n_ctrl,
        "cumulative_incidence": w.sum(),
        "surv_prob": n_ctrl * c,
    }
    if n_case == 0 or n_ctrl == 0:
        warnings.warn(
            f"td_auc: no {'cases' if n_case == 0 else 'controls'} at time {t:g}; AUC is nan",
            UndefinedStatisticWarning,
            stacklevel=3,
        )
        return row
    per_case, per_ctrl = _pair_sums(ms[cases], w[cases], ms[controls])
    F, St = row["cumulative_incidence"], row["surv_prob"]
    col = np.zeros(n)  # timeROC's colSums(Mathtij1): per case, n^2 w_i c (controls below)
    col[cases] = n * n * w[cases] * c * per_case
    rows = np.zeros(n)  # rowSums(Mathtij1): per control, n^2 c (case weight above)
    rows[controls] = n * n * c * per_ctrl
    ht = col.sum() / (n * n)
    auc = ht / (F * St)
    # influence function (Blanche et al. 2013, web appendix; timeROC's iid representation)
    dit = n * w
    above = controls / (n_ctrl / n)
    a = col / n - ht * dit / F
    les1 = _censoring_terms(ts, es, a) / (F * St)
    les2 = (rows - n * ht) / (F * St)
    les3 = (col - n * ht * (above + (dit - F) / F)) / (F * St)
    se = float(np.std((les1 + les2 + les3) / n, ddof=1) / np.sqrt(n))
    q = sps.norm.ppf(0.5 + conf_level / 2.0)
    row.update(auc=auc, se=se, ci_low=auc - q * se, ci_high=auc + q * se)
    return row


def td_auc(
    time, event, score=None, times=None, *, conf_level: float = 0.95, marker=NOT_GIVEN
) -> TimeDependentAuc:
    """Time-dependent AUC at ``times``: cumulative cases, dynamic controls, IPCW (Kaplan–Meier),
    with its influence-function standard error and a Wald confidence interval.

    At time ``t`` the cases are the patients with an event before ``t`` (``T_i < t``), the
    controls those known to be event-free at ``t`` (``T_j > t``, or censored at ``t``);
    ``AUC(t) = sum_ij w_i [1(M_i > M_j) + 1/2 1(M_i = M_j)] / (n_controls sum_i w_i)`` over
    cases ``i`` and controls ``j``, each case weighted by ``w_i = 1 / G(T_i-)``, the
    Kaplan–Meier estimate of the censoring distribution just before its event time (the
    controls' common weight cancels). Patients censored before ``t`` enter only through ``G``.

    Parameters
    ----------
    time : array-like
        Follow-up time (event or censoring), non-negative.
    event : array-like
        1 for an event, 0 for censored (or R's 2/1, or True/False).
    score : array-like
        Higher values mean higher risk (a predicted risk, a linear predictor); use ``-x`` for a
        protective marker. ``marker=`` is its deprecated name.
    times : float or sequence of float
        The times ``t`` (the horizon).
    conf_level : float
        Level of the Wald interval ``AUC ± z se``.

    Returns
    -------
    TimeDependentAuc
        ``table`` with ``time``, ``auc``, ``se``, ``ci_low``, ``ci_high``, counts, and the IPCW
        cumulative incidence and event-free share at each ``t``. A time without cases or
        controls gives ``nan`` and an :class:`~hccstats.UndefinedStatisticWarning`.

    Notes
    -----
    R equivalent: ``timeROC::timeROC(T = time, delta = event, marker = score, cause = 1,
    weighting = "marginal", times = times, iid = TRUE)``: ``$AUC``, ``$inference$vect_sd_1``,
    ``confint()`` (Blanche, Dartigues & Jacqmin-Gadda, Stat Med 2013; Uno et al. 2007; Hung &
    Chiang 2010). The standard error is timeROC's influence function, computed in O(n log n)
    (timeROC's is O(n^2) in time and memory). As timeROC, an event exactly at ``t`` is neither
    case nor control. A patient censored exactly at ``t`` is a control with weight
    ``1 / G(t-)`` (timeROC leaves them out and weights the others ``1 / G(t)``): the same
    numbers unless someone is censored exactly at ``t``, and defined when ``t`` is the last
    follow-up time.

    Examples
    --------
    >>> import hccstats as hs
    >>> hs.td_auc(months, recurred, nomogram_risk, times=[12, 24, 36]).table  # doctest: +SKIP
    """
    score = renamed("td_auc", "score", score, "marker", marker)
    if score is None:
        raise InputError("td_auc: score is needed")
    conf_level = check_conf_level(conf_level)
    t = as_time(time, "time")
    e = as_event(event, "event").astype(float)
    m = as_finite(score, "score")
    check_same_length(time=t, event=e, score=m)
    at = check_times(times)
    n = len(t)
    order = np.argsort(t, kind="stable")  # R's order(T): ties keep their order
    ts, es, ms = t[order], e[order], m[order]
    g_case = km_at(ts, 1.0 - es, ts, left=True)[:, 0]
    g_at = km_at(ts, 1.0 - es, at, left=True)[:, 0]
    rows = [
        _auc_at(float(ti), ts, es, ms, g_case, float(gi), n, conf_level) for ti, gi in zip(at, g_at)
    ]
    return TimeDependentAuc(pd.DataFrame(rows), n, conf_level)
