"""Statistical alerts: proportional hazards violated, models that misfit the training set, a
validation set's calibration that departs from the ideal, and DeLong tests of nested models.

Each function returns the warning text (or None / an empty list); the stages pass them to
``ctx.alert`` (atop report.html / report.docx, a line on stderr, results.json ``alerts``).
Every threshold is the report's significance level for goodness-of-fit tests, :data:`ALPHA`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "ALPHA",
    "ph_alert",
    "misfit_alerts",
    "validation_calibration_alerts",
    "nested_pairs",
    "nested_lr_test",
    "nested_delong_alert",
]

ALPHA = 0.05  # goodness-of-fit and proportional-hazards tests below this p are alerted


def _p(p: float) -> str:
    """ "p = 0.012" or "p < 0.001"."""
    from reports import formatting as F

    return F.fmt_p_text(p)


def ph_alert(zph, model: str, label=str) -> str | None:
    """The warning for a Cox model whose cox.zph global test has p < :data:`ALPHA` (``label``:
    a term's display label)."""
    table = zph.table.set_index("term")
    glob = table.loc["GLOBAL"]
    if not np.isfinite(glob["p_value"]) or glob["p_value"] >= ALPHA:
        return None
    terms = table.drop(index="GLOBAL")
    worst = [label(t) for t in terms[terms["p_value"] < ALPHA].index]
    return (
        f"Proportional hazards violated in the {model}: cox.zph global test (scaled Schoenfeld "
        f"residuals, Kaplan–Meier time scale) chi-square = {glob['chisq']:.2f}, "
        f"df = {int(glob['df'])}, {_p(glob['p_value'])}"
        + (f"; terms with p < {ALPHA:g}: {', '.join(worst)}" if worst else "")
        + ". The hazard ratios average an effect that changes over time; consider stratifying, "
        "a time-varying coefficient, or a restricted mean survival time analysis."
    )


def misfit_alerts(calibration: pd.DataFrame) -> list[str]:
    """A warning per model whose Hosmer–Lemeshow or le Cessie–van Houwelingen p in the
    training set is below :data:`ALPHA` (rows as ``calibration_rows``)."""
    out = []
    if not len(calibration):
        return out
    for _, r in calibration[calibration["set"] == "training"].iterrows():
        tests = [
            f"{name} {_p(r[key])}"
            for name, key in (
                ("Hosmer–Lemeshow", "hl_p"),
                ("le Cessie–van Houwelingen", "le_cessie_p"),
            )
            if np.isfinite(r[key]) and r[key] < ALPHA
        ]
        if tests:
            out.append(
                f"Misfit of the {r['model']} in the training set: {' and '.join(tests)} "
                f"(below {ALPHA:g}). Its predicted risks depart from the observed ones where "
                "it was fitted; check non-linear effects (rcs()) and interactions before "
                "trusting its odds ratios and calibration."
            )
    return out


def _excludes(low: float, high: float, value: float) -> bool:
    return bool(np.isfinite(low) and np.isfinite(high) and (low > value or high < value))


def validation_calibration_alerts(calibration: pd.DataFrame) -> list[str]:
    """A warning per model whose validation-set calibration slope 95% CI excludes 1 or whose
    calibration-in-the-large 95% CI excludes 0."""
    from reports import formatting as F

    out = []
    if not len(calibration):
        return out
    for _, r in calibration[calibration["set"] == "validation"].iterrows():
        parts = []
        if _excludes(r["slope_ci_low"], r["slope_ci_high"], 1.0):
            est = F.fmt_est_ci(r["slope"], r["slope_ci_low"], r["slope_ci_high"])
            side = (
                "ordered against the observed outcomes"
                if r["slope"] < 0
                else "too extreme (overfitted)"
                if r["slope"] < 1
                else "too moderate"
            )
            parts.append(f"calibration slope {est} excludes 1: the predicted risks are {side}")
        if _excludes(r["citl_ci_low"], r["citl_ci_high"], 0.0):
            est = F.fmt_est_ci(r["citl"], r["citl_ci_low"], r["citl_ci_high"])
            side = "under" if r["citl"] > 0 else "over"
            parts.append(
                f"calibration-in-the-large {est} excludes 0: the model {side}estimates "
                "the risk on average"
            )
        if parts:
            out.append(
                f"Miscalibration of the {r['model']} in the validation set: "
                + "; ".join(parts)
                + ". Recalibrate (intercept, or intercept and slope) before using its risks there."
            )
    return out


def nested_pairs(fits: Mapping, reference: str) -> list[tuple[str, str]]:
    """(smaller, larger) pairs of the models compared by DeLong against ``reference`` whose
    terms are a strict subset of the other's (the clinical model inside the DL model)."""
    if reference not in fits:
        return []
    ref = set(fits[reference].terms)
    pairs = []
    for name, fit in fits.items():
        terms = set(fit.terms)
        if name == reference:
            continue
        if terms < ref:
            pairs.append((name, reference))
        elif ref < terms:
            pairs.append((reference, name))
    return pairs


def nested_lr_test(small, big) -> dict:
    """The likelihood-ratio test of ``small`` inside ``big`` in the training set: both refitted
    by maximum likelihood on the larger model's patients (``anova(glm_small, glm_big, test =
    "LRT")``): n, events, chisq, df, p_value, and the data and terms R refits."""
    from scipy import stats

    from hccstats import lrm
    from hccstats.logistic._terms import fit_columns

    data = big.data
    fit0, fit1 = lrm(small.formula, data), lrm(big.formula, data)
    chisq = max(2.0 * (fit1.stats["loglik"] - fit0.stats["loglik"]), 0.0)
    df = int(len(fit1.coef) - len(fit0.coef))
    return {
        "n": int(len(data)),
        "events": int(fit1.stats["events"]),
        "chisq": float(chisq),
        "df": df,
        "p_value": float(stats.chi2.sf(chisq, df)),
        "data": data,
        "small_terms": list(small.terms),
        "big_terms": list(big.terms),
        "variables": fit_columns(big),
        "separated": fit0.separation is not None or fit1.separation is not None,
    }


def nested_delong_alert(small: str, big: str, lrt: Mapping) -> str:
    """The warning for a DeLong test between nested models, with the LR test beside it."""
    return (
        f"DeLong test of nested models: the {small}'s terms are a subset of the {big}'s, so "
        "DeLong's test of their AUCs (the predictive-performance table) is invalid (its statistic is not normal under "
        "the null; Demler, Pencina & D'Agostino, Stat Med 2012). Use the likelihood-ratio test "
        f"of the nested pair in the training set: chi-square = {lrt['chisq']:.2f}, "
        f"df = {lrt['df']}, {_p(lrt['p_value'])} (n = {lrt['n']})."
    )
