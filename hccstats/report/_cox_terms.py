"""Model terms in the Cox stage of a survival-only study: the stepwise candidates made from the
study file's candidate terms, and, for each Cox model with terms (splines, transformations,
interactions), rms's anova() table, its partial-effect figure and their R check (rms::cph,
anova() and Predict() on the model's patients)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports import Section
from reports.model import slug

from ._context import Context
from ._partial_figures import partial_effects, render_partial_effects
from ._terms import has_model_terms, study_candidates
from ._terms_tables import anova_table, model_anova, register_term_checks

__all__ = ["cox_candidates", "render_cox_terms", "register_cox_term_checks"]


def cox_candidates(ctx: Context, significant: Sequence[str], columns) -> list[str]:
    """The stepwise candidates: the significant variables or, where the study file's
    ``clinical_candidates`` are model terms, the terms whose variables all passed."""
    given = list(ctx.analysis.screening.candidates or [])
    return study_candidates(given, list(significant), columns)


def render_cox_terms(ctx: Context, section: Section, fits: Mapping) -> dict:
    """The anova() table and the partial-effect figure of each Cox model with terms; returns
    results.json's entries: ``anova`` and ``partial_effects`` (model -> ...)."""
    anovas, partial = {}, {}
    for name, fit in fits.items():
        if not has_model_terms(fit.terms):
            continue
        anovas[name] = model_anova(fit)
        anova_table(ctx, section, f"Cox {name}", anovas[name], fit)
    for name, fit in fits.items():
        effects = partial_effects(ctx, fit)
        if effects:
            stem = f"supp_fig_cox_partial_{slug(name)}"
            partial[name] = render_partial_effects(ctx, section, stem, f"Cox {name}", effects)
    return {"anova": anovas, "partial_effects": partial}


def register_cox_term_checks(ctx: Context, stage: str, name: str, fit, time: str, event: str):
    """Each coefficient, anova() statistic and partial-effect point of a Cox model with terms
    against rms::cph on exactly the patients it was fitted on (``fit.data``)."""
    register_term_checks(
        ctx, name, fit, model_anova(fit), stage=stage, response=[time, event],
        partial=partial_effects(ctx, fit),
    )  # fmt: skip
