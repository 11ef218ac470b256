"""rcs: restricted cubic splines (knots and design columns of rms::rcs) and lrm with splines."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _calibration_data import birthwt

import hccstats as hs
from hccstats import InputError
from hccstats.logistic._rcs import RcsKnotWarning, rcs_basis, rcs_knots, spline_knots

RMS = "suppressMessages(library(rms)); "


def _sample(kind: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    if kind.startswith("gamma"):
        n = int(kind[5:])
        return np.round(rng.gamma(3.0, 10.0, n), 1)  # ties, as in clinical data
    if kind == "tied_low":  # 40 of 240 at the minimum: a knot of its own (fractied)
        return np.r_[np.zeros(40), np.round(rng.gamma(3.0, 10.0, 200), 2)]
    if kind == "tied_both":
        return np.r_[np.zeros(30), np.full(25, 100.0), rng.uniform(1, 99, 150)]
    raise KeyError(kind)


KINDS = ["gamma30", "gamma99", "gamma100", "gamma400", "tied_low", "tied_both"]


@pytest.mark.r
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_knots_against_rms_live(kind, k):
    from hccstats.rbridge import run

    x = _sample(kind)
    exp = np.asarray(run(RMS + "attr(rcs(x, k), 'parms')", x=x, k=k), float)
    got = rcs_knots(x, k)
    assert got.shape == exp.shape
    # the same order statistics and type-7 interpolation: equal up to rounding of a few ulps
    np.testing.assert_allclose(got, exp, rtol=0, atol=1e-10)


@pytest.mark.r
def test_knots_few_values_against_rms_live():
    from hccstats.rbridge import RWarning, run

    x = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 5)  # 6 distinct values, 5 knots asked
    with pytest.warns(RWarning):
        exp = np.asarray(run(RMS + "attr(rcs(x, 5), 'parms')", x=x), float)
    with pytest.warns(RcsKnotWarning):
        got = rcs_knots(x, 5)
    np.testing.assert_array_equal(got, exp)


@pytest.mark.r
@pytest.mark.parametrize("k", [3, 5, 7])
def test_design_columns_against_rms_live(k):
    from hccstats.rbridge import run

    x = _sample("gamma400")
    exp = np.asarray(run(RMS + "unclass(rcs(x, k))", x=x, k=k), float)
    got = rcs_basis(x, rcs_knots(x, k))
    assert got.shape == exp.shape == (len(x), k - 1)
    # values up to ~1e3: a relative 1e-13 is rounding; 1e-10 absolute is the required tolerance
    np.testing.assert_allclose(got, exp, rtol=0, atol=1e-10)


@pytest.mark.r
def test_design_columns_given_knots_against_rms_live():
    from hccstats.rbridge import run

    x = np.linspace(-3, 12, 61)
    knots = [0.0, 2.5, 4.0, 9.0]
    exp = np.asarray(run(RMS + "unclass(rcs(x, kn))", x=x, kn=np.array(knots)), float)
    np.testing.assert_allclose(rcs_basis(x, knots), exp, rtol=0, atol=1e-10)


@pytest.mark.r
def test_lrm_rcs_coefficients_against_rms_live():
    from hccstats.rbridge import run

    d = birthwt()
    fit = hs.lrm("low ~ rcs(lwt, 4) + smoke + rcs(age, 3)", d)
    r = run(
        RMS + "f <- lrm(low ~ rcs(lwt, 4) + smoke + rcs(age, 3), data = d); "
        "list(coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))), "
        "kl = f$Design$parms$lwt, ka = f$Design$parms$age, "
        "p = unname(predict(f, newdata = nd, type = 'fitted')), lr = unname(f$stats['Model L.R.']))",
        d=d[["low", "lwt", "smoke", "age"]],
        nd=pd.DataFrame({"lwt": [90.0, 130.0, 210.0], "smoke": [0, 1, 0], "age": [17, 25, 40]}),
    )
    knots = spline_knots(fit.design_info)
    np.testing.assert_allclose(knots["rcs(lwt, 4)"], r["kl"], atol=1e-10)
    np.testing.assert_allclose(knots["rcs(age, 3)"], r["ka"], atol=1e-10)
    # Newton-Raphson to convergence on both sides (rms's lrm.fit: tol 1e-9 on the change in
    # deviance): coefficients agree to ~1e-8 relative; 1e-6 leaves room for the stopping rules
    np.testing.assert_allclose(fit.coef.to_numpy(), r["coef"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit.se.to_numpy(), r["se"], rtol=1e-6)
    np.testing.assert_allclose(fit.stats["lr_chi2"], r["lr"], rtol=1e-8)
    # new patients are evaluated at the fitted knots (stateful transform)
    new = pd.DataFrame({"lwt": [90.0, 130.0, 210.0], "smoke": [0, 1, 0], "age": [17, 25, 40]})
    np.testing.assert_allclose(fit.predict_risk(new), r["p"], rtol=1e-6)


def test_rcs_columns_are_one_term():
    fit = hs.lrm("low ~ rcs(lwt, 4) + smoke", birthwt())
    assert fit.term_columns["rcs(lwt, 4)"] == ["rcs(lwt, 4)[0]", "rcs(lwt, 4)[1]", "rcs(lwt, 4)[2]"]
    # the first column is x itself (rms: the linear part)
    np.testing.assert_array_equal(fit.X[:, 1], birthwt()["lwt"].to_numpy(float))


def test_rcs_given_knots_in_formula():
    fit = hs.lrm("low ~ rcs(lwt, [100, 120, 150, 200]) + smoke", birthwt())
    np.testing.assert_array_equal(
        spline_knots(fit.design_info)["rcs(lwt, [100, 120, 150, 200])"], [100, 120, 150, 200]
    )


def test_rcs_basis_is_linear_beyond_outer_knots():
    # the defining property of a restricted (natural) cubic spline: linear tails
    t = np.array([1.0, 3.0, 4.0, 8.0, 10.0])
    x = np.array([10.0, 11.0, 12.0, 13.0])
    b = rcs_basis(x, t)
    np.testing.assert_allclose(np.diff(b, n=2, axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(rcs_basis(np.array([0.0, 1.0]), t)[:, 1:], 0.0)


def test_rcs_input_errors():
    with pytest.raises(InputError, match=r"rcs\(x\).*at least 6"):
        rcs_knots([1.0, 2.0, 3.0], 3)
    with pytest.raises(InputError, match="integer >= 3"):
        rcs_knots(np.arange(50.0), 2)
    with pytest.raises(InputError, match="fewer than 3 distinct knots"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rcs_knots(np.r_[np.zeros(10), np.ones(10), [2.0, 3.0]], 5)
    d = pd.DataFrame({"y": [0, 1] * 3, "lwt": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    with pytest.raises(InputError, match=r"rcs\(lwt\).*at least 6"):
        hs.lrm("y ~ rcs(lwt, 3)", d.iloc[:5])
    with pytest.raises(InputError, match="increasing"):
        rcs_basis([1.0], [3.0, 2.0, 5.0])


def test_rhs_matrix_evaluates_rcs_for_any_model_family():
    import patsy

    from hccstats.logistic._design import rhs_matrix

    d = birthwt()
    desc = patsy.ModelDesc.from_formula("Surv(time, event) ~ rcs(lwt, 3) + smoke")
    X = rhs_matrix("Surv(time, event) ~ rcs(lwt, 3) + smoke", desc, d)
    assert list(X.columns) == ["Intercept", "rcs(lwt, 3)[0]", "rcs(lwt, 3)[1]", "smoke"]
    np.testing.assert_allclose(
        X.iloc[:, 1:3].to_numpy(), rcs_basis(d["lwt"], rcs_knots(d["lwt"], 3)), atol=1e-12
    )


@pytest.mark.r
def test_coxph_rcs_coefficients_against_survival_live():
    from hccstats.rbridge import run

    lung = run("d <- survival::lung; d[!is.na(d$ph.ecog), c('time', 'status', 'age', 'sex')]")
    fit = hs.coxph("Surv(time, status) ~ rcs(age, 4) + sex", lung)
    r = run(
        "suppressMessages(library(rms)); f <- survival::coxph(Surv(time, status) ~ rcs(age, 4) + sex, "
        "data = d); list(coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))))",
        d=lung,
    )
    # both Newton-Raphson to convergence on the same design columns (knots to 1e-10)
    np.testing.assert_allclose(fit.coef.to_numpy(), r["coef"], rtol=1e-7)
    np.testing.assert_allclose(fit.se.to_numpy(), r["se"], rtol=1e-7)
