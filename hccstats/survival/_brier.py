"""The Brier score at a horizon with inverse-probability-of-censoring weights, the null
(Kaplan–Meier) model's Brier score and the index of prediction accuracy, with influence-function
standard errors (Graf et al. 1999; Gerds & Schumacher 2006; Kattan & Gerds 2018; the method of
``riskRegression::Score``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError, UndefinedStatisticWarning
from .._results import ConfidenceInterval
from .._validation import as_finite, check_conf_level, check_same_length
from ._args import check_horizon
from ._product_limit import km_at
from ._surv import as_event, as_time
from ._td_auc import event_free_at

__all__ = ["brier_score", "BrierScore", "ipcw_brier"]


@dataclass(frozen=True)
class BrierScore:
    """Result of :func:`brier_score`: each measure with its SE and Wald interval.

    ``brier`` of the model, ``null_brier`` of the Kaplan–Meier (null) model, which predicts
    every patient the overall risk ``1 - S(t)``, and ``ipa = 1 - brier / null_brier``.
    """

    times: float
    n: int
    brier: float
    brier_se: float
    null_brier: float
    null_se: float
    ipa: float
    ipa_se: float
    conf_level: float = 0.95

    def _ci(self, est: float, se: float, clip: bool) -> ConfidenceInterval:
        q = sps.norm.ppf(0.5 + self.conf_level / 2.0)
        lo, hi = est - q * se, est + q * se
        if clip:  # riskRegression::Score limits the Brier score's interval to [0, 1]
            lo, hi = max(0.0, lo), min(1.0, hi)
        return ConfidenceInterval(lo, hi, self.conf_level)

    @property
    def brier_ci(self) -> ConfidenceInterval:
        return self._ci(self.brier, self.brier_se, True)

    @property
    def null_ci(self) -> ConfidenceInterval:
        return self._ci(self.null_brier, self.null_se, True)

    @property
    def ipa_ci(self) -> ConfidenceInterval:
        return self._ci(self.ipa, self.ipa_se, False)

    def to_frame(self) -> pd.DataFrame:
        """One row per measure (brier, null_brier, ipa): estimate, se, ci_low, ci_high."""
        rows = []
        for name, est, se, ci in (
            ("brier", self.brier, self.brier_se, self.brier_ci),
            ("null_brier", self.null_brier, self.null_se, self.null_ci),
            ("ipa", self.ipa, self.ipa_se, self.ipa_ci),
        ):
            rows.append(
                {"measure": name, "estimate": est, "se": se, "ci_low": ci.low, "ci_high": ci.high}
            )
        return pd.DataFrame(rows).assign(times=self.times)

    def __repr__(self) -> str:
        tab = self.to_frame().drop(columns="times").set_index("measure")
        return (
            f"IPCW Brier score at {self.times:g} (n = {self.n}, {self.conf_level:.0%} CI)\n"
            + tab.to_string(float_format=lambda v: f"{v:.4f}")
        )


def _censoring_integrals(time, event):
    """Distinct times ``u``, and per subject the pieces of ``H_i(s) = sum_{u < s} [dN_Ci(u) -
    1(T_i >= u) dLambda_C(u)] / y(u)``: the influence of subject i on -log G(s-)."""
    ut, inv = np.unique(time, return_inverse=True)
    n = time.size
    n_all = np.bincount(inv, minlength=ut.size).astype(float)
    cens = np.bincount(inv, weights=1.0 - event, minlength=ut.size)
    at_risk = np.cumsum(n_all[::-1])[::-1]
    step = n * cens / at_risk**2  # dLambda_C(u) / y(u)
    cum = np.concatenate([[0.0], np.cumsum(step)])  # cum[k]: sum over the first k distinct times
    jump = np.where(event == 0, n / at_risk[inv], 0.0)  # dN_Ci / y at the subject's own time
    return ut, inv, cum, jump


def _influence(time, resid, case, free, t, integ):
    """Influence function of mean(resid) with the censoring Kaplan–Meier estimated."""
    ut, inv, cum, jump = integ
    n = time.size
    B = resid.mean()
    # a case j's weight 1/G(T_j-): sum over censoring times u < T_j; the free patients' 1/G(t-):
    # u < t. H_i(s) = jump_i 1(T_i < s) - cum[#distinct times < min(s, T_i+)]
    rc = np.where(case, resid, 0.0)
    free_sum = resid[free].sum()
    k_case = np.searchsorted(ut, time, side="left")  # distinct times < T_j
    by_time = np.bincount(inv, weights=rc, minlength=ut.size)
    after = np.concatenate([np.cumsum(by_time[::-1])[::-1], [0.0]])  # cases with T_j >= u_k
    upto = np.concatenate(
        [[0.0], np.cumsum(np.bincount(inv, weights=rc * cum[k_case], minlength=ut.size))]
    )
    k_own = inv + 1  # distinct times <= T_i
    term_case = jump * after[k_own] - (upto[k_own] + cum[k_own] * after[k_own])
    k_t = int(np.searchsorted(ut, t, side="left"))
    h_t = jump * (time < t) - cum[np.minimum(k_own, k_t)]
    return resid - B + (term_case + h_t * free_sum) / n


def ipcw_brier(time, event, risk, t):
    """IPCW residuals and their influence function: (brier, influence) for one prediction."""
    g_case = km_at(time, 1.0 - event, time, left=True)[:, 0]
    g_t = float(km_at(time, 1.0 - event, [t], left=True)[0, 0])
    case = (time <= t) & (event == 1)
    free = event_free_at(time, event, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(case, (1.0 - risk) ** 2 / g_case, 0.0)
        resid = resid + np.where(free, risk**2 / g_t, 0.0)
    integ = _censoring_integrals(time, event)
    return resid.mean(), _influence(time, resid, case, free, t, integ)


def brier_score(time, event, risk, times, *, conf_level: float = 0.95) -> BrierScore:
    """Brier score at the horizon ``times`` with IPCW, the null model's, and IPA, with CIs.

    ``Brier(t) = mean_i [ (1 - r_i)^2 1(T_i <= t, event) / G(T_i-) + r_i^2 1(event-free at t)
    / G(t-) ]`` (Graf et al. 1999; Gerds & Schumacher 2006), ``r_i`` the predicted risk of an
    event by ``t``, ``G`` the Kaplan–Meier estimate of the censoring distribution. The null
    model predicts everyone ``1 - S(t)`` (Kaplan–Meier of the same data);
    ``IPA = 1 - Brier / Brier_null`` (Kattan & Gerds 2018).

    Standard errors are ``sd(IF) / sqrt(n)`` of the influence function, which includes the
    estimation of ``G`` (riskRegression's default, ``conservative = FALSE``): for subject i,
    ``IF_i = R_i - Brier + (1/n) sum_j R_j H_i(s_j)`` with ``R_j`` the weighted residual,
    ``s_j = T_j`` for a case and ``t`` for an event-free patient, and
    ``H_i(s) = sum_{u < s} [dN^C_i(u) - 1(T_i >= u) dLambda_C(u)] / (Y(u) / n)``, the influence
    of subject i on ``-log G(s-)``. The null model's predictions count as fixed (as
    riskRegression's null model). IPA's influence function follows by the delta method.
    Wald intervals; the Brier scores' limits are kept within [0, 1] (as riskRegression).

    Parameters
    ----------
    time, event : array-like
        Follow-up time and event indicator (0/1, 1/2 or logical).
    risk : array-like
        Predicted risk of an event by ``times`` (between 0 and 1).
    times : float
        The horizon; it may equal the last follow-up time (a patient censored exactly at the
        horizon is event-free at it, weighted ``1 / G(t-)``; without censorings exactly at
        ``t`` this is riskRegression's ``1(T > t) / G(t)``).
    conf_level : float

    Returns
    -------
    BrierScore

    Notes
    -----
    R equivalent: ``riskRegression::Score(list(model = risk), Surv(time, event) ~ 1, data,
    times = t, metrics = "brier", summary = "ipa", se.fit = TRUE, cens.model = "km")``.

    Examples
    --------
    >>> import hccstats as hs
    >>> hs.brier_score(months, recurred, risk24, times=24).to_frame()  # doctest: +SKIP
    """
    conf_level = check_conf_level(conf_level)
    t_ = as_time(time, "time")
    e = as_event(event, "event").astype(float)
    r = as_finite(risk, "risk")
    check_same_length(time=t_, event=e, risk=r)
    if np.any((r < 0) | (r > 1)):
        bad = np.flatnonzero((r < 0) | (r > 1))
        raise InputError(f"risk: {bad.size} value(s) outside [0, 1], first at {bad[:5].tolist()}")
    t = check_horizon(times, float(t_.max()))
    b, if_b = ipcw_brier(t_, e, r, t)
    s_t = float(km_at(t_, e, [t])[0, 0])
    b0, if_0 = ipcw_brier(t_, e, np.full(t_.size, 1.0 - s_t), t)
    n = t_.size
    if b0 == 0.0:  # no event by t (or everyone had one): the null model is exact
        warnings.warn(
            f"brier_score: the null model's Brier score at {t:g} is 0 (no events by then); "
            "IPA is nan",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
        ipa, if_ipa = np.nan, np.full(n, np.nan)
    else:
        ipa = 1.0 - b / b0
        if_ipa = -if_b / b0 + b * if_0 / b0**2

    def se(f):
        return float(np.std(f, ddof=1) / np.sqrt(n))

    return BrierScore(t, n, b, se(if_b), b0, se(if_0), ipa, se(if_ipa), conf_level)
