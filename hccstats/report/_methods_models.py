"""Methods sentences on the final models: how continuous predictors entered (linear, or the
spline, polynomial or transformation a model declares) and each model's events per variable."""

from __future__ import annotations

from collections.abc import Mapping

from ._context import Context
from ._events import events_per_variable

__all__ = ["linearity_sentence", "epv_sentence"]


def _forms(ctx: Context, fits: Mapping) -> dict[str, dict[str, None]]:
    """The final models' non-categorical predictors by how they entered: "linear", "score"
    (an ordinal variable as numeric scores) or "declared" (rcs(), pol(), log(), ...), as
    rms reads each design (``model_predictors``)."""
    from hccstats.logistic._terms import model_predictors, term_label

    variables = getattr(ctx.study, "variables", None) or {}
    forms: dict[str, dict[str, None]] = {"linear": {}, "score": {}, "declared": {}}
    for fit in fits.values():
        preds, _ = model_predictors(fit.design_info, fit.data.columns, fit.formula)
        for p in preds:
            var = variables.get(p.name)
            kind = getattr(var, "type", "continuous")
            if p.kind == "categorical" or kind in ("binary", "categorical"):
                continue
            if p.kind != "linear":
                forms["declared"][term_label(p, ctx.label(p.name))] = None
            else:
                forms["score" if kind == "ordinal" else "linear"][ctx.label(p.name)] = None
    return forms


def linearity_sentence(ctx: Context, fits: Mapping) -> str:
    """Which continuous predictors entered linearly on the log-odds scale and which in the
    form a model declares (splines, polynomials, transformations)."""
    forms = _forms(ctx, fits)
    parts = []
    if forms["linear"]:
        parts.append(
            "entered linearly on the log-odds scale (no transformation or spline was declared): "
            + ", ".join(forms["linear"])
        )
    if forms["score"]:
        parts.append("ordinal, entered linearly as numeric scores: " + ", ".join(forms["score"]))
    if forms["declared"]:
        parts.append(
            "entered in the form their model declares (restricted cubic splines with rms's knot "
            "placement, polynomials, transformations): " + ", ".join(forms["declared"])
        )
    return " Continuous predictors of the final models " + "; ".join(parts) + "." if parts else ""


def epv_sentence(fits: Mapping) -> str:
    """Each final model's events per variable (the fewer of events and non-events per degree
    of freedom)."""
    parts = []
    for name, fit in fits.items():
        e = events_per_variable(fit)
        if e["df"]:
            parts.append(f"{name} {e['epv']:.1f} ({e['limiting']} for {e['df']} df)")
    if not parts:
        return ""
    return (
        " Events per variable of the final models (the fewer of events and non-events per "
        "degree of freedom, training set): " + "; ".join(parts) + "."
    )
