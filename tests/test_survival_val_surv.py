"""val_surv (O/E, calibration slope, flexible calibration curve with ICI/E50/E90/Emax) and
CoxFit.predict_risk against R: survival's coxph, survfit and summary, rms's cph with rcs and
survest, written out as McLernon et al. (2023) and Austin, Harrell & van Klaveren (2020) do
in their published R code; on a development and a validation part of survival::pbc and on
survival::lung with follow-up cut at the horizon."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from tests._survival_data import PBC_FORMULA, PBC_HORIZON, lung, pbc_split

PBC_COLUMNS = ["time", "death", "age", "bili", "albumin", "edema"]

# The development model refitted in R and predicted on d; then, as McLernon et al.'s code:
# O/E with exp(+/- z sqrt(1 / events)), coxph on lp, and Austin et al.'s cph(rcs(cll, 3)) with
# survest. cph's eps = 1e-11, tol = 1e-13 (rms's default eps 1e-4 stops ~1e-5 from the maximum); the
# predictions use cll = log(-log(S)) (1 - S rounds to 1 for the sickest pbc patient).
R_VAL_SURV = """suppressPackageStartupMessages(library(rms))
options(datadist = NULL)
ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
fit <- coxph(Surv(time, death) ~ age + log(bili) + log(albumin) + edema, data = dev,
             control = ctl)
S <- as.vector(summary(survfit(fit, newdata = d), times = t)$surv)
d$pred <- 1 - S
d$lp <- predict(fit, newdata = d, type = "lp")
d$cll <- log(-log(S))
obj <- summary(survfit(Surv(time, death) ~ 1, data = d), times = t)
OE <- (1 - obj$surv) / mean(d$pred)
g <- coxph(Surv(time, death) ~ lp, data = d, control = ctl)
vcal <- cph(Surv(time, death) ~ rcs(cll, 3), data = d, x = TRUE, y = TRUE, surv = TRUE,
            eps = 1e-11, tol = 1e-13)
obs <- 1 - survest(vcal, times = t, newdata = d)$surv
ad <- abs(d$pred - obs)
list(measures = c(OE, OE * exp(c(-1, 1) * qnorm(0.975) * sqrt(1 / obj$n.event)), coef(g),
                  sqrt(vcov(g)), mean(ad), quantile(ad, c(0.5, 0.9)), max(ad), obj$n.event,
                  1 - obj$surv, mean(d$pred)),
     pred = d$pred, obs = obs, knots = attr(rcs(d$cll, 3), "parms"))
"""


def _measures(v):
    return [
        v.oe,
        *v.oe_ci,
        v.slope,
        v.slope_se,
        v.ici,
        v.e50,
        v.e90,
        v.emax,
        v.n_events,
        v.observed,
        v.expected,
    ]


@pytest.fixture(scope="module")
def pbc_fit():
    dev, val = pbc_split()
    return hs.coxph(PBC_FORMULA, dev), dev, val


@pytest.mark.r
@pytest.mark.parametrize("part", ["development", "validation"])
def test_val_surv_against_r_survival_and_rms(pbc_fit, part):
    from hccstats.rbridge import run

    fit, dev, val = pbc_fit
    d = dev if part == "development" else val
    v = hs.val_surv(fit, None if part == "development" else val, times=PBC_HORIZON)
    r = run(R_VAL_SURV, dev=dev[PBC_COLUMNS], d=d[PBC_COLUMNS], t=PBC_HORIZON)
    # both fits converged to ~1e-12: 1e-8 relative (1e-9 absolute for values near 0)
    np.testing.assert_allclose(_measures(v), r["measures"], rtol=1e-8, atol=1e-9)
    order = np.argsort(r["pred"], kind="stable")
    np.testing.assert_allclose(v.curve["predicted"], r["pred"][order], rtol=1e-8)
    np.testing.assert_allclose(v.curve["observed"], r["obs"][order], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(v.knots, r["knots"], rtol=1e-10)


@pytest.mark.r
def test_predict_risk_against_survfit_and_survest(pbc_fit):
    # the development model's risk at 1 and 5 years for the validation patients
    from hccstats.rbridge import run

    fit, dev, val = pbc_fit
    r = run(
        """suppressPackageStartupMessages(library(rms))
        fit <- coxph(Surv(time, death) ~ age + log(bili) + log(albumin) + edema, data = dev,
                     control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
        options(datadist = NULL)
        f2 <- cph(Surv(time, death) ~ age + log(bili) + log(albumin) + edema, data = dev,
                  x = TRUE, y = TRUE, surv = TRUE, eps = 1e-11, tol = 1e-13)
        sapply(c(365, 1826), function(t) c(
          1 - as.vector(summary(survfit(fit, newdata = val), times = t)$surv),
          1 - survest(f2, newdata = val, times = t)$surv))""",
        dev=dev[PBC_COLUMNS],
        val=val[PBC_COLUMNS],
    )
    n = len(val)
    for j, t in enumerate([365.0, 1826.0]):
        got = fit.predict_risk(val, times=t)
        np.testing.assert_allclose(got, r[:n, j], rtol=1e-8)  # survival::survfit(fit, newdata)
        np.testing.assert_allclose(got, r[n:, j], rtol=1e-8)  # rms::survest(cph, newdata)


@pytest.mark.r
def test_val_surv_with_the_horizon_at_the_last_follow_up_against_r():
    # lung cut at 365 days: everyone event-free then is censored at 365, the last time
    from hccstats.rbridge import run

    d = lung()
    d["death"] = np.where(d["time"] > 365, 0, d["death"])
    d["time"] = np.minimum(d["time"], 365.0)
    fit = hs.coxph("Surv(time, death) ~ age + sex + ph_ecog", d)
    v = hs.val_surv(fit, times=365.0)
    r = run(
        R_VAL_SURV.replace(
            "age + log(bili) + log(albumin) + edema, data = dev", "age + sex + ph_ecog, data = d"
        ),
        d=d[["time", "death", "age", "sex", "ph_ecog"]],
        t=365.0,
    )
    np.testing.assert_allclose(_measures(v), r["measures"], rtol=1e-8, atol=1e-9)


def test_val_surv_from_risks_equals_val_surv_from_the_fit(pbc_fit):
    fit, _, val = pbc_fit
    a = hs.val_surv(fit, val, times=PBC_HORIZON)
    risk = fit.predict_risk(val, times=PBC_HORIZON)
    b = hs.val_surv(time=val["time"], event=val["death"], risk=risk, times=PBC_HORIZON)
    # cloglog(risk) = log H0(t) + lp: the slope on it equals the slope on lp
    np.testing.assert_allclose(_measures(a), _measures(b), rtol=1e-9)
    frame = a.to_frame()
    assert list(frame["measure"]) == ["oe", "slope", "ici", "e50", "e90", "emax"]
    assert frame["ci_low"].notna().sum() == 2 and (frame["times"] == PBC_HORIZON).all()
    assert "Calibration at 1826" in repr(a)


def test_val_surv_bad_input(pbc_fit):
    fit, _, val = pbc_fit
    t, e = val["time"], val["death"]
    with pytest.raises(InputError, match="not strictly between 0 and 1"):
        hs.val_surv(time=t, event=e, risk=np.r_[1.0, np.full(len(val) - 1, 0.3)], times=1000)
    with pytest.raises(InputError, match="after the last follow-up"):
        hs.val_surv(fit, val, times=10000)
    with pytest.raises(InputError, match="either a fit"):
        hs.val_surv(fit, time=t, event=e, risk=np.full(len(val), 0.3), times=1000)
    with pytest.raises(InputError, match="no events by"):
        hs.val_surv(time=t, event=e, risk=np.full(len(val), 0.3), times=1.0)
    with pytest.raises(InputError, match="not a column of data"):
        hs.val_surv(fit, val.drop(columns="time"), times=1000)
