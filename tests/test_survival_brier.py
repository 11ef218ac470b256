"""brier_score: IPCW Brier score at a horizon, the null (Kaplan–Meier) model's, IPA, and their
influence-function standard errors, against the estimators written out in plain R
(survival::survfit for the censoring and the null model's Kaplan–Meier; the influence function
of riskRegression::Score with the Kaplan–Meier censoring model, conservative = FALSE)."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats.rbridge.survival_checks import R_BRIER
from tests._survival_data import PBC_FORMULA, PBC_HORIZON, lung, pbc_split

# R_BRIER: the estimators written out in R (formula and references beside it), which the
# report's R cross-check runs too


def _values(b):
    return [b.brier, b.brier_se, b.null_brier, b.null_se, b.ipa, b.ipa_se]


def _check(time, event, risk, t):
    from hccstats.rbridge import run

    exp = run(R_BRIER, time=time, event=event, risk=risk, t=float(t))
    got = hs.brier_score(time, event, risk, times=t)
    # the same sums (prefix sums against an n x n matrix product): 1e-10 relative
    np.testing.assert_allclose(_values(got), exp, rtol=1e-10)
    return got


@pytest.mark.r
@pytest.mark.parametrize("t", [180.0, 365.0, 700.0])
def test_brier_on_development_data_against_r_formula(t):
    # lung: a Cox model's own risk at t (tied days, censorings tied with deaths)
    d = lung()
    fit = hs.coxph("Surv(time, death) ~ age + sex + ph_ecog", d)
    _check(fit.time, fit.event.astype(float), fit.predict_risk(times=t), t)


@pytest.mark.r
def test_brier_on_validation_data_against_r_formula():
    # the Cox model of the 312 pbc trial patients judged at 5 years on the 106 others
    dev, val = pbc_split()
    fit = hs.coxph(PBC_FORMULA, dev)
    risk = fit.predict_risk(val, times=PBC_HORIZON)
    b = _check(val["time"].to_numpy(float), val["death"].to_numpy(float), risk, PBC_HORIZON)
    assert 0 < b.brier < b.null_brier and 0 < b.ipa < 1


@pytest.mark.r
def test_brier_with_the_horizon_at_the_last_follow_up_against_r_formula():
    # follow-up cut at the horizon: everyone event-free at 365 days is censored at 365
    d = lung()
    fit = hs.coxph("Surv(time, death) ~ age + sex + ph_ecog", d)
    time, event = fit.time, fit.event.astype(float)
    risk = fit.predict_risk(times=365.0)
    cut = _check(np.minimum(time, 365.0), np.where(time > 365.0, 0.0, event), risk, 365.0)
    full = hs.brier_score(time, event, risk, times=365.0)
    # no case, weight or event-free patient before 365 changes: the same estimates and SEs
    np.testing.assert_allclose(_values(cut), _values(full), rtol=1e-12)


def test_brier_without_censoring_is_the_plain_brier_score():
    # no censoring: all weights 1; Brier = mean (y - p)^2, null Brier = prev (1 - prev), the SEs
    # sd((y - p)^2) / sqrt(n) (no censoring term)
    rng = np.random.default_rng(2)
    time = rng.exponential(size=200) + 0.01
    risk = rng.uniform(0.05, 0.95, 200)
    b = hs.brier_score(time, np.ones(200), risk, times=1.0)
    y = (time <= 1.0).astype(float)
    assert b.brier == pytest.approx(np.mean((y - risk) ** 2), rel=1e-12)
    assert b.null_brier == pytest.approx(y.mean() * (1 - y.mean()), rel=1e-12)
    assert b.brier_se == pytest.approx(np.std((y - risk) ** 2, ddof=1) / np.sqrt(200), rel=1e-12)
    lo, hi = b.brier_ci
    assert lo == pytest.approx(b.brier - 1.959963984540054 * b.brier_se, rel=1e-12) and hi > lo


def test_brier_of_the_null_model_has_ipa_zero_and_result_shape():
    d = lung()
    km = hs.survfit(d["time"], d["death"])
    s = km.summary([365.0])["surv"].iloc[0]
    b = hs.brier_score(d["time"], d["death"], np.full(len(d), 1 - s), times=365)
    assert b.ipa == pytest.approx(0.0, abs=1e-14) and b.brier == b.null_brier
    frame = b.to_frame()
    assert list(frame["measure"]) == ["brier", "null_brier", "ipa"]
    assert set(frame.columns) >= {"estimate", "se", "ci_low", "ci_high", "times"}
    assert "IPCW Brier score at 365" in repr(b)


def test_brier_without_events_by_the_horizon_warns_and_ipa_is_nan():
    d = lung()
    with pytest.warns(hs.UndefinedStatisticWarning, match="IPA is nan"):
        b = hs.brier_score(d["time"], d["death"], np.full(len(d), 0.1), times=1.0)
    assert b.null_brier == 0.0 and np.isnan(b.ipa) and b.brier == pytest.approx(0.01)


def test_brier_bad_input():
    d = lung()
    with pytest.raises(InputError, match="risk: 1 value"):
        hs.brier_score(d["time"], d["death"], np.r_[1.2, np.zeros(len(d) - 1)], times=365)
    with pytest.raises(InputError, match="after the last follow-up"):
        hs.brier_score(d["time"], d["death"], np.zeros(len(d)), times=5000)
    with pytest.raises(InputError, match="one horizon"):
        hs.brier_score(d["time"], d["death"], np.zeros(len(d)), times=[100, 200])
    with pytest.raises(InputError, match="mismatched lengths"):
        hs.brier_score(d["time"], d["death"], np.zeros(3), times=365)
