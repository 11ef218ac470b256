"""rms's model language in formulas (rcs, pol, log, sqrt, factor, interactions) and ``anova``,
against rms (``lrm``, ``cph``, ``anova.rms``, ``predict``): stored outputs of
tests/reference/terms/make_reference.R, and live through rpy2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _datasets import birthwt

import hccstats as hs
from hccstats import InputError
from hccstats.logistic import rms_column_names

REF = Path(__file__).parent / "reference" / "terms"
# the same models as make_reference.R (rms takes race as a factor column; here factor(race))
LRM_FORMULA = "low ~ rcs(age, 4) * smoke + log(lwt) + factor(race) + pol(ptl, 2)"
LRM2_FORMULA = "low ~ age * log(lwt) + sqrt(ptl) + smoke"
CPH_FORMULA = (
    "Surv(time, status) ~ rcs(age, 4) * sex + log(Q('wt.loss') + 25) + pol(Q('ph.ecog'), 2)"
)
R_LRM = "low ~ rcs(age, 4) * smoke + log(lwt) + race + pol(ptl, 2)"
R_CPH = "Surv(time, status) ~ rcs(age, 4) * sex + log(wt.loss + 25) + pol(ph.ecog, 2)"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, comment="#")


def _lung() -> pd.DataFrame:
    return _read("lung_complete.csv")


def _by_rms_name(fit) -> pd.Series:
    names = rms_column_names(fit.design_info, fit.data.columns)
    coef = fit.coef.drop("Intercept", errors="ignore")
    return pd.Series(coef.to_numpy(), index=[names[c] for c in coef.index])


def _check_coef(fit, ref: pd.DataFrame, intercept: float | None = None) -> None:
    ref = ref.set_index("term")["coef"]
    got = _by_rms_name(fit)
    if intercept is not None:
        got["Intercept"] = intercept
    assert sorted(got.index) == sorted(ref.index)
    # both maximise the same likelihood to rounding (rms: eps 1e-12): 1e-6 relative with a
    # floor for coefficients near zero
    np.testing.assert_allclose(got[ref.index], ref, rtol=1e-6, atol=1e-8)


def _check_anova(fit, ref: pd.DataFrame) -> None:
    got = hs.anova(fit).to_frame()
    assert got["row"].tolist() == ref["row"].tolist()
    assert got["df"].tolist() == ref["df"].tolist()
    np.testing.assert_allclose(got["statistic"], ref["chisq"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["p_value"], ref["p"], rtol=1e-5, atol=1e-12)


def test_lrm_terms_against_rms_stored():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    _check_coef(fit, _read("lrm_birthwt_coef.csv"), fit.coef["Intercept"] + 0)
    _check_anova(fit, _read("lrm_birthwt_anova.csv"))


def test_lrm_interaction_of_transforms_against_rms_stored():
    fit = hs.lrm(LRM2_FORMULA, birthwt())
    ref = _read("lrm_birthwt2_coef.csv")
    _check_coef(fit, ref, fit.coef["Intercept"])
    _check_anova(fit, _read("lrm_birthwt2_anova.csv"))


def test_lrm_predict_new_data_against_rms_stored():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    ref = _read("lrm_birthwt_predict.csv")
    # knots and levels come from the fitted data, as rms keeps them for predict()
    np.testing.assert_allclose(fit.linear_predictor(ref), ref["lp"], rtol=1e-6, atol=1e-8)


def test_cph_terms_against_rms_stored():
    fit = hs.coxph(CPH_FORMULA, _lung())
    _check_coef(fit, _read("cph_lung_coef.csv"))
    _check_anova(fit, _read("cph_lung_anova.csv"))


def test_cph_predict_new_data_against_rms_stored():
    fit = hs.coxph(CPH_FORMULA, _lung())
    ref = _read("cph_lung_predict.csv")
    got = fit.design(ref) @ fit.coef.to_numpy()
    # rms centres its linear predictor by a constant (fit$center): compare differences
    np.testing.assert_allclose(got - got[0], ref["lp"] - ref["lp"].iloc[0], rtol=1e-6, atol=1e-8)


@pytest.mark.r
def test_lrm_and_anova_against_rms_live():
    from hccstats.rbridge import run

    d = birthwt()
    fit = hs.lrm(LRM_FORMULA, d)
    code = (
        "suppressMessages(library(rms)); d$race <- factor(d$race); "
        f"f <- lrm({R_LRM}, data = d, tol = 1e-14, eps = 1e-12, maxit = 50); "
        "a <- anova(f); nd$race <- factor(nd$race, levels = levels(d$race)); "
        "list(coef = coef(f), names = names(coef(f)), rows = rownames(a), "
        "chisq = unname(a[, 1]), df = unname(a[, 2]), lp = unname(predict(f, nd)))"
    )
    new = _read("lrm_birthwt_predict.csv").drop(columns="lp")
    r = run(code, d=d, nd=new)
    # R's predict on new data: knots and levels of the fitted data
    np.testing.assert_allclose(fit.linear_predictor(new), np.asarray(r["lp"], float), rtol=1e-6)
    ref = pd.DataFrame({"term": list(r["names"]), "coef": np.asarray(r["coef"], float)})
    _check_coef(fit, ref, fit.coef["Intercept"])
    got = hs.anova(fit).to_frame()
    assert got["row"].tolist() == list(r["rows"])
    np.testing.assert_allclose(got["statistic"], np.asarray(r["chisq"], float), rtol=1e-6)


@pytest.mark.r
def test_cph_and_anova_against_rms_live():
    from hccstats.rbridge import run

    lu = _lung()
    fit = hs.coxph(CPH_FORMULA, lu)
    code = (
        "suppressMessages(library(rms)); "
        f"f <- cph({R_CPH}, data = d, eps = 1e-12, tol = 1e-13, iter.max = 100); "
        "a <- anova(f); list(coef = coef(f), names = names(coef(f)), rows = rownames(a), "
        "chisq = unname(a[, 1]), df = unname(a[, 2]))"
    )
    r = run(code, d=lu)
    ref = pd.DataFrame({"term": list(r["names"]), "coef": np.asarray(r["coef"], float)})
    _check_coef(fit, ref)
    got = hs.anova(fit).to_frame()
    assert got["row"].tolist() == list(r["rows"])
    np.testing.assert_allclose(got["statistic"], np.asarray(r["chisq"], float), rtol=1e-6)


def test_unknown_function_is_named():
    with pytest.raises(InputError, match=r"unknown function 'spline'.*functions: .*rcs"):
        hs.lrm("low ~ spline(age)", birthwt())


def test_unknown_name_is_named_with_the_columns():
    with pytest.raises(InputError, match=r"unknown name 'agge'.*columns: .*age"):
        hs.lrm("low ~ log(agge)", birthwt())


def test_explicit_knots_equal_default_knots_given_by_hand():
    d = birthwt()
    auto = hs.lrm("low ~ rcs(age, 4)", d)
    knots = list(hs.rcs_knots(d["age"], 4))
    given = hs.lrm(f"low ~ rcs(age, {knots})", d)
    np.testing.assert_allclose(given.coef.to_numpy(), auto.coef.to_numpy(), rtol=1e-12)


def test_pol_columns_equal_i_terms():
    d = birthwt()
    a = hs.lrm("low ~ pol(lwt, 2)", d)
    b = hs.lrm("low ~ lwt + I(lwt ** 2)", d)
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), rtol=1e-9)


def test_interaction_without_main_effect_has_no_anova():
    fit = hs.lrm("low ~ age + age:smoke", birthwt())
    with pytest.raises(InputError, match="main effect 'smoke'"):
        hs.anova(fit)


def test_interaction_of_two_splines_has_no_anova():
    fit = hs.lrm("low ~ rcs(age, 3) * rcs(lwt, 3)", birthwt())
    with pytest.raises(InputError, match="of two nonlinear terms is not supported"):
        hs.anova(fit)


def test_anova_total_equals_global_wald_test():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    b = fit.coef.drop("Intercept").to_numpy()
    V = fit.cov.drop(index="Intercept", columns="Intercept").to_numpy()
    total = hs.anova(fit).to_frame().set_index("row").loc["TOTAL"]
    assert total["statistic"] == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-10)
    assert total["df"] == len(b)
