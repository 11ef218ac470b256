"""R recomputations of the survival section's headline numbers (survival, Hmisc).

Called only by the R cross-check stage. timeROC and riskRegression are not packaged for
Debian, so the time-dependent AUC and the IPCW Brier score are written out in plain R
(``R_TD_AUC``, the estimator of ``timeROC::timeROC(weighting = "marginal")``, Blanche et al.
2013; ``R_BRIER``, riskRegression::Score's, Gerds & Schumacher 2006), with
``survival::survfit`` for the censoring distribution; the tests check ``hccstats.td_auc`` and
``hccstats.brier_score`` against the same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._names import columns_in, r_quote
from ._core import run
from .report_checks import content_key, r_frame, r_rhs, rms_terms

__all__ = [
    "R_TD_AUC",
    "R_BRIER",
    "R_NB",
    "cox_hr",
    "cph_terms",
    "cox_zph_p",
    "logrank_p",
    "harrell_c",
    "concordance_c",
    "oe_slope",
    "td_auc",
    "brier_ipa",
    "validate_cph_orig",
    "net_benefit",
    "improve",
]

# timeROC's IPCW estimator (Blanche 2013, weighting = "marginal") in plain R: cases T < t with
# an event, weighted 1 / G(T-); controls event-free at t (T > t, or censored at t: timeROC's
# T > t unless someone is censored exactly at t), weighted 1 / G(t-); G = Kaplan-Meier of the
# censoring times.
# Columns: AUC, cumulative incidence, event-free share, cases, controls (one row per time).
R_TD_AUC = """
suppressMessages(library(survival))
G <- survfit(Surv(time, 1 - event) ~ 1)
G_left <- function(x) vapply(x, function(xi) {
  k <- sum(G$time < xi); if (k == 0) 1 else G$surv[k] }, 0)
n <- length(time)
t(vapply(times, function(t) {
  cs <- time < t & event == 1
  ct <- time > t | (time == t & event == 0)
  w <- 1 / G_left(time[cs])
  cmp <- outer(marker[cs], marker[ct], function(a, b) (a > b) + 0.5 * (a == b))
  c(sum(w * rowSums(cmp)) / (sum(w) * sum(ct)), sum(w) / n, sum(ct) / (G_left(t) * n),
    sum(cs), sum(ct))
}, numeric(5)))
"""

# The IPCW Brier score at t and the IPA in plain R (riskRegression is not packaged for Debian):
# Graf et al. 1999, Gerds & Schumacher 2006 (Biom J 48:1029), Kattan & Gerds 2018, the
# estimator of riskRegression::Score(metrics = "brier", summary = "ipa", cens.model = "km"):
# Brier(t) = mean_i R_i, R_i = (1 - p_i)^2 1(T_i <= t, event) / G(T_i-) + p_i^2 1(event-free
# at t) / G(t-), G the Kaplan-Meier of the censoring times (survfit on the reversed status);
# the null model predicts everyone 1 - S(t) (Kaplan-Meier). Standard errors from the influence
# function with G estimated (conservative = FALSE): IF_i = R_i - Brier + sum_j R_j H_i(s_j) / n
# with s_j = T_j (cases) or t, H_i(s) = sum_{u < s} [dN^C_i(u) - 1(T_i >= u) dLambda_C(u)] /
# (Y(u) / n) over the distinct times u; se = sd(IF) / sqrt(n).
# Returns: Brier, se, null Brier, se, IPA, se.
R_BRIER = """
suppressMessages(library(survival))
time <- as.vector(time); event <- as.vector(event); risk <- as.vector(risk)
n <- length(time)
G <- survfit(Surv(time, 1 - event) ~ 1)
Gleft <- function(x) vapply(x, function(xi) {
  k <- sum(G$time < xi); if (k == 0) 1 else G$surv[k] }, 0)
U <- sort(unique(time))
YU <- vapply(U, function(u) sum(time >= u), 0)
cU <- vapply(U, function(u) sum(time == u & event == 0), 0)
dM <- (outer(time, U, "==") * (event == 0) - outer(time, U, ">=") * rep(cU / YU, each = n)) /
  rep(YU / n, each = n)
case <- time <= t & event == 1
free <- time > t | (time == t & event == 0)
H <- dM %*% outer(U, ifelse(case, time, t), "<")
brier <- function(p) {
  R <- ifelse(case, (1 - p)^2 / Gleft(time), 0) + ifelse(free, p^2 / Gleft(t), 0)
  B <- mean(R)
  list(B = B, IF = R - B + as.vector(H %*% R) / n)
}
S <- summary(survfit(Surv(time, event) ~ 1), times = t, extend = TRUE)$surv
m <- brier(risk); m0 <- brier(rep(1 - S, n))
IFipa <- -m$IF / m0$B + m$B * m0$IF / m0$B^2
se <- function(f) sd(f) / sqrt(n)
c(m$B, se(m$IF), m0$B, se(m0$IF), 1 - m$B / m0$B, se(IFipa))
"""

# dcurves's survival method written out: P(event by h | risk >= pt) from survfit of the test
# positives (summary(..., times = h, extend = TRUE)), the prevalence from survfit of everyone.
# Columns: the model's net benefit, treat all's (one row per threshold pt).
R_NB = """
suppressMessages(library(survival))
S <- function(idx) summary(survfit(Surv(time[idx], event[idx]) ~ 1), times = h,
                           extend = TRUE)$surv
prev <- 1 - S(rep(TRUE, length(time)))
nb <- vapply(th, function(pt) {
  pos <- risk >= pt
  p <- mean(pos)
  if (p == 0) return(0)
  s <- S(pos)
  (1 - s) * p - s * p * pt / (1 - pt)
}, 0)
cbind(nb, prev - (1 - prev) * th / (1 - th))
"""

_MEMO: dict[str, object] = {}


def _surv_formula(data: pd.DataFrame, time: str, event: str, terms: list[str]) -> str:
    """``Surv(time, event) ~ terms`` as R code (names R needs quoted in backticks)."""
    return f"Surv({r_quote(time)}, {r_quote(event)}) ~ {r_rhs(data, terms)}"


def _frame(data: pd.DataFrame, time: str, event: str, terms: list[str]) -> pd.DataFrame:
    cols = [c for t in terms for c in columns_in(t, data.columns)]
    return r_frame(data, [time, event, *cols])


def cox_hr(data: pd.DataFrame, time: str, event: str, terms: list[str]) -> pd.DataFrame:
    """survival::coxph (Efron): HR, Wald CI and p per R coefficient name."""
    d = _frame(data, time, event, terms)
    return run(
        "suppressMessages(library(survival)); "
        f"f <- coxph({_surv_formula(data, time, event, terms)}, data = d, ties = 'efron'); "
        "s <- summary(f); data.frame(term = rownames(s$coefficients), "
        "estimate = s$conf.int[, 1], ci_low = s$conf.int[, 3], ci_high = s$conf.int[, 4], "
        "p_value = s$coefficients[, 5])",
        d=d,
    ).set_index("term")


def cph_terms(
    data: pd.DataFrame, time: str, event: str, rhs: str, variables: list[str]
) -> pd.DataFrame:
    """rms::cph (Efron) with the model's terms (rcs, pol, interactions): HR and Wald p per
    coefficient as rms names it (``age'``, ``sex=f``); the fit of :func:`rms_terms`."""
    from scipy.stats import norm

    f = rms_terms(data, [time, event], rhs, variables, model="cph")
    return pd.DataFrame(
        {"estimate": np.exp(f.coef), "p_value": 2 * norm.sf(np.abs(f.coef / f.se))},
        index=f.coef.index.rename("term"),
    )


def cox_zph_p(data: pd.DataFrame, time: str, event: str, terms: list[str]) -> float:
    """survival::cox.zph(coxph(...), transform = "km") GLOBAL p value."""
    d = _frame(data, time, event, terms)
    return float(
        run(
            "suppressMessages(library(survival)); "
            f"f <- coxph({_surv_formula(data, time, event, terms)}, data = d); "
            "unname(cox.zph(f, transform = 'km')$table['GLOBAL', 'p'])",
            d=d,
        )
    )


def logrank_p(time, event, group) -> float:
    """survival::survdiff(Surv(time, event) ~ group) p value (rho = 0)."""
    return float(
        run(
            "suppressMessages(library(survival)); s <- survdiff(Surv(t, e) ~ g); "
            "pchisq(s$chisq, length(s$n) - 1, lower.tail = FALSE)",
            t=np.asarray(time, float),
            e=np.asarray(event, float),
            g=np.asarray(group).astype(str),
        )
    )


def harrell_c(time, event, risk) -> tuple[float, float]:
    """survival::concordance(Surv(time, event) ~ risk, reverse = TRUE): (C, se)."""
    out = run(
        "suppressMessages(library(survival)); "
        "k <- concordance(Surv(t, e) ~ x, reverse = TRUE); c(k$concordance, sqrt(k$var))",
        t=np.asarray(time, float),
        e=np.asarray(event, float),
        x=np.asarray(risk, float),
    )
    return float(out[0]), float(out[1])


def concordance_c(time, event, risk, timewt: str, ymax: float) -> tuple[float, float]:
    """survival::concordance(Surv(time, event) ~ risk, reverse = TRUE, timewt =): (C, se);
    Uno's weights (``"n/G2"``) with follow-up truncated at ``ymax``."""
    cut = ", ymax = h" if timewt != "n" else ""
    out = run(
        "suppressMessages(library(survival)); "
        f"k <- concordance(Surv(t, e) ~ x, reverse = TRUE, timewt = w{cut}); "
        "c(k$concordance, sqrt(k$var))",
        t=np.asarray(time, float),
        e=np.asarray(event, float),
        x=np.asarray(risk, float),
        w=timewt,
        h=float(ymax),
    )
    return float(out[0]), float(out[1])


def oe_slope(time, event, risk, lp, horizon: float) -> dict[str, float]:
    """O/E at ``horizon`` (Kaplan–Meier risk by survival::survfit / mean predicted risk) and
    the calibration slope (survival::coxph on the model's linear predictor, which equals the
    slope on log(-log(1 - risk)) at one horizon), McLernon et al. (2023)."""
    out = run(
        "suppressMessages(library(survival)); "
        "obj <- summary(survfit(Surv(t, e) ~ 1), times = h); "
        "c((1 - obj$surv) / mean(x), unname(coef(coxph(Surv(t, e) ~ lp))))",
        t=np.asarray(time, float),
        e=np.asarray(event, float),
        x=np.asarray(risk, float),
        lp=np.asarray(lp, float),
        h=float(horizon),
    )
    return {"oe": float(out[0]), "slope": float(out[1])}


def brier_ipa(time, event, risk, horizon: float) -> dict[str, float]:
    """``R_BRIER`` at ``horizon``: brier, brier_se, null_brier, null_se, ipa, ipa_se."""
    out = run(
        R_BRIER,
        time=np.asarray(time, float),
        event=np.asarray(event, float),
        risk=np.asarray(risk, float),
        t=float(horizon),
    )
    keys = ("brier", "brier_se", "null_brier", "null_se", "ipa", "ipa_se")
    return dict(zip(keys, (float(v) for v in np.asarray(out, float))))


def validate_cph_orig(data: pd.DataFrame, time: str, event: str, terms: list[str]) -> pd.Series:
    """rms::validate(cph(..., x = TRUE, y = TRUE, surv = TRUE), B = 2)'s index.orig (Dxy, R2,
    Slope, D, U, Q, g; it does not depend on the resamples), cph iterated to convergence."""
    d = _frame(data, time, event, terms)
    out = run(
        "suppressPackageStartupMessages(library(rms)); "
        f"f <- cph({_surv_formula(data, time, event, terms)}, data = d, x = TRUE, y = TRUE, "
        "surv = TRUE, eps = 1e-10, tol = 1e-13); set.seed(1); "
        "invisible(capture.output(v <- validate(f, B = 2))); v[, 'index.orig']",
        d=d,
    )
    return pd.Series(np.asarray(out, float), index=["Dxy", "R2", "Slope", "D", "U", "Q", "g"])


def td_auc(time, event, marker, times) -> np.ndarray:
    """``R_TD_AUC``: the AUC at each of ``times``."""
    out = run(
        R_TD_AUC,
        time=np.asarray(time, float),
        event=np.asarray(event, float),
        marker=np.asarray(marker, float),
        times=np.atleast_1d(np.asarray(times, float)),
    )
    return np.asarray(out, float).reshape(-1, 5)[:, 0]


def improve(y, risk_old, risk_new) -> dict[str, float]:
    """Hmisc::improveProb(x1 = old, x2 = new, y): NRI, IDI and their two-sided p values."""
    out = run(
        "suppressMessages(library(Hmisc)); s <- improveProb(x1, x2, y); "
        "c(s$nri, 2 * pnorm(-abs(s$z.nri)), s$idi, 2 * pnorm(-abs(s$z.idi)))",
        x1=np.asarray(risk_old, float),
        x2=np.asarray(risk_new, float),
        y=np.asarray(y, float),
    )
    return dict(zip(("nri", "nri_p", "idi", "idi_p"), (float(v) for v in out)))


def net_benefit(time, event, risk, horizon: float, thresholds) -> np.ndarray:
    """``R_NB``: (net benefit of the model, of treating all) per threshold, one row each;
    memoised on the content of the data (one R call per model and set)."""
    args = dict(
        time=np.asarray(time, float),
        event=np.asarray(event, float),
        risk=np.asarray(risk, float),
        h=float(horizon),
        th=np.atleast_1d(np.asarray(thresholds, float)),
    )
    key = content_key("net_benefit", *args.values())
    if key not in _MEMO:
        _MEMO[key] = np.asarray(run(R_NB, **args), float).reshape(-1, 2)
    return _MEMO[key]
