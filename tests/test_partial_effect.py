"""partial_effect: odds / hazard ratio against one predictor with its band, against
rms::Predict(ref.zero = TRUE, fun = exp) (stored by tests/reference/terms/make_reference.R, and
live)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _datasets import birthwt

import hccstats as hs
from hccstats import InputError

matplotlib.use("Agg")

REF = Path(__file__).parent / "reference" / "terms"
LRM_FORMULA = "low ~ rcs(age, 4) * smoke + log(lwt) + factor(race) + pol(ptl, 2)"
CPH_FORMULA = (
    "Surv(time, status) ~ rcs(age, 4) * sex + log(Q('wt.loss') + 25) + pol(Q('ph.ecog'), 2)"
)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, comment="#")


def _compare(pe, ref: pd.DataFrame, variable: str) -> None:
    got = pe.to_frame()
    # default grid: datadist's prediction limits (type-7 quantiles), 200 points (seq)
    np.testing.assert_allclose(got[variable].to_numpy(float), ref[variable], rtol=1e-12)
    for mine, r in (("estimate", "yhat"), ("ci_low", "lower"), ("ci_high", "upper")):
        # the same coefficients (1e-6, both converged to rounding) and covariance
        np.testing.assert_allclose(got[mine], ref[r], rtol=1e-6)


def test_odds_ratio_against_rms_predict_default_grid_stored():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    pe = hs.partial_effect(fit, "age")
    assert pe.reference == 23 and pe.ratio == "odds ratio"
    _compare(pe, _read("lrm_birthwt_predict_age.csv"), "age")


def test_odds_ratio_of_a_log_term_at_given_values_against_rms_stored():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    ref = _read("lrm_birthwt_predict_lwt.csv")
    _compare(hs.partial_effect(fit, "lwt", ref["lwt"].tolist()), ref, "lwt")


def test_hazard_ratio_against_rms_predict_cph_stored():
    fit = hs.coxph(CPH_FORMULA, _read("lung_complete.csv"))
    pe = hs.partial_effect(fit, "age")
    assert pe.ratio == "hazard ratio"
    _compare(pe, _read("cph_lung_predict_age.csv"), "age")


@pytest.mark.r
def test_odds_ratio_against_rms_predict_live():
    from hccstats.rbridge import run

    d = birthwt()
    fit = hs.lrm(LRM_FORMULA, d)
    values = [15.0, 18.0, 22.0, 27.0, 35.0, 44.0]
    r = run(
        "suppressMessages(library(rms)); d$race <- factor(d$race); "
        "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); f <- lrm(low ~ rcs(age, 4) * smoke + log(lwt) + race + "
        "pol(ptl, 2), data = d, tol = 1e-14, eps = 1e-12, maxit = 50); "
        "p <- as.data.frame(Predict(f, age = v, smoke = 1, ref.zero = TRUE, fun = exp)); "
        "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); data.frame(age = p$age, yhat = p$yhat, lower = p$lower, "
        "upper = p$upper)",
        d=d,
        v=np.asarray(values),
    )
    pe = hs.partial_effect(fit, "age", values, at={"smoke": 1})
    _compare(pe, r, "age")


def test_plot_draws_band_and_reference_line():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    fig = hs.partial_effect(fit, "age", label="Age (years)").plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Age (years)" and ax.get_yscale() == "log"
    assert len(ax.collections) == 1 and len(ax.lines) == 2  # band; curve and OR = 1


def test_unknown_variable_is_named():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    with pytest.raises(InputError, match=r"'ht' is not a variable of the model \(variables: "):
        hs.partial_effect(fit, "ht")


def test_ratio_axis_has_plain_number_ticks_within_the_band():
    fit = hs.lrm(LRM_FORMULA, birthwt())
    fig = hs.partial_effect(fit, "age").plot()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    ticks = ax.get_yticks()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) >= 3 and all(lo <= t <= hi for t in ticks)
    assert labels == [f"{t:g}" for t in ticks]  # 0.5, 1, 2: no powers of ten
    assert not ax.yaxis.get_minor_ticks() or not any(
        t.label1.get_visible() and t.label1.get_text() for t in ax.yaxis.get_minor_ticks()
    )


@pytest.mark.r
def test_numeric_column_entered_as_factor_runs_over_its_levels_against_rms_predict():
    """factor(race) of a numeric column: the levels, the most frequent one as reference, as
    rms's Predict of the factor column (R: race made a factor, as the model reads it)."""
    from hccstats.rbridge import run

    d = birthwt()
    fit = hs.lrm(LRM_FORMULA, d)
    pe = hs.partial_effect(fit, "race")
    assert pe.to_frame()["race"].tolist() == [1, 2, 3]
    assert pe.reference == d["race"].mode().iloc[0]
    r = run(
        "suppressMessages(library(rms)); d$race <- factor(d$race); "
        "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); "
        "f <- lrm(low ~ rcs(age, 4) * smoke + log(lwt) + race + pol(ptl, 2), data = d, "
        "tol = 1e-14, eps = 1e-12, maxit = 50); "
        "p <- as.data.frame(Predict(f, race = c('1', '2', '3'), ref.zero = TRUE, fun = exp)); "
        "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); "
        "data.frame(yhat = p$yhat, lower = p$lower, upper = p$upper)",
        d=d,
    )
    got = pe.to_frame()
    for mine, theirs in (("estimate", "yhat"), ("ci_low", "lower"), ("ci_high", "upper")):
        np.testing.assert_allclose(got[mine], r[theirs], rtol=1e-6)


@pytest.mark.r
def test_few_valued_numeric_columns_adjusted_as_datadist_against_rms_predict_live():
    """datadist's "Adjust to" of a numeric column with three distinct values is the middle one
    (pbc's edema: 0, 0.5, 1 -> 0.5, not the median 0), with two the lowest, and the default
    grid of a column with at most ten distinct values is those values: the hazard ratios of
    an interaction with such a column equal rms's Predict (ref.zero) live."""
    from hccstats._partial import adjust_to_values
    from hccstats.rbridge import run
    from tests._survival_data import pbc

    d = pbc().dropna(subset=["age", "sex", "edema"])[["time", "death", "age", "sex", "edema"]]
    d = d.assign(sex=pd.Categorical(d["sex"], categories=["m", "f"]), two=(d["age"] > 50) * 1.0)
    fit = hs.coxph("Surv(time, death) ~ rcs(age, 3) + sex * edema + two", d)
    adjust = adjust_to_values(d, ["edema", "two", "age"])
    assert adjust["edema"] == 0.5 and float(d["edema"].median()) == 0.0
    assert adjust["two"] == 0.0 and float(d["two"].median()) == 1.0
    r = run(
        "suppressMessages(library(rms)); "
        "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); "
        "f <- cph(Surv(time, death) ~ rcs(age, 3) + sex * edema + two, data = d, eps = 1e-12); "
        "p <- as.data.frame(Predict(f, edema, ref.zero = TRUE, fun = exp)); "
        "q <- as.data.frame(Predict(f, sex, ref.zero = TRUE, fun = exp)); "
        "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); "
        "list(x = p$edema, yhat = p$yhat, lower = p$lower, upper = p$upper, "
        "sex = as.character(q$sex), syhat = q$yhat)",
        d=d,
    )
    pe = hs.partial_effect(fit, "edema").to_frame()
    np.testing.assert_allclose(pe["edema"], np.asarray(r["x"], float), rtol=1e-9)
    for mine, theirs in (("estimate", "yhat"), ("ci_low", "lower"), ("ci_high", "upper")):
        np.testing.assert_allclose(pe[mine], np.asarray(r[theirs], float), rtol=1e-6)
    ps = hs.partial_effect(fit, "sex").to_frame().set_index("sex")["estimate"]
    theirs = dict(zip(r["sex"], np.asarray(r["syhat"], float)))
    np.testing.assert_allclose([ps[k] for k in theirs], list(theirs.values()), rtol=1e-6)
