"""dca at a horizon (time-to-event outcome): net benefit with Kaplan-Meier event rates, against the
formula written in R with survival::survfit, and against the binary dca without censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats.decision_curve import dca
from hccstats.rbridge.survival_checks import R_NB


def _cohort(seed=11, n=240):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t_event = np.ceil(rng.exponential(30 * np.exp(-0.9 * x)))  # months, ties
    t_cens = np.ceil(rng.uniform(6, 60, n))
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(float)
    risk = np.round(1 - np.exp(-24 / 30 * np.exp(0.9 * x)), 2)  # event by 24 months, ties
    return time, event, risk


@pytest.mark.r
@pytest.mark.parametrize("horizon", [12.0, 24.0, 36.0])
def test_net_benefit_at_horizon_against_r_formula(horizon):
    from hccstats.rbridge import run

    time, event, risk = _cohort()
    th = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99])
    exp = run(R_NB, time=time, event=event, risk=risk, h=horizon, th=th)
    got = dca(event, {"m": risk}, th, time=time, horizon=horizon).table
    # products of the same fractions: equal to rounding
    np.testing.assert_allclose(got[got["model"] == "m"]["net_benefit"], exp[:, 0], atol=1e-12)
    np.testing.assert_allclose(
        got[got["model"] == "Treat all"]["net_benefit"], exp[:, 1], atol=1e-12
    )


@pytest.mark.r
def test_net_benefit_at_horizon_lung_against_r_formula():
    from hccstats.rbridge import run

    lung = run(
        "d <- survival::lung; d <- d[!is.na(d$ph.ecog), ]; "
        "data.frame(time = d$time, event = d$status - 1, risk = plogis((d$ph.ecog - 1) + (d$age - 62) / 10))"
    )
    th = np.arange(0.05, 0.96, 0.05)
    exp = run(
        R_NB,
        time=lung["time"].to_numpy(),
        event=lung["event"].to_numpy(),
        risk=lung["risk"].to_numpy(),
        h=365.0,
        th=th,
    )
    got = hs.dca(lung["event"], {"ecog": lung["risk"]}, th, time=lung["time"], horizon=365).table
    np.testing.assert_allclose(got[got["model"] == "ecog"]["net_benefit"], exp[:, 0], atol=1e-12)


def test_net_benefit_without_censoring_equals_binary_dca():
    # nobody censored before the horizon: Kaplan-Meier gives the plain shares, so the survival
    # net benefit is the binary one with y = event by the horizon
    time, _, risk = _cohort(seed=2)
    event = np.ones_like(time)
    horizon = 24.0
    surv = dca(event, {"m": risk}, time=time, horizon=horizon).table
    binary = dca((time <= horizon).astype(int), {"m": risk}).table
    cols = ["net_benefit", "tp_rate", "fp_rate", "pos_rate", "prevalence"]
    np.testing.assert_allclose(surv[cols].to_numpy(), binary[cols].to_numpy(), atol=1e-12)


def test_net_benefit_at_horizon_bootstrap_is_seeded():
    time, event, risk = _cohort()
    a = dca(event, {"m": risk}, [0.1, 0.3], time=time, horizon=24, B=50, seed=3)
    b = dca(event, {"m": risk}, [0.1, 0.3], time=time, horizon=24, B=50, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    own = a.table[a.table["model"] == "m"]
    assert ((own["ci_low"] <= own["net_benefit"]) & (own["net_benefit"] <= own["ci_high"])).all()
    assert a.horizon == 24 and "horizon=24" in repr(a)


def test_dca_survival_input_errors():
    time, event, risk = _cohort(n=30)
    with pytest.raises(InputError, match="horizon"):
        dca(event, {"m": risk}, time=time)
    with pytest.raises(InputError, match="horizon"):
        dca(event, {"m": risk}, horizon=12)
    with pytest.raises(InputError, match="y_true"):
        dca(event * 2, {"m": risk}, time=time, horizon=12)
    with pytest.raises(InputError, match="time"):
        dca(event, {"m": risk}, time=-time, horizon=12)
