"""published_lrm / published_cox: a model applied from its equation, checked against the same
equation written out in R (model.matrix with the factor's levels and rms::rcs at the given
knots), and the validation measures on those risks against rms::val.prob and the survival
measures of val_surv (survival, rms) in R."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from tests._datasets import birthwt_race_labelled
from tests._survival_data import PBC_HORIZON, pbc_split

# A logistic equation as a paper would print it (rounded coefficients), on MASS::birthwt: a
# spline of age at three given knots, log(lwt), race (white the reference) and smoking.
LRM_TERMS = "rcs(age, [17, 23, 30]) + np.log(lwt) + race + smoke"
LRM_COEF = {
    "rcs(age, [17, 23, 30])[0]": -0.02,
    "rcs(age, [17, 23, 30])[1]": 0.015,
    "np.log(lwt)": -1.6,
    "race[T.black]": 1.1,
    "race[T.other]": 0.7,
    "smoke": 0.9,
}
LRM_INTERCEPT = 6.5
R_LRM = """suppressPackageStartupMessages(library(rms))
d$race <- factor(d$race, levels = c("white", "black", "other"))
X <- model.matrix(~ rcs(age, c(17, 23, 30)) + log(lwt) + race + smoke, d)
lp <- drop(X %*% b)
list(lp = lp, p = plogis(lp))
"""

# A Cox equation in the form of the Mayo PBC model (Dickson et al., Hepatology 1989: age,
# log bilirubin, log albumin, log prothrombin time, oedema), with a baseline survival at five
# years and a centre chosen for the check.
COX_COEF = {
    "age": 0.039,
    "log(bili)": 0.871,
    "log(albumin)": -2.53,
    "log(protime)": 2.38,
    "edema": 0.859,
}
S0, CENTRE = 0.774, 5.07
R_COX = """suppressPackageStartupMessages(library(rms))
options(datadist = NULL)
X <- model.matrix(~ age + log(bili) + log(albumin) + log(protime) + edema, d)[, -1]
lp <- drop(X %*% b) - centre
d$pred <- 1 - s0^exp(lp)
d$cll <- log(-log(1 - d$pred))
ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
obj <- summary(survfit(Surv(time, death) ~ 1, data = d), times = t)
OE <- (1 - obj$surv) / mean(d$pred)
g <- coxph(Surv(time, death) ~ cll, data = d, control = ctl)
vcal <- cph(Surv(time, death) ~ rcs(cll, 3), data = d, x = TRUE, y = TRUE, surv = TRUE,
            eps = 1e-11, tol = 1e-13)
obs <- 1 - survest(vcal, times = t, newdata = d)$surv
ad <- abs(d$pred - obs)
list(lp = lp, pred = d$pred,
     measures = c(OE, OE * exp(c(-1, 1) * qnorm(0.975) * sqrt(1 / obj$n.event)), coef(g),
                  sqrt(vcov(g)), mean(ad), quantile(ad, c(0.5, 0.9)), max(ad)),
     observed = c(obj$n.event, 1 - obj$surv, mean(d$pred)))
"""


def _val_surv_numbers(v) -> list[float]:
    """val_surv's measures in the order R_COX lists them."""
    return [v.oe, *v.oe_ci, v.slope, v.slope_se, v.ici, v.e50, v.e90, v.emax]


@pytest.fixture(scope="module")
def birthwt():
    return birthwt_race_labelled()


@pytest.fixture(scope="module")
def pbc_external():
    """The 106 pbc patients outside the trial, those with prothrombin time known."""
    return pbc_split()[1].dropna(subset=["protime"]).reset_index(drop=True)


def _lrm():
    return hs.published_lrm(
        LRM_INTERCEPT, LRM_COEF, formula=LRM_TERMS, levels={"race": ["white", "black", "other"]}
    )


def _cox():
    return hs.published_cox(COX_COEF, times=PBC_HORIZON, baseline_survival=S0, centre=CENTRE)


@pytest.mark.r
def test_published_lrm_against_the_equation_and_val_prob_in_r(birthwt):
    from hccstats.rbridge import run
    from hccstats.rbridge.rms_validation import val_prob_r

    m = _lrm()
    b = [LRM_INTERCEPT, *LRM_COEF.values()]  # model.matrix's column order is the same
    cols = ["age", "lwt", "race", "smoke"]
    r = run(R_LRM, d=birthwt[cols].assign(race=birthwt["race"].astype(str)), b=np.array(b))
    # one matrix product of the same numbers: equal to rounding
    np.testing.assert_allclose(m.predict(birthwt), r["lp"], rtol=1e-12, atol=1e-12)
    risk = m.predict_risk(birthwt)
    np.testing.assert_allclose(risk, r["p"], rtol=1e-12)
    expected = val_prob_r(birthwt["low"], r["p"])
    got = hs.val_prob(birthwt["low"], risk).to_series()
    # val_prob against rms's val.prob: 1e-6, as tests/test_val_prob.py
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-6, equal_nan=True)


@pytest.mark.r
def test_published_cox_against_the_equation_and_survival_measures_in_r(pbc_external):
    from hccstats.rbridge import run

    d = pbc_external
    m = _cox()
    cols = ["time", "death", "age", "bili", "albumin", "protime", "edema"]
    r = run(
        R_COX, d=d[cols], b=np.array(list(COX_COEF.values())), s0=S0, centre=CENTRE,
        t=PBC_HORIZON,
    )  # fmt: skip
    np.testing.assert_allclose(m.predict(d), r["lp"], rtol=1e-12, atol=1e-12)
    risk = m.predict_risk(d, times=PBC_HORIZON)
    np.testing.assert_allclose(risk, r["pred"], rtol=1e-12)
    v = hs.val_surv(time=d["time"], event=d["death"], risk=risk, times=PBC_HORIZON)
    # the tolerances of tests/test_survival_val_surv.py: fits converged to ~1e-12
    np.testing.assert_allclose(_val_surv_numbers(v), r["measures"], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose([v.n_events, v.observed, v.expected], r["observed"], rtol=1e-10)


def test_published_cox_equals_a_coxph_fit_written_as_an_equation(pbc_external):
    # a fitted model, given as its coefficients and S0 at the horizon for lp centred at the
    # means, predicts what the fit predicts
    dev = pbc_split()[0]
    fit = hs.coxph("Surv(time, death) ~ age + np.log(bili) + C(edema)", dev)
    centre = float(np.sum(fit.coef * fit.means))
    s0 = float(np.exp(-fit.cumulative_hazard([PBC_HORIZON])[0]))
    coef = {k.replace("C(edema)", "edema"): v for k, v in fit.coef.items()}
    m = hs.published_cox(
        coef, times=[365.0, PBC_HORIZON], baseline_survival=[0.9, s0], centre=centre,
        levels={"edema": [0.0, 0.5, 1.0]},
    )  # fmt: skip
    d = pbc_external
    np.testing.assert_allclose(
        m.predict_risk(d, times=PBC_HORIZON), fit.predict_risk(d, times=PBC_HORIZON), rtol=1e-10
    )
    np.testing.assert_allclose(m.predict(d), fit.predict(d), rtol=1e-10, atol=1e-12)


def test_val_surv_from_cloglog_equals_val_surv_from_the_risks(pbc_external):
    # log(-log S0) + lp is log(-log(1 - risk)): the same calibration, also where a risk
    # would round to 1 (there the risk path refuses it)
    m, d = _cox(), pbc_external
    t, e = d["time"], d["death"]
    a = hs.val_surv(time=t, event=e, risk=m.predict_risk(d, times=PBC_HORIZON), times=PBC_HORIZON)
    b = hs.val_surv(time=t, event=e, cloglog=m.cloglog(d, times=PBC_HORIZON), times=PBC_HORIZON)
    np.testing.assert_allclose(_val_surv_numbers(b), _val_surv_numbers(a), rtol=1e-9)
    np.testing.assert_allclose(
        m.cloglog(d, times=PBC_HORIZON),
        np.log(-np.log1p(-m.predict_risk(d, times=PBC_HORIZON))),
        rtol=1e-10,
    )
    with pytest.raises(InputError, match="one of risk and cloglog"):
        hs.val_surv(time=t, event=e, times=PBC_HORIZON)


def test_baseline_cumhaz_is_minus_log_baseline_survival(pbc_external):
    a = _cox().predict_risk(pbc_external, times=PBC_HORIZON)
    b = hs.published_cox(
        COX_COEF, times=PBC_HORIZON, baseline_cumhaz=-np.log(S0), centre=CENTRE
    ).predict_risk(pbc_external, times=PBC_HORIZON)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_formula_defaults_to_the_terms_the_coefficients_name(birthwt):
    m = hs.published_lrm(
        -1.0, {"age": -0.03, "race[T.black]": 1.0, "race[T.other]": 0.5},
        levels={"race": ["white", "black", "other"]},
    )  # fmt: skip
    lp = (
        -1.0
        - 0.03 * birthwt["age"]
        + np.select([birthwt["race"] == "black", birthwt["race"] == "other"], [1.0, 0.5], 0.0)
    )
    np.testing.assert_allclose(m.predict(birthwt), lp, rtol=1e-12)
    assert "logit(p)" in repr(m) and m.coef["Intercept"] == -1.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: hs.published_lrm(1.0, {}), "coef: give the coefficients"),
        (lambda: hs.published_lrm("a", {"age": 1}), "intercept: expected a number"),
        (lambda: hs.published_lrm(1.0, {"age": np.nan}), r"coef\['age'\]: must be finite"),
        (lambda: hs.published_lrm(1.0, {"age": 1}, formula="rcs(age, 3)"), "published knots"),
        (lambda: hs.published_lrm(1.0, {"age": 1}, formula="center(age)"), "from the new data"),
        (lambda: hs.published_lrm(1.0, {"age": 1}, levels={"race": "white"}), "levels"),
        (lambda: hs.published_cox({"age": 1}, times=5), "one of baseline_survival"),
        (
            lambda: hs.published_cox({"age": 1}, times=5, baseline_survival=1.2),
            r"expected values in \(0, 1\]",
        ),
        (
            lambda: hs.published_cox({"age": 1}, times=[1, 5], baseline_survival=0.8),
            "one value per time",
        ),
    ],
)
def test_bad_model_raises_input_error(make, message):
    with pytest.raises(InputError, match=message):
        make()


def test_bad_new_data_raises_input_error_naming_column_and_rows(birthwt, pbc_external):
    m = _lrm()
    with pytest.raises(InputError, match=r"column 'race' has value\(s\) \['asian'\].*\[4\]"):
        m.predict_risk(
            birthwt.assign(race=birthwt["race"].astype(str).where(birthwt.index != 4, "asian"))
        )
    with pytest.raises(
        InputError, match=r"missing values in column\(s\) \['lwt'\]; first row\(s\) \[2\]"
    ):
        m.predict_risk(birthwt.assign(lwt=birthwt["lwt"].where(birthwt.index != 2)))
    with pytest.raises(InputError, match="'smoke'"):
        m.predict_risk(birthwt.drop(columns="smoke"))
    with pytest.raises(InputError, match="no coefficient for"):
        hs.published_lrm(1.0, {"age": 1.0}, formula="age + smoke").predict(birthwt)
    with pytest.raises(InputError, match="given at"):
        _cox().predict_risk(pbc_external, times=365)
    with pytest.raises(InputError, match="missing values"):
        _cox().predict_risk(pbc_split()[1], times=PBC_HORIZON)
