"""Partial-effect figures of the models with nonlinear terms or interactions (logistic and Cox):
the odds or hazard ratio against each such predictor with its 95% confidence band, as
``rms::Predict(fit, x, ref.zero = TRUE, fun = exp)`` gives it (``hccstats.partial_effect``),
one panel per predictor, a supplementary figure per model.

A predictor is shown when a term of the model transforms it (``rcs``, ``pol``, ``log``,
``sqrt``, ``exp``, ``I()``) or joins it in an interaction. The ratio is relative to the
predictor's reference value (the median of a continuous predictor, the most frequent level of
a categorical one: rms's datadist "Adjust to"), the other predictors held at theirs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from reports import Section
from reports import formatting as F

from ._context import Context

__all__ = [
    "partial_predictors",
    "partial_effects",
    "render_partial_effects",
    "check_points",
    "terms_sentence",
]

#: functions of a term that make it nonlinear in its variable
NONLINEAR = ("rcs", "pol", "log", "sqrt", "exp", "I")
#: grid points of a continuous predictor's curve that the R check compares (of rms's 200)
CHECKED = (0, 50, 100, 150, 199)


def partial_predictors(fit) -> list[str]:
    """The data columns of a model's nonlinear terms and interactions, in the model's order."""
    from hccstats.logistic._terms import code_variables

    cols = set(map(str, fit.data.columns))
    out: list[str] = []
    for term in fit.design_info.terms:
        codes = [f.code for f in term.factors]
        parsed = [([c], []) if c in cols else code_variables(c) for c in codes]
        shown = len(codes) > 1 or any(set(fns) & set(NONLINEAR) for _, fns in parsed)
        if shown:
            out += [v for vs, _ in parsed for v in vs if v in cols and v not in out]
    return out


def partial_effects(ctx: Context, fit) -> dict:
    """variable -> :class:`hccstats.PartialEffect` (rms's default grid) for each predictor of
    :func:`partial_predictors`."""
    from hccstats import partial_effect

    return {v: partial_effect(fit, v, label=ctx.label(v)) for v in partial_predictors(fit)}


def check_points(pe) -> pd.DataFrame:
    """The points of a curve the R check compares: five of a continuous predictor's grid, every
    level of a categorical one."""
    t = pe.to_frame()
    if len(t) > max(CHECKED):
        t = t.iloc[list(CHECKED)]
    return t.reset_index(drop=True)


def _reference_text(pe) -> str:
    ref = pe.reference
    return F.fmt_num(ref, 3) if isinstance(ref, (int, float)) else str(ref)


def render_partial_effects(
    ctx: Context, section: Section, stem: str, name: str, effects: Mapping
) -> dict:
    """One supplementary figure of the model's partial effects (a panel per predictor);
    returns results.json's entry: variable -> reference value and curve."""
    from hccstats.plots import journal_style, new_figure

    if not effects:
        return {}
    n = len(effects)
    ncols = 1 if n == 1 else min(n, 3)
    nrows = math.ceil(n / ncols)
    width = "single" if n == 1 else "double"
    panel_in = (8.5 if n == 1 else 17.5 / ncols) / 2.54
    with journal_style():
        fig, axes = new_figure(width, nrows * panel_in * 0.8, nrows=nrows, ncols=ncols)
        flat = list(axes.flat) if hasattr(axes, "flat") else [axes]
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for i, (ax, pe) in enumerate(zip(flat, effects.values())):
            pe.plot(ax=ax)
            if n > 1:
                ax.set_title(letters[i], loc="left", fontweight="bold")
        for ax in flat[n:]:
            ax.set_visible(False)
    ratio = next(iter(effects.values())).ratio
    panels = "; ".join(
        (f"{letters[i]}, " if n > 1 else "") + f"{pe.label} (reference {_reference_text(pe)})"
        for i, pe in enumerate(effects.values())
    )
    section.figure(
        stem,
        fig,
        caption=f"{ctx.next_figure(supplementary=True)} Partial effects in the {name}: the "
        f"{ratio} (line) and its 95% confidence band (shaded) against each predictor with a "
        f"nonlinear term or an interaction ({panels}), relative to the predictor's reference "
        "value (the median of a continuous predictor, the most frequent level of a categorical "
        "one), the other predictors held at theirs (rms Predict, ref.zero)",
    )
    return {
        v: {"reference": pe.reference, "ratio": pe.ratio, "curve": pe.to_frame()}
        for v, pe in effects.items()
    }


def terms_sentence(fits: Mapping, ratio: str) -> str:
    """The methods sentence on models with terms: rms's Wald tests and partial effects."""
    from ._terms import has_model_terms

    with_terms = [n for n, f in fits.items() if has_model_terms(f.terms)]
    drawn = [n for n, f in fits.items() if partial_predictors(f)]
    text = ""
    if with_terms:
        text += (
            " For models with splines, transformations or interactions ("
            + ", ".join(with_terms)
            + "), each predictor was tested by Wald χ² tests of all its coefficients, of its "
            "nonlinear terms and of its interactions (rms anova)."
        )
    if drawn:
        text += (
            f" The {ratio} against each predictor with a nonlinear term or an interaction was "
            "plotted with its 95% confidence band, relative to the predictor's median (the most "
            "frequent level of a categorical one), the other predictors held at theirs (rms "
            "Predict)."
        )
    return text
