"""td_auc: cumulative/dynamic time-dependent AUC with IPCW and its influence-function SE,
against the estimator and the influence function written in plain R (survival::survfit for the
censoring distribution; Blanche, Dartigues & Jacqmin-Gadda, Stat Med 2013, as timeROC's
``iid = TRUE``) and against pROC without censoring."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError, UndefinedStatisticWarning
from hccstats.rbridge.survival_checks import R_TD_AUC  # timeROC's estimator in plain R
from hccstats.survival._td_auc import td_auc
from tests._survival_data import PBC_FORMULA, PBC_HORIZON, lung, pbc_split

# The AUC's influence function (Blanche et al. 2013, web appendix; timeROC 0.4's
# compute_iid_decomposition_survival with Compute.iid.KM) written out with n x n matrices:
# MIC[i, k] is the integral up to the i-th smallest time of subject k's censoring martingale
# over the at-risk proportion, one row per subject in order(time); H[i, j] the weighted
# case-control kernel. Controls: event-free at t (T > t, or censored at t), weight 1 / G(t-).
# Columns: AUC, se, cumulative incidence, event-free share, cases, controls.
R_TD_AUC_IID = """
suppressMessages(library(survival))
o <- order(time); T <- as.vector(time)[o]; d <- as.vector(event)[o]; M <- as.vector(marker)[o]
n <- length(T)
G <- survfit(Surv(T, 1 - d) ~ 1)
Gleft <- function(x) vapply(x, function(xi) {
  k <- sum(G$time < xi); if (k == 0) 1 else G$surv[k] }, 0)
cens <- as.numeric(d == 0)
Lam <- cumsum(cens / (n:1))
MC <- outer(1:n, 1:n, function(l, k) cens[k] * (T[k] <= T[l]) - Lam[pmin(l, k)])
dMC <- rbind(MC[1, ], MC[-1, , drop = FALSE] - MC[-n, , drop = FALSE])
MIC <- apply(dMC / ((n:1) / n), 2, cumsum)
K <- outer(M, M, function(a, b) (a > b) + 0.5 * (a == b))
GT <- Gleft(T)
t(vapply(times, function(t) {
  cs <- T < t & d == 1
  ct <- T > t | (T == t & d == 0)
  w <- ifelse(cs, 1 / (GT * n), 0)
  cc <- 1 / (Gleft(t) * n)
  H <- n^2 * outer(w, ifelse(ct, cc, 0)) * K
  ht <- sum(H) / n^2; F <- sum(w); St <- sum(ct) * cc
  dit <- n * w; above <- ct / (sum(ct) / n)
  les1 <- vapply(1:n, function(k) sum(H * (1 + MIC[, k])) / n -
    sum(ht * (above + (dit * (1 + MIC[, k]) - F) / F)), 0) / (F * St)
  les2 <- (colSums(H) - n * ht) / (F * St)
  les3 <- (rowSums(H) - n * ht * (above + (dit - F) / F)) / (F * St)
  IF <- (les1 + les2 + les3) / n
  c(ht / (F * St), sd(IF) / sqrt(n), F, St, sum(cs), sum(ct))
}, numeric(6)))
"""
COLUMNS = ["auc", "se", "cumulative_incidence", "surv_prob", "cases", "controls"]

PBC = """
d <- survival::pbc
d <- d[!is.na(d$trt), ]
list(time = as.numeric(d$time), event = as.numeric(d$status == 2), bili = d$bili,
     times = unname(quantile(d$time, probs = seq(0.2, 0.8, 0.1))))
"""


def _check(time, event, marker, times):
    from hccstats.rbridge import run

    exp = run(R_TD_AUC, time=time, event=event, marker=marker, times=np.asarray(times, float))
    got = td_auc(time, event, marker, times=times).table
    # the same weighted sums over the same pairs: equal to rounding (1e-12)
    np.testing.assert_allclose(got["auc"], exp[:, 0], rtol=1e-12)
    np.testing.assert_allclose(got["cumulative_incidence"], exp[:, 1], rtol=1e-12)
    np.testing.assert_allclose(got["surv_prob"], exp[:, 2], rtol=1e-12)
    np.testing.assert_array_equal(got["cases"], exp[:, 3])
    np.testing.assert_array_equal(got["controls"], exp[:, 4])
    return got


@pytest.mark.r
def test_td_auc_pbc_bilirubin_against_r_formula():
    # timeROC's documented example: bilirubin for death in the randomised pbc patients
    from hccstats.rbridge import run

    d = run(PBC)
    got = _check(d["time"], d["event"], d["bili"], d["times"])
    assert got["auc"].between(0.7, 0.95).all()  # bilirubin is a strong marker in pbc


def _check_iid(time, event, score, times):
    from hccstats.rbridge import run

    t = np.asarray(times, float)
    exp = run(R_TD_AUC_IID, time=time, event=event, marker=score, times=t)
    got = td_auc(time, event, score, times=t)
    # the same sums in another order (O(n log n) prefix sums against n x n matrices):
    # equal to rounding; 1e-10 relative
    np.testing.assert_allclose(got.table[COLUMNS].to_numpy(), exp, rtol=1e-10)
    z = 1.959963984540054
    np.testing.assert_allclose(got.table["ci_low"], exp[:, 0] - z * exp[:, 1], rtol=1e-10)
    np.testing.assert_allclose(got.table["ci_high"], exp[:, 0] + z * exp[:, 1], rtol=1e-10)
    return got


@pytest.mark.r
def test_td_auc_se_pbc_bilirubin_against_r_influence_function():
    # timeROC's documented example with iid = TRUE, at three of its times
    from hccstats.rbridge import run

    d = run(PBC)
    got = _check_iid(d["time"], d["event"], d["bili"], d["times"][::3])
    assert got.table["se"].between(0.01, 0.06).all()


@pytest.mark.r
def test_td_auc_se_development_and_validation_against_r_influence_function():
    # a Cox model fitted on the pbc trial patients, its risk at 5 years judged on the trial
    # patients (development) and on the 106 others (validation)
    dev, val = pbc_split()
    fit = hs.coxph(PBC_FORMULA, dev)
    for d in (dev, val):
        risk = fit.predict_risk(d, times=PBC_HORIZON)
        _check_iid(d["time"].to_numpy(float), d["death"].to_numpy(float), risk, [1000, PBC_HORIZON])


@pytest.mark.r
def test_td_auc_se_with_ties_and_horizon_at_last_follow_up_against_r_influence_function():
    # lung: tied days, ph.ecog a 4-level score; then follow-up cut at 365 days (everyone still
    # event-free censored at 365, the horizon is the last follow-up time)
    d = lung()
    time, event = d["time"].to_numpy(float), d["death"].to_numpy(float)
    _check_iid(time, event, d["ph_ecog"].to_numpy(float), [180.0, 365.0])
    cut = np.minimum(time, 365.0)
    cut_event = np.where(time > 365.0, 0.0, event)
    got = _check_iid(cut, cut_event, d["ph_ecog"].to_numpy(float), [365.0])
    assert got.table["controls"].iloc[0] == int(
        (time > 365.0).sum() + ((time == 365.0) & (event == 0)).sum()
    )


def test_td_auc_unchanged_when_follow_up_is_cut_at_the_horizon():
    # cutting follow-up at t (administrative censoring at the horizon) changes no case, control
    # or weight before t: AUC and SE are the same
    rng = np.random.default_rng(11)
    n = 300
    score = rng.normal(size=n)
    t_ev = rng.exponential(10 * np.exp(-score))
    t_c = rng.uniform(2, 30, n)
    time, event = np.minimum(t_ev, t_c).round(2), (t_ev <= t_c).astype(float)
    full = td_auc(time, event, score, times=8.0).table
    cut = td_auc(np.minimum(time, 8.0), np.where(time > 8.0, 0.0, event), score, times=8.0).table
    np.testing.assert_allclose(cut[["auc", "se"]], full[["auc", "se"]], rtol=1e-12)


def test_td_auc_old_keyword_warns():
    time = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    event = np.array([1, 0, 1, 1, 0, 1])
    score = np.array([0.9, 0.2, 0.7, 0.4, 0.1, 0.3])
    with pytest.warns(DeprecationWarning, match="marker= is deprecated"):
        old = td_auc(time, event, marker=score, times=3.5)
    pd_new = td_auc(time, event, score, times=3.5)
    assert old.table.equals(pd_new.table)


@pytest.mark.r
def test_td_auc_ties_and_integer_times_against_r_formula():
    # integer months with ties in time (some exactly at t) and in the marker
    rng = np.random.default_rng(3)
    n = 150
    marker = np.round(rng.normal(size=n), 1)
    t_event = np.ceil(rng.exponential(20 * np.exp(-0.8 * marker)))
    t_cens = np.ceil(rng.uniform(5, 50, n))
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(float)
    _check(time, event, marker, [6.0, 12.0, 24.0, 36.0])


@pytest.mark.r
def test_td_auc_without_censoring_against_proc():
    # no censoring: all weights 1, and AUC(t) is the ordinary AUC of T < t against T > t
    from hccstats.rbridge import run

    rng = np.random.default_rng(5)
    marker = rng.normal(size=80)
    time = rng.exponential(np.exp(-marker)) + 0.01
    t = float(np.median(time))
    exp = run(
        "suppressMessages(library(pROC)); keep <- time != t; "
        "as.numeric(auc(roc(as.numeric(time[keep] < t), m[keep], direction = '<', quiet = TRUE)))",
        time=time,
        m=marker,
        t=t,
    )
    got = td_auc(time, np.ones_like(time), marker, t).auc.iloc[0]
    assert got == pytest.approx(exp, abs=1e-12)


def test_td_auc_undefined_and_errors():
    time = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    event = np.array([1, 0, 1, 1, 0])
    with pytest.warns(UndefinedStatisticWarning, match="no cases"):
        assert np.isnan(hs.td_auc(time, event, time, 0.5).auc.iloc[0])
    with pytest.warns(UndefinedStatisticWarning, match="no controls"):
        assert np.isnan(hs.td_auc(time, event, time, 6.0).auc.iloc[0])
    with pytest.raises(InputError, match="event"):
        td_auc(time, [1, 0, 2, 1, 0], time, 2.0)
    with pytest.raises(InputError, match="time"):
        td_auc(-time, event, time, 2.0)
    with pytest.raises(InputError, match="times"):
        td_auc(time, event, time, [0.0])
    with pytest.raises(InputError, match="score"):
        td_auc(time, event, time[:4], 2.0)
