"""Methods sentences on the final models: how continuous predictors entered (linear, or a
restricted cubic spline where a model declares ``rcs()``) and each model's events per variable."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._context import Context
from ._events import events_per_variable

__all__ = ["linearity_sentence", "epv_sentence"]

_RCS = re.compile(r"^rcs\(\s*(.+?)\s*,\s*(\d+)\s*\)$")
_TRANSFORM = re.compile(r"^(log|log2|log10|sqrt|exp)\((.+)\)$")


def _name(term: str) -> str:
    """A variable's name from its formula spelling (``Q('BCLC stage')`` → ``BCLC stage``)."""
    if term.startswith("Q(") and term.endswith(")"):
        import ast

        try:
            return str(ast.literal_eval(term[2:-1]))
        except (ValueError, SyntaxError):
            return term
    return term


def _kind(ctx: Context, term: str) -> str | None:
    """ "spline:<k>", "transform:<f>", "linear", "score" (an ordinal variable as numeric scores)
    or None (categorical, binary: no shape to choose)."""
    m = _RCS.match(term)
    if m:
        return f"spline:{m.group(2)}"
    m = _TRANSFORM.match(term)
    if m:
        return f"transform:{m.group(1)}"
    var = (getattr(ctx.study, "variables", None) or {}).get(_name(term))
    if var is None:  # a signature or other derived score: a continuous column
        return "linear"
    if var.type == "continuous":
        return "linear"
    if var.type == "ordinal" and ctx.options.ordinal_as == "numeric":
        return "score"
    return None


def linearity_sentence(ctx: Context, fits: Mapping) -> str:
    """Which continuous predictors entered linearly on the log-odds scale and which as splines."""
    linear, scores, splines, transformed = {}, {}, {}, {}
    for fit in fits.values():
        for term in fit.terms:
            kind = _kind(ctx, term) or ""
            if kind == "linear":
                linear[ctx.label(term)] = None
            elif kind == "score":
                scores[ctx.label(term)] = None
            elif kind.startswith("spline:"):
                name = _RCS.match(term).group(1)
                splines[f"{ctx.label(name)} ({kind.split(':')[1]} knots)"] = None
            elif kind.startswith("transform:"):
                name = _TRANSFORM.match(term).group(2)
                transformed[f"{ctx.label(name)} ({kind.split(':')[1]})"] = None
    if not (linear or scores or splines or transformed):
        return ""
    parts = []
    if linear:
        parts.append(
            "entered linearly on the log-odds scale (no transformation or spline was declared): "
            + ", ".join(linear)
        )
    if scores:
        parts.append("ordinal, entered linearly as numeric scores: " + ", ".join(scores))
    if transformed:
        parts.append(
            "entered linearly after the transformation the model declares: "
            + ", ".join(transformed)
        )
    if splines:
        parts.append(
            "entered as restricted cubic splines (rcs(), Harrell's knot placement): "
            + ", ".join(splines)
        )
    return " Continuous predictors of the final models " + "; ".join(parts) + "."


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
