"""Firth fits under separation and their penalised profile-likelihood CIs and LR p values
(logistf's defaults) against R: brglm2's estimates and a profile computed in R from the
penalised log-likelihood written out (tests/reference/firth/make_reference.R; logistf is not
packaged by Debian). Plus invariants: the limits solve the profile equation, and the profile
never raises (an unattainable limit is infinite, an incomputable one the Wald limit, each with
a note)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _datasets import biopsy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import hccstats as hs
from hccstats.logistic._firth_profile import restricted_loglik

REF = Path(__file__).parent / "reference" / "firth"
FORMULA = "malignant ~ thick + V3 + V6"
Q95 = sps.chi2.ppf(0.95, 1)


def _biopsy() -> pd.DataFrame:
    """The first 200 complete cases of MASS::biopsy (as make_reference.R): malignant, thick
    (clump thickness 9-10, every one malignant: quasi-complete separation), V3, V6."""
    d = biopsy().dropna().iloc[:200].copy()
    d["malignant"] = (d["class"] == "malignant").astype(int)
    d["thick"] = (d["V1"] >= 9).astype(int)
    return d


@pytest.fixture(scope="module")
def fit():
    return hs.lrm(FORMULA, _biopsy(), firth=True)


def test_biopsy_sample_separates_by_thick():
    with pytest.warns(hs.SeparationWarning, match="quasi-complete separation by 'thick'"):
        ml = hs.lrm(FORMULA, _biopsy())
    assert ml.separation.columns == ["thick"]


def test_penalised_profile_against_stored_r_biopsy(fit):
    """Estimates: brglm2 (AS_mean, epsilon 1e-14); limits and p: R's BFGS (reltol 1e-16, the
    analytic modified score) and uniroot (tol 1e-12) on l*(b) written out. Both sides solve the
    same equations to ~1e-10; 1e-6 leaves room for optim's own stopping rule."""
    ref = pd.read_csv(REF / "firth_profile_biopsy.csv")
    assert list(fit.coef.index) == ["Intercept", "thick", "V3", "V6"]
    np.testing.assert_allclose(fit.coef, ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=1e-8)
    np.testing.assert_allclose(
        fit.stats["penalised_loglik"], ref["penalised_loglik"][0], rtol=1e-10
    )
    prof = fit.penalised_profile()
    assert prof.notes == () and set(prof.ci_method) == {"profile"}
    np.testing.assert_allclose(prof.ci_low, ref["ci_low"], rtol=1e-6)
    np.testing.assert_allclose(prof.ci_high, ref["ci_high"], rtol=1e-6)
    np.testing.assert_allclose(prof.p_value, ref["p"], rtol=1e-6)
    ors = fit.odds_ratios(method="profile").set_index("term")
    np.testing.assert_allclose(ors.loc["thick", "ci_high"], np.exp(ref["ci_high"][1]), rtol=1e-6)


@pytest.mark.r
@pytest.mark.filterwarnings("ignore:R. non-integer")  # brglm2's start-up glm on adjusted responses
def test_firth_biopsy_against_brglm2(fit):
    from hccstats import rbridge

    ref = rbridge.run(
        """d <- na.omit(MASS::biopsy)[1:200, ]
           d$malignant <- as.integer(d$class == "malignant"); d$thick <- as.integer(d$V1 >= 9)
           m <- glm(malignant ~ thick + V3 + V6, data = d, family = binomial,
                    method = brglm2::brglmFit, type = "AS_mean", epsilon = 1e-14, maxit = 500)
           coef(summary(m))"""
    )
    np.testing.assert_allclose(
        fit.to_frame()[["estimate", "se", "z"]].to_numpy(), ref[:, :3], rtol=1e-8
    )


def test_limits_solve_the_profile_equation(fit):
    prof = fit.penalised_profile()
    lmax = fit.stats["penalised_loglik"]
    for j in range(len(fit.coef)):
        for t in (prof.ci_low[j], prof.ci_high[j]):
            ll, _ = restricted_loglik(fit, j, t, fit.coef.to_numpy())
            np.testing.assert_allclose(2 * (lmax - ll), Q95, rtol=1e-8)


def test_unconverged_fit_gets_wald_limits_with_a_note(fit):
    """A Firth fit whose coefficients are not at the maximum (as one that did not converge):
    profiling finds a higher penalised likelihood; the Wald limits of the fit, said in a note."""
    shifted = fit.coef + np.r_[0.0, 0.0, 0.3, 0.0]
    X, y = fit.X, fit.y
    eta = X @ shifted.to_numpy()
    p = 1 / (1 + np.exp(-eta))
    ll = float(np.sum(y * eta - np.logaddexp(0, eta)))
    pen = ll + 0.5 * np.linalg.slogdet((X * (p * (1 - p))[:, None]).T @ X)[1]
    bad = dataclasses.replace(
        fit, coef=shifted, stats={**fit.stats, "penalised_loglik": pen}, converged=False
    )
    prof = bad.penalised_profile()
    assert "wald" in prof.ci_method
    j = prof.ci_method.index("wald")
    z = sps.norm.ppf(0.975)
    np.testing.assert_allclose(
        [prof.ci_low[j], prof.ci_high[j]],
        [bad.coef.iloc[j] - z * bad.se.iloc[j], bad.coef.iloc[j] + z * bad.se.iloc[j]],
    )
    assert any("Wald CI of the penalised fit shown" in n for n in prof.notes)
    ors = bad.odds_ratios(method="profile")  # no exception: the fallback is in the table
    assert np.isfinite(ors[["ci_low", "ci_high"]].to_numpy()).all()


def test_penalised_profile_only_for_firth_fits():
    with pytest.raises(hs.InputError, match="only for Firth fits"):
        hs.lrm("malignant ~ V3", _biopsy()).penalised_profile()


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(12, 40),
    k=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    strength=st.floats(0.5, 20.0),
)
def test_profile_never_raises_and_says_every_limit_it_cannot_find(n, k, seed, strength):
    """Random small data, often separated: every coefficient gets limits that solve the profile
    equation, or an infinite limit or the Wald limits, each with a note; never an exception.
    Also ``test_limits_solve_the_profile_equation`` for the equation itself."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    y = (x @ rng.normal(size=k) * strength + rng.logistic(size=n) > 0).astype(int)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    d = pd.DataFrame(x, columns=[f"x{i}" for i in range(k)]).assign(y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.lrm("y ~ " + " + ".join(d.columns[:k]), d, firth=True)
    prof = fit.penalised_profile()
    lmax = fit.stats["penalised_loglik"]
    for j, term in enumerate(prof.terms):
        limits = (prof.ci_low[j], prof.ci_high[j])
        assert prof.ci_low[j] < fit.coef.iloc[j] < prof.ci_high[j]
        said = [s for s in prof.notes if s.startswith(f"{term}:")]
        if prof.ci_method[j] == "wald" or not np.isfinite(limits).all():
            assert said
        if prof.ci_method[j] == "profile":
            for t in limits:
                if np.isfinite(t):
                    # the penalised likelihood may have several maxima under separation: at a
                    # limit, no restricted fit from the estimate finds a higher one
                    ll, _ = restricted_loglik(fit, j, t, fit.coef.to_numpy())
                    assert 2 * (lmax - ll) >= Q95 * (1 - 1e-6)
        assert 0 <= prof.p_value[j] <= 1


def test_unattainable_limit_is_infinite_with_a_note():
    """100 biopsies (all nine scores, complete separation): along V9 the penalised profile
    stays below the chi2 quantile however far out (a ridge of l*), so its upper limit is not
    attainable: +inf with a note, never an exception; the other limits are found."""
    d = biopsy().dropna().sample(n=100, random_state=5)
    d["malignant"] = (d["class"] == "malignant").astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.lrm("malignant ~ " + " + ".join(f"V{i}" for i in range(1, 10)), d, firth=True)
    prof = fit.penalised_profile()
    j = list(prof.terms).index("V9")
    assert prof.ci_high[j] == np.inf and np.isfinite(prof.ci_low[j])
    assert prof.notes == (
        "V9: the penalised profile likelihood flattens on the upper side; the upper 95% limit "
        "is not attainable (∞ on the log-odds scale).",
    )
    assert np.isfinite(np.delete(np.r_[prof.ci_low, prof.ci_high], len(prof.terms) + j)).all()
    ors = fit.odds_ratios(method="profile").set_index("term")
    assert ors.loc["V9", "ci_high"] == np.inf
