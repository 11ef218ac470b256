"""One result protocol: LogisticFit and CoxFit share RegressionFit; every result has to_frame().

The numbers themselves are checked against R in the tests of each module; here the shapes and
the identities between the ways of asking for the same number.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats._fitbase import FRAME_COLUMNS, RegressionFit
from hccstats.calibration import HosmerLemeshowTest, LeCessieTest, hosmer_lemeshow, le_cessie
from hccstats.demo import example_cohort

REF = Path(__file__).parent / "reference" / "survival"


def _lung():
    """R's survival::lung as stored for the survival references (status 2 = death)."""
    d = pd.read_csv(REF / "lung.csv", comment="#").dropna()
    d.columns = [c.replace(".", "_") for c in d.columns]
    return d


@pytest.fixture(scope="module")
def fits():
    d = example_cohort()
    s = _lung()
    return {
        "logistic": (hs.lrm("recurrence ~ age + mvi + np.log(afp)", d), d.iloc[:7]),
        "cox": (hs.coxph("Surv(time, status) ~ C(sex) + age + ph_ecog", s), s.iloc[:7]),
        "cox_robust": (
            hs.coxph("Surv(time, status) ~ C(sex) + age + ph_ecog", s, robust=True),
            s.iloc[:7],
        ),
    }


KINDS = ["logistic", "cox", "cox_robust"]


@pytest.mark.parametrize("kind", KINDS)
def test_both_fits_share_the_base_and_its_shapes(fits, kind):
    fit, new = fits[kind]
    assert isinstance(fit, RegressionFit)
    k = fit.coef.size
    for name in ("se", "z", "p_values"):
        s = getattr(fit, name)
        assert isinstance(s, pd.Series) and list(s.index) == list(fit.coef.index), name
    ci = fit.conf_int(0.9)
    assert list(ci.columns) == ["ci_low", "ci_high"] and ci.shape == (k, 2)
    for scale in ("coef", "exp"):
        tab = fit.to_frame(scale=scale)
        assert list(tab.columns) == FRAME_COLUMNS and len(tab) == k
        assert list(tab["term"]) == list(fit.coef.index)
    assert isinstance(fit.summary(), str) and fit.summary()
    assert fit.linear_predictor().shape == (fit.X.shape[0],)
    assert fit.linear_predictor(new).shape == (len(new),)


@pytest.mark.parametrize("kind", KINDS)
def test_to_frame_is_the_coefficients_their_se_and_wald_limits(fits, kind):
    fit, _ = fits[kind]
    tab = fit.to_frame(conf_level=0.9).set_index("term")
    np.testing.assert_array_equal(tab["estimate"], fit.coef)
    np.testing.assert_array_equal(tab["se"], fit.se)
    np.testing.assert_allclose(tab["z"], fit.coef / fit.se, rtol=1e-14)
    np.testing.assert_array_equal(tab["p_value"], fit.p_values)
    np.testing.assert_array_equal(tab[["ci_low", "ci_high"]], fit.conf_int(0.9))
    # Wald limits: estimate -/+ z_(0.95) se
    half = 1.6448536269514722 * fit.se
    np.testing.assert_allclose(tab["ci_high"] - tab["estimate"], half, rtol=1e-12)
    np.testing.assert_allclose(tab["estimate"] - tab["ci_low"], half, rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_exp_scale_is_exp_of_the_coefficient_scale(fits, kind):
    fit, _ = fits[kind]
    coef, ratio = fit.to_frame(0.95), fit.to_frame(0.95, scale="exp")
    for col in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(ratio[col], np.exp(coef[col]), rtol=1e-14, err_msg=col)
    for col in ("term", "se", "z", "p_value"):
        pd.testing.assert_series_equal(ratio[col], coef[col])


def test_exp_scale_matches_odds_and_hazard_ratios(fits):
    lfit, _ = fits["logistic"]
    ors = lfit.odds_ratios().set_index("term")
    tab = lfit.to_frame(scale="exp").set_index("term").loc[ors.index]
    cols = ["estimate", "ci_low", "ci_high"]
    np.testing.assert_allclose(tab[cols], ors[cols], rtol=1e-14)
    cfit, _ = fits["cox_robust"]
    hrs = cfit.hazard_ratios()
    tab = cfit.to_frame(scale="exp")
    pd.testing.assert_frame_equal(hrs, tab[list(hrs.columns)])


def test_profile_limits_through_to_frame_equal_conf_int(fits):
    fit, _ = fits["logistic"]
    tab = fit.to_frame(method="profile").set_index("term")
    np.testing.assert_array_equal(tab[["ci_low", "ci_high"]], fit.conf_int(method="profile"))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_scale_and_method_are_named(fits, kind):
    fit, _ = fits[kind]
    with pytest.raises(InputError, match="scale"):
        fit.to_frame(scale="odds")
    with pytest.raises(InputError, match="method"):
        fit.conf_int(method="bootstrap")
    with pytest.raises(InputError, match="type"):
        fit.predict(type="response")


def test_logistic_predict_types_agree_with_the_methods(fits):
    fit, new = fits["logistic"]
    np.testing.assert_array_equal(fit.predict(new), fit.linear_predictor(new))
    np.testing.assert_array_equal(fit.predict(new, type="risk"), fit.predict_risk(new))
    np.testing.assert_array_equal(fit.predict(type="risk"), fit.predict_risk())
    assert fit.summary() == repr(fit)


@pytest.mark.parametrize("kind", ["cox", "cox_robust"])
def test_cox_predict_types_agree_with_the_methods(fits, kind):
    fit, new = fits[kind]
    lp = fit.linear_predictor(new)
    np.testing.assert_array_equal(fit.predict(new, type="lp"), lp)
    np.testing.assert_array_equal(fit.predict(new, type="relative_risk"), np.exp(lp))
    risk = fit.predict(new, type="risk", times=365.0)
    np.testing.assert_array_equal(risk, fit.predict_risk(new, times=365.0))
    surv = fit.predict(new, type="survival", times=[365.0])[:, 0]
    np.testing.assert_allclose(risk, 1.0 - surv, rtol=1e-14)


def test_cox_old_names_still_work_with_a_deprecation_warning(fits):
    fit, new = fits["cox"]
    with pytest.warns(DeprecationWarning, match="linear_predictor"):
        old = fit.linear_predictors
    np.testing.assert_array_equal(old, fit.linear_predictor())
    with pytest.warns(DeprecationWarning, match="relative_risk"):
        rr = fit.predict(new, type="risk")
    np.testing.assert_array_equal(rr, fit.predict(new, type="relative_risk"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the concordance and val_surv use the new name
        hs.concordance(fit)


def test_survival_results_have_tidy_frames(fits):
    fit, _ = fits["cox"]
    s = _lung()
    zph = hs.cox_zph(fit)
    z = zph.to_frame()
    assert list(z.columns) == ["term", "chisq", "df", "p_value", "transform"]
    assert z["term"].iloc[-1] == "GLOBAL" and (z["transform"] == "km").all()
    pd.testing.assert_frame_equal(z.drop(columns="transform"), zph.table)

    km = hs.survfit(s["time"], s["status"], group=s["sex"])
    k = km.to_frame()
    assert list(k.columns) == ["group", "time", "n_risk", "n_event", "n_censor", "surv"] + [
        "std_err",
        "lower",
        "upper",
    ]
    assert len(k) == sum(len(c) for c in km.curves.values())
    for g, curve in km.curves.items():
        part = k[k["group"] == g].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, curve.reset_index(drop=True))
    assert set(hs.survfit(s["time"], s["status"]).to_frame()["group"]) == {"all"}

    cal = hs.calibrate_cox(fit, 365.0, B=3, m=40, seed=1)
    c = cal.to_frame()
    assert list(c.columns) == ["times", *cal.table.columns] and (c["times"] == 365.0).all()
    pd.testing.assert_frame_equal(c.drop(columns="times"), cal.table)


def test_goodness_of_fit_tests_have_their_own_results(fits):
    fit, _ = fits["logistic"]
    hl = hosmer_lemeshow(fit.y, fit.predict_risk())
    assert isinstance(hl, HosmerLemeshowTest)
    row = hl.to_frame()
    assert row.shape == (1, 6)  # one row, every cell a number or text
    assert row.loc[0, "statistic"] == hl.statistic and row.loc[0, "df"] == 8
    assert row.loc[0, "n_groups"] == len(hl.groups) == 10
    assert list(hl.groups.columns) == [
        "group",
        "n",
        "observed",
        "expected",
        "observed_nonevents",
        "expected_nonevents",
    ]
    o, e = hl.groups["observed"], hl.groups["expected"]
    o0, e0 = hl.groups["observed_nonevents"], hl.groups["expected_nonevents"]
    assert hl.statistic == pytest.approx(float(((o - e) ** 2 / e + (o0 - e0) ** 2 / e0).sum()))
    assert "Hosmer" in repr(hl)

    lc = le_cessie(fit)
    assert isinstance(lc, LeCessieTest)
    row = lc.to_frame()
    assert row.shape == (1, 6)
    assert lc.statistic == pytest.approx((lc.sse - lc.expected) / lc.sd, rel=1e-14)
    assert row.loc[0, "sse"] == lc.sse and row.loc[0, "p_value"] == lc.p_value
    for res in (hl, lc):
        assert all(np.ndim(v) == 0 for v in res.to_frame().iloc[0])


# published models are equations given by a paper, not results of an analysis
NOT_RESULTS = {"PublishedCox", "PublishedLogistic"}


def test_every_public_result_class_has_to_frame():
    import dataclasses
    import inspect

    classes = [getattr(hs, n) for n in hs.__all__ if n not in NOT_RESULTS]
    results = [c for c in classes if inspect.isclass(c) and dataclasses.is_dataclass(c)]
    assert {hs.CoxFit, hs.LogisticFit, hs.CoxZph, hs.CoxCalibration, hs.SurvFit} <= set(results)
    checked = [*results, HosmerLemeshowTest, LeCessieTest]
    missing = [c.__name__ for c in checked if not callable(getattr(c, "to_frame", None))]
    assert missing == []


def test_confidence_interval_frame_uses_the_table_column_names():
    row = hs.ConfidenceInterval(0.1, 0.4, 0.9).to_frame()
    assert row.to_dict("records") == [{"ci_low": 0.1, "ci_high": 0.4, "conf_level": 0.9}]
