"""td_auc: cumulative/dynamic time-dependent AUC with IPCW, against the estimator written in
plain R (survival::survfit for the censoring distribution) and against pROC without censoring."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError, UndefinedStatisticWarning
from hccstats.rbridge.survival_checks import R_TD_AUC  # timeROC's estimator in plain R
from hccstats.survival._td_auc import td_auc

PBC = """
d <- survival::pbc
d <- d[!is.na(d$trt), ]
list(time = as.numeric(d$time), event = as.numeric(d$status == 2), bili = d$bili,
     times = unname(quantile(d$time, probs = seq(0.2, 0.8, 0.1))))
"""


def _check(time, event, marker, times):
    from hccstats.rbridge import run

    exp = run(R_TD_AUC, time=time, event=event, marker=marker, times=np.asarray(times, float))
    got = td_auc(time, event, marker, times).table
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
