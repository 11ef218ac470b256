"""lrm / LogisticFit against R (glm, MASS confint, rms::lrm, Hmisc::somers2, brglm2's Firth)
live via rpy2 and against stored R outputs (tests/reference/logistic/make_reference.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_logistic_data import DATASETS, GLM, REF, endometrial, patsy_name

import hccstats as hs
from hccstats import InputError, SeparationWarning

# Deterministic statistics: our Newton iterations stop at rounding level and R's glm is restarted
# at its own estimates (see test_logistic_data.GLM), so both sit at the same optimum to ~1e-12 (R's CSV
# keeps 15 digits); 1e-8 relative is the project's bound and leaves room for BLAS differences.
RTOL = 1e-8


def _stored(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def _ours(fit, r_terms) -> pd.DataFrame:
    return fit.to_frame().set_index("term").loc[[patsy_name(t, fit) for t in r_terms]]


# ---------------------------------------------------------------- coefficients vs glm
@pytest.mark.parametrize("name", DATASETS)
def test_coefficients_against_stored_glm(name):
    make, formula = DATASETS[name]
    fit = hs.lrm(formula, make())
    ref = _stored(f"glm_{name}.csv")
    ours = _ours(fit, ref["term"])
    for a, b in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("z", "z"),
        ("p_value", "p"),
        ("ci_low", "wald_low"),
        ("ci_high", "wald_high"),
    ]:
        np.testing.assert_allclose(ours[a], ref[b], rtol=RTOL, err_msg=a)
    np.testing.assert_allclose(
        fit.predict_risk(), _stored(f"fitted_{name}.csv")["fitted"], rtol=RTOL
    )


@pytest.mark.r
@pytest.mark.parametrize("name", DATASETS)
def test_coefficients_against_glm(name):
    from hccstats import rbridge

    make, formula = DATASETS[name]
    d = make()
    fit = hs.lrm(formula, d)
    ref = rbridge.run(
        f"""g <- {GLM.format(f=formula)}
        s <- summary(g)$coefficients
        list(names = names(coef(g)), coef = unname(coef(g)), se = unname(s[, 2]), z = unname(s[, 3]),
             p = unname(s[, 4]), deviance = deviance(g), null = g$null.deviance, fitted = unname(fitted(g)),
             aic = AIC(g), new = unname(predict(g, newdata = d[c(5, 1, 9), ], type = "link")))""",
        d=d,
    )
    ours = _ours(fit, ref["names"])
    np.testing.assert_allclose(ours["estimate"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(ours["se"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(ours["z"], ref["z"], rtol=RTOL)
    np.testing.assert_allclose(ours["p_value"], ref["p"], rtol=RTOL)
    np.testing.assert_allclose(fit.stats["deviance"], ref["deviance"], rtol=RTOL)
    np.testing.assert_allclose(fit.stats["null_deviance"], ref["null"], rtol=RTOL)
    np.testing.assert_allclose(fit.stats["aic"], ref["aic"], rtol=RTOL)
    np.testing.assert_allclose(fit.predict_risk(), ref["fitted"], rtol=RTOL)
    np.testing.assert_allclose(fit.linear_predictor(d.iloc[[4, 0, 8]]), ref["new"], rtol=RTOL)


@pytest.mark.r
@pytest.mark.parametrize("name", DATASETS)
def test_term_tests_against_car_anova_and_drop1(name):
    from hccstats import rbridge

    make, formula = DATASETS[name]
    d = make()
    fit = hs.lrm(formula, d)
    ref = rbridge.run(
        f"""g <- {GLM.format(f=formula)}
        a <- car::Anova(g, type = 3, test.statistic = "Wald"); l <- drop1(g, test = "LRT")[-1, ]
        list(terms = rownames(l), wald = cbind(a[rownames(l), "Chisq"], a[rownames(l), "Df"], a[rownames(l), "Pr(>Chisq)"]),
             lr = cbind(l$LRT, l$Df, l[["Pr(>Chi)"]]))""",
        d=d,
    )
    wald = fit.wald_tests().set_index("term").loc[list(ref["terms"])]
    np.testing.assert_allclose(wald.to_numpy(float), ref["wald"], rtol=RTOL)
    lr = fit.lr_tests().set_index("term").loc[list(ref["terms"])]
    # drop1 refits without a start (IRLS stopping error ~1e-10 in the deviance): 1e-8 holds
    np.testing.assert_allclose(lr.to_numpy(float), ref["lr"], rtol=RTOL)


# ---------------------------------------------------------------- profile CIs vs MASS
@pytest.mark.parametrize("name", DATASETS)
def test_profile_ci_against_stored_confint(name):
    make, formula = DATASETS[name]
    fit = hs.lrm(formula, make())
    ref = _stored(f"glm_{name}.csv")
    idx = [patsy_name(t, fit) for t in ref["term"]]
    for level, lo, hi in [
        (0.95, "profile_low", "profile_high"),
        (0.90, "profile90_low", "profile90_high"),
    ]:
        ci = fit.conf_int(level, method="profile").loc[idx]
        np.testing.assert_allclose(ci["ci_low"], ref[lo], rtol=RTOL)
        np.testing.assert_allclose(ci["ci_high"], ref[hi], rtol=RTOL)
    ors = fit.odds_ratios(method="profile").set_index("term").loc[idx[1:]]
    np.testing.assert_allclose(ors["ci_low"], np.exp(ref["profile_low"][1:]), rtol=RTOL)


@pytest.mark.r
def test_profile_ci_against_mass_confint():
    from hccstats import rbridge

    make, formula = DATASETS["infert"]
    d = make()
    fit = hs.lrm(formula, d)
    ref = rbridge.run(
        f"g <- {GLM.format(f=formula)}; suppressWarnings(suppressMessages(confint(g, level = 0.8)))",
        d=d,
    )
    names = rbridge.run(f"names(coef({GLM.format(f=formula)}))", d=d)
    ci = fit.conf_int(0.8, method="profile").loc[[patsy_name(n, fit) for n in names]]
    np.testing.assert_allclose(ci.to_numpy(), ref, rtol=RTOL)


def test_spline_and_approx_against_r_formulas():
    """The FMM spline reproduces a cubic exactly (its end conditions are exact for cubics)."""
    from hccstats.logistic._profile import r_approx, r_spline

    x = np.array([0.0, 0.7, 1.5, 2.0, 3.1, 4.0])
    xs, ys = r_spline(x, x**3 - 2 * x)
    np.testing.assert_allclose(ys, xs**3 - 2 * xs, rtol=1e-12, atol=1e-12)
    assert len(xs) == 18 and xs[0] == 0 and xs[-1] == 4
    np.testing.assert_allclose(
        r_approx(np.array([0.0, 1, 2]), np.array([0.0, 10, 30]), np.array([0.5, 1.5, 3])),
        [5, 20, np.nan],
    )


@pytest.mark.r
def test_spline_against_r_spline():
    from hccstats import rbridge
    from hccstats.logistic._profile import r_spline

    x = np.array([-2.0, -1.1, -0.4, 0.0, 0.3, 1.2, 2.5])
    y = np.tanh(x) + 0.1 * x**2
    ref = rbridge.run("s <- spline(x, y); cbind(s$x, s$y)", x=x, y=y)
    np.testing.assert_allclose(np.column_stack(r_spline(x, y)), ref, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- rms::lrm statistics
RMS_NAMES = [("lr_chi2", "Model L.R."), ("df", "d.f."), ("R2", "R2"), ("n", "Obs")]
GLM_NAMES = [("Brier", "glm_Brier"), ("g", "glm_g"), ("gr", "glm_gr"), ("gp", "glm_gp")]


def _check_rms(fit, st: dict):
    # rms::lrm stops when its steps are ~1e-8: likelihood-based values (flat at the optimum)
    # still agree to 1e-8, first-order ones (Brier, g, gp) only to ~1e-7, so those are checked
    # to 1e-8 against Hmisc::GiniMd / the Brier score on glm's converged fit, and loosely here
    for ours, theirs in RMS_NAMES:
        np.testing.assert_allclose(fit.stats[ours], st[theirs], rtol=1e-8, err_msg=ours)
    for ours, theirs in GLM_NAMES:
        np.testing.assert_allclose(fit.stats[ours], st[theirs], rtol=1e-8, err_msg=ours)
        np.testing.assert_allclose(fit.stats[ours], st[ours], rtol=1e-6, err_msg=ours)
    # rms computes P as 1 - pchisq(), which loses digits below ~1e-10: atol 1e-15 covers it
    np.testing.assert_allclose(fit.stats["p"], st["P"], rtol=1e-8, atol=1e-15)
    r2 = [v for k, v in st.items() if k.startswith("R2(")]
    np.testing.assert_allclose(
        [fit.stats[k] for k in ("R2_n", "R2_adj_n", "R2_neff", "R2_adj_neff")], r2, rtol=1e-8
    )
    # rms's C/Dxy come from probabilities binned to 1/5000 (differ in the 4th digit): ours are
    # exact, equal to Hmisc::somers2 on glm's fitted values (and to the ROC AUC); the *_rms
    # entries bin as rms does (exact pair counts: 1e-12)
    np.testing.assert_allclose(
        [fit.stats["C"], fit.stats["Dxy"]], [st["somers2_C"], st["somers2_Dxy"]], rtol=1e-12
    )
    for ours, theirs in [
        ("C_rms", "C"),
        ("Dxy_rms", "Dxy"),
        ("gamma_rms", "Gamma"),
        ("tau_a_rms", "Tau-a"),
    ]:
        np.testing.assert_allclose(fit.stats[ours], st[theirs], rtol=1e-12, err_msg=ours)


@pytest.mark.parametrize("name", DATASETS)
def test_model_stats_against_stored_rms(name):
    make, formula = DATASETS[name]
    fit = hs.lrm(formula, make())
    ref = _stored(f"lrm_stats_{name}.csv")
    _check_rms(fit, dict(zip(ref["name"], ref["value"])))


@pytest.mark.r
@pytest.mark.parametrize("name", DATASETS)
def test_model_stats_against_rms(name):
    from hccstats import rbridge

    make, formula = DATASETS[name]
    d = make()
    fit = hs.lrm(formula, d)
    st = rbridge.run(
        f"""s <- as.list(rms::lrm({formula}, data = d, tol = 1e-14)$stats)
        g <- {GLM.format(f=formula)}; h <- Hmisc::somers2(fitted(g), g$y)
        c(s, somers2_C = h[["C"]], somers2_Dxy = h[["Dxy"]], glm_g = Hmisc::GiniMd(predict(g)),
          glm_gr = exp(Hmisc::GiniMd(predict(g))), glm_gp = Hmisc::GiniMd(fitted(g)),
          glm_Brier = mean((fitted(g) - g$y)^2))""",
        d=d,
    )
    _check_rms(fit, st)


# ---------------------------------------------------------------- Firth
HEINZE_SCHEMPER_2002 = {
    "Intercept": 3.77,
    "NV": 2.93,
    "PI": -0.03,
    "EH": -2.60,
}  # Table 2, Firth column


def test_firth_against_stored_brglm2_and_published():
    fit = hs.lrm("HG ~ NV + PI + EH", endometrial(), firth=True)
    ref = _stored("firth_endometrial.csv")
    ours = _ours(fit, ref["term"])
    # brglm2 stops at |step| < 1e-14 too
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(ours["se"], ref["se"], rtol=1e-8)
    np.testing.assert_allclose(ours["p_value"], ref["p"], rtol=1e-8)
    # the published estimates, printed with 2 decimals
    for k, v in HEINZE_SCHEMPER_2002.items():
        assert abs(fit.coef[k] - v) <= 0.005 + 1e-12, k
    assert fit.separation is None and fit.firth and fit.result is None


def test_firth_profile_ci_against_heinze_schemper_2002():
    """Penalised profile-likelihood CI and penalised LR p for NV (published: 2.93, 0.61 to 7.85,
    p = 0.009; logistf's defaults), printed with 2 decimals / 1 significant digit."""
    fit = hs.lrm("HG ~ NV + PI + EH", endometrial(), firth=True)
    ors = fit.odds_ratios(method="profile").set_index("term")
    lo, hi = np.log(ors.loc["NV", ["ci_low", "ci_high"]].to_numpy(float))
    assert abs(lo - 0.61) <= 0.005 and abs(hi - 7.85) <= 0.005
    assert round(ors.loc["NV", "p_value"], 3) == 0.009
    # the penalised LR statistic at each limit is the chi2(1) quantile
    from hccstats.logistic._firth_profile import restricted_loglik

    for t in (lo, hi):
        ll, _ = restricted_loglik(fit, 1, t, fit.coef.to_numpy())
        stat = 2 * (fit.stats["penalised_loglik"] - ll)
        np.testing.assert_allclose(stat, 3.841458820694124, rtol=1e-9)


@pytest.mark.r
def test_firth_profile_against_r_optim():
    """An independent R computation of the penalised profile: l*(b) = loglik + log|X'WX|/2
    maximised by optim (BFGS) over the free coefficients, limits by uniroot. optim's own
    convergence (reltol 1e-15) limits agreement to ~1e-6."""
    from hccstats import rbridge

    d = endometrial()
    fit = hs.lrm("HG ~ NV + PI + EH", d, firth=True)
    ref = rbridge.run(
        """X <- cbind(1, d$NV, d$PI, d$EH); y <- d$HG
        pl <- function(b) { p <- plogis(drop(X %*% b)); sum(dbinom(y, 1, p, log = TRUE)) +
                            0.5 * determinant(crossprod(X * sqrt(p * (1 - p))))$modulus[1] }
        full <- optim(b0, function(b) -pl(b), method = "BFGS", control = list(reltol = 1e-15, maxit = 1000))
        lmax <- -full$value
        prof <- function(j, t) { f <- function(u) { b <- numeric(4); b[j] <- t; b[-j] <- u; -pl(b) }
                                 -optim(b0[-j], f, method = "BFGS", control = list(reltol = 1e-15, maxit = 1000))$value }
        q <- qchisq(0.95, 1)
        out <- t(sapply(1:4, function(j) {
          g <- function(t) 2 * (lmax - prof(j, t)) - q
          c(uniroot(g, c(b0[j] - 8 * se[j], b0[j]), tol = 1e-10)$root,
            uniroot(g, c(b0[j], b0[j] + 8 * se[j]), tol = 1e-10)$root,
            pchisq(2 * (lmax - prof(j, 0)), 1, lower.tail = FALSE))
        }))
        rbind(out, c(lmax, 0, 0))""",
        d=d,
        b0=fit.coef.to_numpy(),
        se=fit.se.to_numpy(),
    )
    prof = fit.penalised_profile()
    lo, hi, p = prof.ci_low, prof.ci_high, prof.p_value
    assert prof.notes == () and set(prof.ci_method) == {"profile"}
    np.testing.assert_allclose(fit.stats["penalised_loglik"], ref[4, 0], rtol=1e-10)
    np.testing.assert_allclose(np.c_[lo, hi], ref[:4, :2], rtol=1e-6)
    np.testing.assert_allclose(p, ref[:4, 2], rtol=1e-5)


@pytest.mark.r
@pytest.mark.filterwarnings("ignore:R. non-integer")  # brglm2's start-up glm on adjusted responses
def test_firth_against_brglm2():
    from hccstats import rbridge

    if not rbridge.r_available("brglm2"):
        pytest.skip("R package brglm2 not installed (Debian: r-cran-brglm2)")
    d = endometrial()
    d["PI2"] = d["PI"] / 10 + d["EH"]
    fit = hs.lrm("HG ~ NV + PI2 + EH", d, firth=True)
    ref = rbridge.run(
        """m <- glm(HG ~ NV + PI2 + EH, data = d, family = binomial, method = brglm2::brglmFit,
                    type = "AS_mean", epsilon = 1e-14, maxit = 500)
           coef(summary(m))""",
        d=d,
    )
    np.testing.assert_allclose(
        fit.to_frame()[["estimate", "se", "z"]].to_numpy(), ref[:, :3], rtol=1e-8
    )


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(
        lambda c: min(c[0] + c[1], c[2] + c[3], c[0] + c[2], c[1] + c[3]) > 0
    )
)
def test_firth_2x2_against_haldane_half_correction(cells):
    """Firth (1993): in a 2x2 table Firth's estimates are the ML estimates with 1/2 added to each cell."""
    a, b, c, d = cells  # x=0: a non-events, b events; x=1: c non-events, d events
    x = np.r_[np.zeros(a + b), np.ones(c + d)]
    y = np.r_[np.zeros(a), np.ones(b), np.zeros(c), np.ones(d)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.lrm("y ~ x", pd.DataFrame({"y": y, "x": x}), firth=True)
    np.testing.assert_allclose(
        fit.coef["Intercept"], np.log((b + 0.5) / (a + 0.5)), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        fit.coef["x"], np.log((d + 0.5) * (a + 0.5) / ((c + 0.5) * (b + 0.5))), rtol=1e-9, atol=1e-9
    )


# ---------------------------------------------------------------- separation
def test_complete_separation_names_the_variable():
    d = pd.DataFrame(
        {
            "y": [0, 0, 0, 1, 1, 1, 0, 1],
            "x": [1, 2, 3, 4, 5, 6, 2.5, 5.5],
            "z": [1, 0, 1, 0, 1, 0, 0, 1],
        }
    )
    with pytest.warns(SeparationWarning, match="complete separation by 'x'"):
        fit = hs.lrm("y ~ x + z", d)
    assert fit.separation.kind == "complete" and fit.separation.columns == ["x"]
    firth = hs.lrm("y ~ x + z", d, firth=True)
    assert firth.converged and np.all(np.isfinite(firth.coef)) and firth.separation is None


def test_quasi_complete_separation_names_the_variable():
    # Heinze & Schemper's endometrial data: NV = 1 only in high-grade cases
    with pytest.warns(SeparationWarning, match="quasi-complete separation by 'NV'"):
        fit = hs.lrm("HG ~ NV + PI + EH", endometrial())
    assert fit.separation.kind == "quasi-complete" and fit.separation.columns == ["NV"]
    assert fit.separation.n_separated == 13


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 80))
def test_no_separation_reported_for_overlapping_data(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.5).astype(int)
    y[:2], x[:2] = 1, [-5, 5]  # an event at both ends and ...
    y[2:4], x[2:4] = 0, [-5, 5]  # ... a non-event at both ends: x cannot separate
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        fit = hs.lrm("y ~ x", pd.DataFrame({"y": y, "x": x}))
    assert fit.separation is None and fit.converged


# ---------------------------------------------------------------- bad input
def _toy(n=40, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "g": pd.Categorical(rng.choice(["a", "b", "c"], n), ["a", "b", "c"]),
        }
    )


def test_outcome_not_binary_raises():
    d = _toy()
    d["y3"] = np.arange(len(d)) % 3
    with pytest.raises(InputError, match="y3.*binary"):
        hs.lrm("y3 ~ x", d)


def test_constant_predictor_raises():
    d = _toy().assign(k=2.0)
    with pytest.raises(InputError, match="predictor 'k' is constant"):
        hs.lrm("y ~ x + k", d)


def test_rank_deficient_design_names_columns():
    d = _toy().assign(x2=lambda t: 2 * t["x"] + 1)
    with pytest.raises(InputError, match=r"rank-deficient.*'x2'.*'x'|rank-deficient.*'x'.*'x2'"):
        hs.lrm("y ~ x + x2", d)


def test_factor_level_without_events_raises():
    d = _toy()
    d.loc[d["g"] == "c", "y"] = 0
    with pytest.raises(InputError, match=r"'g'.*level 'g\[T.c\]' has no events"):
        hs.lrm("y ~ x + g", d)
    assert np.isfinite(hs.lrm("y ~ x + g", d, firth=True).coef).all()


def test_unused_factor_level_raises():
    d = _toy()
    d["g"] = d["g"].cat.add_categories(["z"])
    with pytest.raises(InputError, match="no observations"):
        hs.lrm("y ~ g", d)


def test_nan_policy_counts_omitted_rows():
    d = _toy(60, 1)
    d.loc[[3, 10], "x"] = np.nan
    d.loc[20, "y"] = np.nan
    with pytest.raises(InputError, match="'x' \\(2\\).*'y' \\(1\\)|'y' \\(1\\).*'x' \\(2\\)"):
        hs.lrm("y ~ x", d)
    fit = hs.lrm("y ~ x", d, nan_policy="omit")
    assert fit.stats["n"] == 57 and fit.stats["n_omitted"] == 3 and list(fit.omitted) == [3, 10, 20]
    assert len(fit.data) == 57 and fit.X.shape == (57, 2)
    with pytest.raises(InputError, match="nan_policy"):
        hs.lrm("y ~ x", d, nan_policy="drop")


def test_unknown_column_and_label_raise():
    with pytest.raises(InputError, match="nope"):
        hs.lrm("y ~ nope", _toy())
    with pytest.raises(InputError, match="labels"):
        hs.lrm("y ~ x", _toy(), labels={"w": "W"})


# ---------------------------------------------------------------- API
def test_statsmodels_result_and_prediction_against_statsmodels():
    from test_logistic_data import birthwt

    d = birthwt()
    fit = hs.lrm("low ~ age + lwt + race + smoke", d, labels={"lwt": "Weight (lb)"})
    res = fit.result
    np.testing.assert_allclose(res.params, fit.coef, rtol=1e-10)
    np.testing.assert_allclose(res.bse, fit.se, rtol=1e-8)
    np.testing.assert_allclose(res.predict(), fit.predict_risk(), rtol=1e-10)
    new = pd.DataFrame(
        {
            "age": [20, 30.0],
            "lwt": [120, np.nan],
            "race": pd.Categorical(["black", "white"], ["white", "black", "other"]),
            "smoke": [1, 0],
        }
    )
    lp = fit.linear_predictor(new)
    b = fit.coef
    assert np.isclose(
        lp[0],
        b["Intercept"] + 20 * b["age"] + 120 * b["lwt"] + b["race[T.black]"] + b["smoke"],
        rtol=1e-12,
    )
    assert np.isnan(lp[1]) and np.isnan(fit.predict_risk(new)[1])
    assert fit.terms == ["race", "age", "lwt", "smoke"] and fit.labels == {"lwt": "Weight (lb)"}
    assert fit.outcome == "low" and fit.y.dtype == float and list(fit.coef.index)[0] == "Intercept"
    ors = fit.odds_ratios()
    assert (
        list(ors.columns) == ["term", "estimate", "ci_low", "ci_high", "p_value"] and len(ors) == 5
    )
    assert "Logistic Regression Model" in repr(fit) and "race=black" in repr(fit)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), shift=st.floats(-50, 50))
def test_lrm_invariants_rescaling_and_outcome_flip(seed, scale, shift):
    """A linear change of a predictor rescales its coefficient and leaves the fit unchanged;
    swapping events and non-events negates every coefficient."""
    rng = np.random.default_rng(seed)
    n = 120
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    d["y"] = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * d["x"] - 0.5 * d["z"])))).astype(int)
    base = hs.lrm("y ~ x + z", d)
    moved = hs.lrm("y ~ x + z", d.assign(x=d["x"] * scale + shift))
    np.testing.assert_allclose(moved.coef["x"] * scale, base.coef["x"], rtol=1e-8)
    np.testing.assert_allclose(moved.p_values["x"], base.p_values["x"], rtol=1e-7)
    np.testing.assert_allclose(moved.predict_risk(), base.predict_risk(), rtol=1e-8)
    for k in ("lr_chi2", "C", "R2", "Brier"):
        np.testing.assert_allclose(moved.stats[k], base.stats[k], rtol=1e-8)
    flipped = hs.lrm("y ~ x + z", d.assign(y=1 - d["y"]))
    np.testing.assert_allclose(flipped.coef, -base.coef, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(flipped.se, base.se, rtol=1e-8)
