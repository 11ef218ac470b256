"""Survival tools against stored survival-package outputs (run without R), statsmodels' PHReg,
and invariants.

Stored outputs: tests/reference/survival/make_reference.R (R 4.2.2, survival 3.5.3), written
with 15 significant digits; tolerances as in the live tests (coxph 1e-8 relative: both fits
fully converged; Kaplan–Meier and log-rank 1e-10; medians exact).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hccstats as hs

REF = Path(__file__).parent / "reference" / "survival"


def _ref(name):
    return pd.read_csv(REF / name, comment="#")


@pytest.fixture(scope="module")
def lung():
    d = _ref("lung.csv")
    d.columns = [c.replace(".", "_") for c in d.columns]
    return d


FORMULA = "Surv(time, status) ~ C(sex) + age + ph_ecog + wt_loss"


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_coxph_against_stored_survival_coxph(lung, ties):
    fit = hs.coxph(FORMULA, lung, ties=ties, nan_policy="omit")
    rob = hs.coxph(FORMULA, lung, ties=ties, robust=True, nan_policy="omit")
    coef = _ref("coxph_lung_coef.csv").query("ties == @ties")
    glob = _ref("coxph_lung_global.csv").query("ties == @ties").iloc[0]
    np.testing.assert_allclose(fit.coef, coef["coef"], rtol=1e-8)
    np.testing.assert_allclose(fit.se, coef["se"], rtol=1e-8)
    np.testing.assert_allclose(rob.se, coef["robust_se"], rtol=1e-8)
    assert (fit.n, fit.n_events) == (glob["n"], glob["nevent"])
    np.testing.assert_allclose(fit.loglik, [glob["loglik0"], glob["loglik1"]], rtol=1e-10)
    np.testing.assert_allclose(
        [fit.wald_test, fit.score_test], [glob["wald"], glob["score"]], rtol=1e-8
    )
    np.testing.assert_allclose(rob.robust_score, glob["rscore"], rtol=1e-8)
    np.testing.assert_allclose(
        [fit.concordance.concordance, fit.concordance.se],
        [glob["concordance"], glob["concordance_se"]],
        rtol=1e-10,
    )


def test_km_logrank_and_zph_against_stored_survival(lung):
    km = hs.survfit(lung["time"], lung["status"], group=lung["sex"])
    ref = _ref("survfit_lung_sex.csv")
    curves = pd.concat(km.curves.values())
    np.testing.assert_array_equal(curves["time"], ref["time"])
    np.testing.assert_array_equal(curves["n_risk"], ref["n_risk"])
    for col in ("surv", "std_err", "lower", "upper"):
        np.testing.assert_allclose(curves[col], ref[col], rtol=1e-10)
    med = _ref("survfit_lung_sex_median.csv")
    np.testing.assert_array_equal(
        km.table()[["n", "events", "median", "median_lcl", "median_ucl"]], med
    )
    lr = hs.survdiff(lung["time"], lung["status"], lung["sex"])
    sd = _ref("survdiff_lung_sex.csv")
    np.testing.assert_allclose(lr.statistic, sd["chisq"].iloc[0], rtol=1e-10)
    np.testing.assert_allclose(lr.table["expected"], sd["expected"], rtol=1e-10)
    fit = hs.coxph("Surv(time, status) ~ C(sex) + age + ph_ecog", lung, nan_policy="omit")
    z = hs.cox_zph(fit).table
    zr = _ref("cox_zph_lung.csv")
    np.testing.assert_allclose(z[["chisq", "df", "p_value"]], zr[["chisq", "df", "p"]], rtol=1e-8)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_coxph_against_statsmodels_phreg(lung, ties):
    # statsmodels maximises the same partial likelihood (its own convergence): 1e-6 relative
    from statsmodels.duration.hazard_regression import PHReg

    d = lung.dropna(subset=["ph_ecog", "wt_loss"])
    fit = hs.coxph("Surv(time, status) ~ age + ph_ecog + wt_loss", d, ties=ties)
    ph = PHReg(
        d["time"].to_numpy(),
        d[["age", "ph_ecog", "wt_loss"]].to_numpy(),
        status=(d["status"] == 2).astype(int).to_numpy(),
        ties=ties,
    ).fit()
    np.testing.assert_allclose(fit.coef, ph.params, rtol=1e-6)
    np.testing.assert_allclose(fit.se, ph.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.loglik[1], ph.llf, rtol=1e-10)


@st.composite
def _survival_data(draw):
    n = draw(st.integers(8, 40))
    t = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    return np.array(t, float), np.array(e), np.array(x, float)


@given(_survival_data())
def test_concordance_is_invariant_to_monotone_maps_and_flips_with_reverse(data):
    t, e, x = data
    if e.sum() == 0:
        return
    a = hs.concordance(time=t, event=e, score=x)
    b = hs.concordance(time=t, event=e, score=np.exp(x / 2.0) + 7.0)
    r = hs.concordance(time=t, event=e, score=x, reverse=True)
    if np.isnan(a.concordance):
        return
    assert a.concordance == pytest.approx(b.concordance) and a.se == pytest.approx(b.se)
    assert a.concordance + r.concordance == pytest.approx(1.0)
    assert 0.0 <= a.concordance <= 1.0 and a.se >= 0.0


@given(_survival_data())
def test_km_is_a_nonincreasing_probability_with_limits_around_it(data):
    t, e, _ = data
    tab = hs.survfit(t, e).curves["all"]
    s = tab["surv"].to_numpy()
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.diff(s) <= 1e-15)
    ok = s > 0
    assert np.all(tab["lower"][ok] <= s[ok] + 1e-15) and np.all(tab["upper"][ok] >= s[ok] - 1e-15)
    assert tab["n_risk"].iloc[0] == t.size


def test_coxph_is_equivariant_to_covariate_scale_and_shift(lung):
    d = lung.dropna(subset=["ph_ecog"]).assign(age10=lambda f: (f["age"] - 60) / 10)
    a = hs.coxph("Surv(time, status) ~ age + ph_ecog", d)
    b = hs.coxph("Surv(time, status) ~ age10 + ph_ecog", d)
    np.testing.assert_allclose(b.coef.iloc[0], 10 * a.coef.iloc[0], rtol=1e-10)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    np.testing.assert_allclose(
        b.predict(type="survival", times=[200.0]),
        a.predict(type="survival", times=[200.0]),
        rtol=1e-10,
    )
