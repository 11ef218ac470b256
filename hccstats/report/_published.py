"""Models validated from their published equation (``analysis.models``, a mapping): built from
the study file, never refitted and never selected; scored in every set with the measures of
the fitted models. This module holds what the logistic and Cox stages share: the models, the
patients each can score, the table of the published coefficients, the internal-validation row
and the methods sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ._context import Context

__all__ = [
    "published_models",
    "is_published_model",
    "model_columns",
    "published_coefficients",
    "published_table",
    "published_methods",
    "NOT_BOOTSTRAPPED",
    "not_bootstrapped_row",
    "with_not_bootstrapped",
    "bootstrap_number",
]

#: what the internal validation's table says of a published model, instead of a number
NOT_BOOTSTRAPPED = (
    "Not applicable: validated from its published equation (no refit to bootstrap; "
    "every number is apparent on these patients)"
)


def published_models(ctx: Context) -> dict[str, Any]:
    """{name: PublishedLogistic or PublishedCox} of the study file's published equations, the
    factors' levels as declared, a Cox baseline at the study's horizon."""
    from hccstats.study._published import published_model

    study = ctx.study
    horizon = (study.survival or {}).get("horizon")
    return {
        name: published_model(spec, study.variables, ctx.analysis.screening.ordinal_as, horizon)
        for name, spec in ctx.analysis.published.items()
    }


def is_published_model(model: Any) -> bool:
    from hccstats.published import PublishedCox, PublishedLogistic

    return isinstance(model, (PublishedLogistic, PublishedCox))


def model_columns(model: Any, data: pd.DataFrame) -> list[str]:
    """The data columns a model reads (those a patient needs recorded to be scored), fitted or
    published."""
    from hccstats.logistic._terms import fit_columns, term_variables

    if not is_published_model(model):
        return [c for c in fit_columns(model) if c in data.columns]
    out: list[str] = []
    for term in model.equation.formula.split(" + "):
        out += [v for v in term_variables(term.strip()) if v in data.columns and v not in out]
    return out


def published_coefficients(ctx: Context, published: Mapping[str, Any]) -> pd.DataFrame:
    """One row per published number: model, term (as the study file names it), label, beta,
    ratio (exp(beta); NaN for the intercept and the baseline survival)."""
    from .._names import term_label

    rows = []
    for name, m in published.items():
        if hasattr(m, "intercept"):
            rows.append(_row(name, "Intercept", "Intercept", m.intercept, np.nan))
        for term, b in m.coef.items():
            if term == "Intercept":
                continue
            rows.append(_row(name, term_label(term), _label(ctx, term), b, float(np.exp(b))))
        if hasattr(m, "baseline"):
            h = float(m.times[0])
            rows.append(_row(name, f"S0({h:g})", f"Baseline survival at {h:g}", m.baseline[0]))
            rows.append(_row(name, "centre", "Linear predictor S0 holds at (centre)", m.centre))
    return pd.DataFrame(rows, columns=["model", "term", "label", "coef", "ratio", "source"])


def _label(ctx: Context, column: str) -> str:
    """A design column for the table: ``race[T.black]`` -> "Race: black", an interaction's
    parts joined by ×."""
    from hccstats.study._published import split_interaction

    parts = []
    for part in split_interaction(column):
        base, _, level = part.partition("[T.")
        parts.append(ctx.label(base) + (f": {level[:-1]}" if level else ""))
    return " × ".join(parts)


def _row(model: str, term: str, label: str, coef: float, ratio: float = np.nan) -> dict:
    return {
        "model": model,
        "term": term,
        "label": label,
        "coef": float(coef),
        "ratio": ratio,
        "source": "published",
    }


def published_table(
    ctx: Context, section: Section, published: Mapping[str, Any], ratio: str
) -> pd.DataFrame:
    """The table of the published equations (β, ``ratio`` = exp(β), labelled "published", no
    CI or p); returns its rows (for results.json)."""
    table = published_coefficients(ctx, published)
    section.table(
        "table_published_models",
        table,
        caption=f"{ctx.next_table()} Models validated from their published equation "
        "(coefficients as published; not refitted)",
        formats={
            "Model": F.col("model", "text"),
            "Term": F.col("label", "text"),
            "β (published)": lambda r: F.fmt_num(r["coef"], 4),
            ratio: lambda r: "—" if pd.isna(r["ratio"]) else F.fmt_num(r["ratio"], 3),
            "95% CI": lambda r: "—",
            "p value": lambda r: "—",
            "Source": F.col("source", "text"),
        },
        footnote="Coefficients as the study file gives them from the publication: the model was "
        "applied to these patients as published, never refitted, so it has no confidence "
        "interval or p value here (—), and internal (bootstrap) validation does not apply to "
        f"it. {ratio} = exp(β)."
        + (
            " Risk by the horizon: 1 − S0 ^ exp(linear predictor − centre)."
            if ratio == "HR"
            else " Risk: 1 / (1 + exp(−(intercept + Σ β × value)))."
        ),
    )
    return table


def published_methods(ctx: Context, published: Mapping[str, Any], family: str) -> str:
    """The methods sentence of the published models ("" without one)."""
    if not published:
        return ""
    names = ", ".join(published)
    how = (
        "its intercept and coefficients"
        if family == "logistic"
        else "its coefficients and baseline survival at the horizon"
    )
    return (
        f" {names} {'was' if len(published) == 1 else 'were'} validated from the published "
        f"equation ({how}, as given in the study file): applied unchanged to the patients with "
        "its variables recorded in each set, never refitted and not part of any selection; its "
        "performance was assessed with the same measures as the fitted models, and internal "
        "(bootstrap) validation does not apply to it."
    )


def not_bootstrapped_row(model: str) -> dict:
    """The internal-validation table's row of a published model: said, not a number."""
    return {
        "model": model,
        "index": NOT_BOOTSTRAPPED,
        "apparent": np.nan,
        "optimism": np.nan,
        "corrected": np.nan,
        "B": 0,
        "n_failed": 0,
        "n": 0,
        "selection_repeated": False,
    }


def _r_lp(model: Any, data: pd.DataFrame) -> np.ndarray:
    """The equation's linear predictor computed in R (``model.matrix`` times the coefficients;
    the intercept added for a logistic model, the centre taken off for a Cox model)."""
    from ..rbridge import report_checks as _rcheck

    eq = model.equation
    lp = _rcheck.published_lp(data, eq.by_term(data), eq.levels)
    return lp + model.intercept if hasattr(model, "intercept") else lp - model.centre


def logistic_equation_checks(
    ctx: Context, name: str, model: Any, part: str, data: pd.DataFrame, y, row: Mapping
) -> None:
    """R recomputes a published logistic model's risks from its equation (``plogis`` of R's
    linear predictor) and, on them, the AUC (pROC) and rms::val.prob's intercept, slope and
    Brier score; each is compared with the report's number (``row``: the AUC and the
    calibration row of the model in ``part``)."""
    from ..rbridge import report_checks as _rcheck

    y = np.asarray(y, float)

    def risk() -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-_r_lp(model, data)))

    call = "plogis(b0 + model.matrix(~ terms, d) %*% b) in R, then "
    ctx.check(
        "performance",
        f"AUC, {name}, {part} (risks from the published equation in R)",
        row["auc"],
        call + "pROC::auc",
        lambda: _rcheck.auc_ci(y, risk())[0],
    )
    for key, r_name in (("intercept", "Intercept"), ("slope", "Slope"), ("brier", "Brier")):
        if key in row and np.isfinite(row[key]):
            ctx.check(
                "performance",
                f"val.prob {r_name}, {name}, {part} (risks from the published equation in R)",
                row[key],
                call + "rms::val.prob",
                lambda r_name=r_name: float(_rcheck.val_prob(y, risk())[r_name]),
            )


def cox_equation_checks(
    ctx: Context, stage: str, name: str, model: Any, part: str, data: pd.DataFrame, row, surv
) -> None:
    """R recomputes a published Cox model's linear predictor and risks by the horizon from its
    equation (``1 - S0 ^ exp(lp - centre)``) and, on them, Harrell's C, O/E and the calibration
    slope; ``row``: the model's performance row in ``part``; ``surv``: (time, event, horizon)."""
    from ..rbridge import survival_checks as R

    time, event, h = surv
    t, e = data[time].to_numpy(float), data[event].to_numpy(float)
    s0 = float(model.baseline[0])

    def lp_risk() -> tuple[np.ndarray, np.ndarray]:
        lp = _r_lp(model, data)
        return lp, -np.expm1(np.exp(lp) * np.log(s0))

    call = "1 - S0^exp(model.matrix(~ terms, d) %*% b - centre) in R, then "
    ctx.check(
        stage,
        f"Harrell's C, {name}, {part} (risks from the published equation in R)",
        row["harrell_c"],
        call + "survival::concordance(reverse = TRUE)",
        lambda: R.concordance_c(t, e, lp_risk()[1], "n", h)[0],
    )
    for key, what in (("oe", "O/E"), ("slope", "Calibration slope")):
        ctx.check(
            stage,
            f"{what} at {h:g}, {name}, {part} (risks from the published equation in R)",
            row[key],
            call + "survival::survfit / coxph(Surv(time, event) ~ lp)",
            lambda k=key: R.oe_slope(t, e, lp_risk()[1], lp_risk()[0], h)[k],
            rtol=1e-6,
        )


def with_not_bootstrapped(internal: Any, published: Mapping[str, Any]) -> Any:
    """A Cox internal validation (``CoxInternal``) whose table also says, per published model,
    that the bootstrap does not apply (None stays None: no fitted model was validated)."""
    from dataclasses import replace

    if internal is None or not published:
        return internal
    rows = [{**not_bootstrapped_row(n), "source": "published"} for n in published]
    table = pd.concat([internal.table, pd.DataFrame(rows)], ignore_index=True)
    return replace(internal, table=table)


def bootstrap_number(key: str):
    """An internal-validation table's number with 3 decimals, or — where there is none (a
    published model, not bootstrapped)."""
    return lambda r: "—" if pd.isna(r[key]) else F.fmt_num(r[key], 3)


def resamples_used(r) -> str:
    """ "998 (2)": resamples used (failed), or — for a published model (not bootstrapped)."""
    if not r["B"]:
        return "—"
    return f"{int(r['B']) - int(r['n_failed'])} ({int(r['n_failed'])})"


def internal_validation_formats() -> dict:
    """The columns of an internal-validation table (logistic or Cox): model, index, apparent,
    optimism, optimism-corrected, resamples used (failed)."""
    return {
        "Model": F.col("model", "text"),
        "Index": F.col("index", "text"),
        "Apparent": bootstrap_number("apparent"),
        "Optimism": bootstrap_number("optimism"),
        "Optimism-corrected": bootstrap_number("corrected"),
        "Resamples used (failed)": resamples_used,
    }
