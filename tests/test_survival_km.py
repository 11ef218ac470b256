"""survfit (Kaplan–Meier), survdiff (log-rank), cox_zph and concordance against R's survival, live.

Kaplan–Meier estimates, Greenwood SEs and log limits are closed-form products and sums:
compared to 1e-12. Medians are data times (or the mean of two): compared exactly. The
log-rank statistics solve small linear systems: 1e-10 relative. cox.zph is scored at beta-hat,
whose last digits are convergence noise on both sides (~1e-10 seen): 1e-8 relative, as coxph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from tests._survival_data import r_data

TIMES = [30.0, 100.0, 365.0, 500.0, 1000.0]


@pytest.mark.r
def test_survfit_summary_and_median_against_r_survival():
    from hccstats.rbridge import run

    lung = r_data("lung")
    fit = hs.survfit(lung["time"], lung["status"], group=lung["sex"])
    r = run(
        """suppressPackageStartupMessages(library(survival))
        f <- survfit(Surv(time, status) ~ sex, data = lung)
        s <- summary(f, times = as.numeric(at), extend = TRUE)
        list(table = unname(summary(f)$table[, c("n.max", "events", "median", "0.95LCL", "0.95UCL")]),
             surv = s$surv, se = s$std.err, lower = s$lower, upper = s$upper,
             risk = s$n.risk, ev = s$n.event,
             all_time = f$time, all_surv = f$surv, all_se = f$std.err)""",
        at=np.asarray(TIMES),
    )
    tab = fit.table()
    np.testing.assert_array_equal(
        tab[["n", "events", "median", "median_lcl", "median_ucl"]].to_numpy(), r["table"]
    )
    s = fit.summary(TIMES)
    for ours, theirs in [
        ("surv", "surv"),
        ("std_err", "se"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        np.testing.assert_allclose(s[ours], r[theirs], rtol=1e-12)
    np.testing.assert_array_equal(s["n_risk"], r["risk"])
    np.testing.assert_array_equal(s["n_event"], r["ev"])
    curves = pd.concat(fit.curves.values())
    np.testing.assert_array_equal(curves["time"], r["all_time"])
    np.testing.assert_allclose(curves["surv"], r["all_surv"], rtol=1e-12)
    np.testing.assert_allclose(curves["std_err"], r["all_se"], rtol=1e-12)


@pytest.mark.r
@pytest.mark.parametrize("name,column", [("veteran", "celltype"), ("colon", "rx")])
def test_survfit_medians_against_r_survival(name, column):
    from hccstats.rbridge import run

    data = r_data(name)
    fit = hs.survfit(data["time"], data["status"], group=data[column])
    r = run(
        f"""suppressPackageStartupMessages(library(survival))
        d <- {"veteran" if name == "veteran" else "subset(colon, etype == 2)"}
        unname(summary(survfit(Surv(time, status) ~ {column}, data = d))$table[,
               c("median", "0.95LCL", "0.95UCL")])"""
    )
    np.testing.assert_array_equal(fit.table()[["median", "median_lcl", "median_ucl"]], r)


@pytest.mark.r
@pytest.mark.parametrize(
    "name,column", [("lung", "sex"), ("lung", "ph_ecog"), ("veteran", "celltype"), ("colon", "rx")]
)
def test_survdiff_logrank_against_r_survival(name, column):
    from hccstats.rbridge import run

    data = r_data(name).dropna(subset=[column])
    res = hs.survdiff(data["time"], data["status"], data[column])
    r = run(
        f"""suppressPackageStartupMessages(library(survival))
        d <- {dict(lung="lung", veteran="veteran", colon="subset(colon, etype == 2)")[name]}
        s <- survdiff(Surv(time, status) ~ {column.replace("_", ".")}, data = d)
        list(chisq = s$chisq, df = length(s$n) - 1, obs = s$obs, exp = s$exp,
             p = pchisq(s$chisq, length(s$n) - 1, lower.tail = FALSE))"""
    )
    assert res.df == r["df"]
    np.testing.assert_allclose(res.statistic, r["chisq"], rtol=1e-10)
    np.testing.assert_allclose(res.p_value, r["p"], rtol=1e-8)
    np.testing.assert_allclose(res.table["expected"], r["exp"], rtol=1e-10)
    np.testing.assert_array_equal(res.table["observed"], r["obs"])


@pytest.mark.r
def test_survdiff_formula_with_two_variables_against_r_survival():
    """survdiff("Surv(time, status) ~ sex + ph_ecog", data): one group per combination,
    labelled and ordered as R's strata."""
    from hccstats.rbridge import run

    data = r_data("lung").dropna(subset=["ph_ecog"])
    res = hs.survdiff("Surv(time, status) ~ sex + ph_ecog", data=data)
    r = run(
        """suppressPackageStartupMessages(library(survival))
        s <- survdiff(Surv(time, status) ~ sex + ph.ecog, data = subset(lung, !is.na(ph.ecog)))
        list(chisq = s$chisq, n = as.vector(s$n), exp = s$exp, groups = names(s$n))"""
    )
    np.testing.assert_allclose(res.statistic, r["chisq"], rtol=1e-10)
    np.testing.assert_allclose(res.table["expected"], r["exp"], rtol=1e-10)
    np.testing.assert_array_equal(res.table["n"], r["n"])
    assert [g.replace("ph_ecog", "ph.ecog") for g in res.table["group"]] == list(r["groups"])
    with pytest.raises(hs.InputError, match="'ecog' is not a column"):
        hs.survdiff("Surv(time, status) ~ ecog", data=data)


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("terms", [True, False])
def test_cox_zph_against_r_survival(ties, terms):
    from hccstats.rbridge import run

    fit = hs.coxph(
        "Surv(time, status) ~ C(celltype) + trt + karno + age", r_data("veteran"), ties=ties
    )
    z = hs.cox_zph(fit, terms=terms)
    r = run(
        """suppressPackageStartupMessages(library(survival))
        fit <- coxph(Surv(time, status) ~ celltype + trt + karno + age, data = veteran, ties = ties,
                     control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
        unname(cox.zph(fit, terms = terms)$table)""",
        ties=ties,
        terms=terms,
    )
    np.testing.assert_allclose(z.table[["chisq", "df"]].to_numpy(), r[:, :2], rtol=1e-8)
    np.testing.assert_allclose(z.table["p_value"], r[:, 2], rtol=1e-8)
    assert z.table["term"].iloc[-1] == "GLOBAL"


@pytest.mark.r
@pytest.mark.parametrize("reverse", [False, True])
def test_concordance_of_a_score_against_r_survival(reverse):
    from hccstats.rbridge import run

    lung = r_data("lung").dropna(subset=["ph_karno"])
    c = hs.concordance(
        time=lung["time"], event=lung["status"], score=lung["ph_karno"], reverse=reverse
    )
    r = run(
        """suppressPackageStartupMessages(library(survival))
        cc <- concordance(Surv(time, status) ~ ph.karno, data = lung, reverse = reverse)
        c(cc$count, cc$concordance, sqrt(cc$var))""",
        reverse=reverse,
    )
    counts = [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy]
    np.testing.assert_array_equal(counts, np.asarray(r)[:5])
    np.testing.assert_allclose([c.concordance, c.se], np.asarray(r)[5:], rtol=1e-10)


def test_concordance_of_a_fit_equals_concordance_of_its_linear_predictor():
    rng = np.random.default_rng(3)
    n = 60
    d = pd.DataFrame(
        {
            "t": rng.integers(1, 30, n).astype(float),
            "e": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
        }
    )
    fit = hs.coxph("Surv(t, e) ~ x", d)
    a = hs.concordance(fit)
    b = hs.concordance(time=d["t"], event=d["e"], score=fit.linear_predictor(), reverse=True)
    assert a.concordance == b.concordance and a.se == b.se


def test_km_and_logrank_bad_input():
    with pytest.raises(InputError, match="negative"):
        hs.survfit([1.0, -2.0], [1, 0])
    with pytest.raises(InputError, match="event"):
        hs.survfit([1.0, 2.0], [1, 3])
    with pytest.raises(InputError, match="two or more groups"):
        hs.survdiff([1.0, 2.0], [1, 1], ["a", "a"])
    with pytest.raises(InputError, match="missing"):
        hs.survdiff([1.0, 2.0], [1, 1], ["a", None])
