"""coxph against survival::coxph (R, live) on survival's lung, colon and veteran data.

Both fits are driven to full convergence (R: coxph.control(eps = 1e-14, iter.max = 100)), so
coefficients, standard errors, log-likelihoods and the three global tests agree to 1e-8
(relative); what is left is floating-point summation order (~1e-12 seen).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstats import InputError
from hccstats.survival import coxph
from tests._survival_data import r_data

TOL = 1e-8  # relative; both sides fully converged (see module docstring)

# (data, Python formula, R formula): factors first, because patsy puts categorical terms first
CASES = [
    (
        "lung",
        "Surv(time, status) ~ C(sex) + age + ph_ecog + wt_loss",
        "Surv(time, status) ~ factor(sex) + age + ph.ecog + wt.loss",
    ),
    (
        "colon",
        "Surv(time, status) ~ C(rx) + sex + age + obstruct + nodes + C(extent)",
        "Surv(time, status) ~ rx + factor(extent) + sex + age + obstruct + nodes",
    ),
    (
        "veteran",
        "Surv(time, status) ~ C(celltype) + trt + karno + diagtime + age + prior",
        "Surv(time, status) ~ celltype + trt + karno + diagtime + age + prior",
    ),
]

R_FIT = """
suppressPackageStartupMessages(library(survival))
d <- {data}
fit <- survival::coxph({formula}, data = d, ties = ties, robust = robust,
                       control = survival::coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
nd <- d[stats::complete.cases(d[, all.vars(formula(fit))]), ][1:5, ]
sf <- summary(survival::survfit(fit, newdata = nd), times = times, extend = TRUE)
list(coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var))),
     naive_se = unname(sqrt(diag(if (robust) fit$naive.var else fit$var))),
     loglik = fit$loglik, score = fit$score, wald = fit$wald.test,
     rscore = if (robust) fit$rscore else NA_real_,
     conc = unname(fit$concordance), n = fit$n, nevent = fit$nevent,
     lp = unname(predict(fit, newdata = nd, type = "lp")),
     risk = unname(predict(fit, newdata = nd, type = "risk")),
     surv = t(sf$surv), names = names(coef(fit)))
"""

R_DATA = {
    "lung": "survival::lung",
    "veteran": "survival::veteran",
    "colon": "subset(survival::colon, etype == 2)",
}


def _python_fit(name, formula, ties, robust):
    data = r_data(name)
    fit = coxph(formula, data, ties=ties, robust=robust, nan_policy="omit")
    complete = data.dropna(subset=_columns(data, formula))
    return fit, complete.iloc[:5]


def _columns(data, formula):
    return [c for c in data.columns if c in formula.replace("(", " ").replace(")", " ").split()]


def _r_fit(name, formula, ties, robust, times):
    from hccstats.rbridge import run

    code = R_FIT.replace("{data}", R_DATA[name]).replace("{formula}", formula)
    return run(code, ties=ties, robust=robust, times=np.asarray(times, float))


def _rel(a, b):
    """Largest relative difference; values below 1e-3 in size are compared absolutely at that
    scale (veteran's diagtime coefficient is 8e-5: its last 1e-12 are convergence noise)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_coxph_coefficients_tests_and_predictions_against_r_survival(case, ties):
    name, py_formula, r_formula = case
    fit, newdata = _python_fit(name, py_formula, ties, robust=False)
    times = np.quantile(fit.time[fit.event == 1], [0.25, 0.5, 0.75])
    r = _r_fit(name, r_formula, ties, False, times)
    assert len(r["names"]) == fit.coef.size
    assert fit.n == r["n"] and fit.n_events == r["nevent"]
    assert _rel(fit.coef, r["coef"]) < TOL
    assert _rel(fit.se, r["se"]) < TOL
    assert _rel(fit.loglik, r["loglik"]) < TOL
    assert _rel(fit.score_test, r["score"]) < TOL
    assert _rel(fit.wald_test, r["wald"]) < TOL
    # concordance: the pair counts are integers and must be equal; C and its SE to 1e-8
    assert np.array_equal(
        [
            fit.concordance.concordant,
            fit.concordance.discordant,
            fit.concordance.tied_x,
            fit.concordance.tied_y,
            fit.concordance.tied_xy,
        ],
        r["conc"][:5],
    )
    assert _rel([fit.concordance.concordance, fit.concordance.se], r["conc"][5:]) < TOL
    # predictions for new rows: centred lp, risk, survival from the baseline hazard
    assert np.max(np.abs(fit.predict(newdata, type="lp") - r["lp"])) < TOL
    assert _rel(fit.predict(newdata, type="relative_risk"), r["risk"]) < TOL
    surv = fit.predict(newdata, type="survival", times=times)
    assert _rel(surv, r["surv"]) < TOL


@pytest.mark.r
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_coxph_robust_se_and_score_against_r_survival(case):
    name, py_formula, r_formula = case
    fit, _ = _python_fit(name, py_formula, "efron", robust=True)
    r = _r_fit(name, r_formula, "efron", True, [100.0])
    assert _rel(fit.se, r["se"]) < TOL  # robust (sandwich) SE
    assert _rel(fit.naive_se, r["naive_se"]) < TOL
    assert _rel(fit.wald_test, r["wald"]) < TOL  # Wald test on the robust variance, as R
    assert _rel(fit.robust_score, r["rscore"]) < TOL


def test_coxph_table_is_consistent():
    data = _toy()
    fit = coxph("Surv(t, e) ~ x + C(g)", data)
    tab = fit.to_frame()
    hr = fit.to_frame(scale="exp")
    assert list(tab["term"]) == list(fit.coef.index)
    np.testing.assert_allclose(hr["estimate"], np.exp(tab["estimate"]))
    np.testing.assert_allclose(tab["z"], tab["estimate"] / tab["se"])
    assert hr["ci_low"].lt(hr["estimate"]).all() and hr["ci_high"].gt(hr["estimate"]).all()
    assert "Likelihood ratio test" in repr(fit) and "exp(coef)" in repr(fit)
    assert set(fit.tests()["test"]) == {"likelihood ratio", "wald", "score"}
    text = fit.summary()
    assert "Concordance=" in text and "Score (logrank) test" in text and "lower .95" in text
    # survival predictions fall with time and start at 1
    s = fit.predict(data.iloc[:3], type="survival", times=[0.0, 1.0, 5.0, 50.0])
    assert np.all(np.diff(s, axis=1) <= 0) and np.allclose(s[:, 0], 1.0)


def _toy(n=80, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    t = np.round(rng.exponential(np.exp(-0.5 * x) * 10), 1) + 0.1
    e = (rng.uniform(size=n) < 0.7).astype(int)
    return pd.DataFrame({"t": t, "e": e, "x": x, "g": g})


def test_coxph_bad_input_names_the_problem():
    data = _toy()
    with pytest.raises(InputError, match="Surv"):
        coxph("t ~ x", data)
    with pytest.raises(InputError, match="'e'"):
        coxph("Surv(t, e) ~ x", data.assign(e=data["e"] + 5))
    with pytest.raises(InputError, match="negative"):
        coxph("Surv(t, e) ~ x", data.assign(t=-data["t"]))
    with pytest.raises(InputError, match="missing values"):
        coxph("Surv(t, e) ~ x", data.assign(x=np.where(data.index == 3, np.nan, data["x"])))
    with pytest.raises(InputError, match="constant"):
        coxph("Surv(t, e) ~ x + k", data.assign(k=1.0))
    with pytest.raises(InputError, match="no events"):
        coxph("Surv(t, e) ~ x", data.assign(e=0))
    with pytest.raises(InputError, match="ties"):
        coxph("Surv(t, e) ~ x", data, ties="exact")


def test_coxph_warns_when_a_coefficient_diverges():
    # every death in x = 1 happens before any in x = 0: the partial likelihood rises without
    # bound in beta (R: "Loglik converged before variable 1; coefficient may be infinite")
    from hccstats import ConvergenceWarning

    d = pd.DataFrame({"t": np.arange(1.0, 9.0), "e": [1] * 7 + [0], "x": [1.0] * 4 + [0.0] * 4})
    with pytest.warns(ConvergenceWarning, match="'x' may be infinite"):
        fit = coxph("Surv(t, e) ~ x", d)
    assert fit.coef["x"] > 10


@pytest.mark.r
def test_coxph_term_tests_against_car_anova():
    # factors tested as blocks; Wald (closed form) and LR (two fully converged fits): 1e-8
    from hccstats.rbridge import run

    fit = coxph(
        "Surv(time, status) ~ C(celltype) + trt + karno + age", r_data("veteran"), ties="efron"
    )
    r = run(
        """suppressPackageStartupMessages(library(survival))
        ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
        f <- coxph(Surv(time, status) ~ celltype + trt + karno + age, data = veteran, control = ctl)
        w <- car::Anova(f, type = 3, test.statistic = "Wald")
        l <- car::Anova(f, type = 3, test.statistic = "LR")
        list(w = w[, "Chisq"], wdf = w[, "Df"], l = l[, "LR Chisq"], ldf = l[, "Df"])"""
    )
    w, lr = fit.wald_tests(), fit.lr_tests()
    assert list(w["df"]) == list(r["wdf"]) == list(lr["df"])
    np.testing.assert_allclose(w["statistic"], r["w"], rtol=TOL)
    np.testing.assert_allclose(lr["statistic"], r["l"], rtol=TOL)
