"""Stage: the Cox models of a survival-only study (``survival:`` without ``outcome:``).

The univariable Cox screen of the clinical candidates (training set), the multivariable Cox
models (stepwise: ``forward_cox`` / ``backward_cox`` per ``analysis.selection``, score test in,
likelihood-ratio test out; prespecified ``analysis.models`` fitted by ``coxph``) with their
hazard ratios, and each model's performance at the horizon in the training (apparent) and
validation sets: Harrell's and Uno's C, the time-dependent AUC, O/E, the calibration slope,
ICI/E50/E90/Emax, the Brier score and the IPA, each with its 95% CI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from .._names import quote_name, term_label
from ._context import Context, StageUnavailable
from ._cox_internal import (
    cox_internal_checks,
    cox_internal_methods,
    cox_internal_results,
    cox_internal_validation,
    render_cox_internal,
)
from ._cox_nomogram import nomogram_methods, register_cox_nomogram_checks, render_cox_nomograms
from ._cox_perf import (
    Evaluation,
    check_hazard_ratios,
    check_performance,
    evaluate,
    performance_methods,
    render_performance,
)
from ._cox_terms import cox_candidates, register_cox_term_checks, render_cox_terms
from ._km_groups import check_logrank, km_by_risk, render_km
from ._partial_figures import terms_sentence
from ._published import (
    cox_equation_checks,
    published_methods,
    published_models,
    published_table,
    with_not_bootstrapped,
)
from ._s_models import CLINICAL, SELECTION_TEXT
from ._s_univariate import clinical_candidates
from ._survival_dca import (
    check_dca,
    dca_results,
    decision_curves,
    render_calibration_dca,
    render_dca_table,
)
from ._terms import has_model_terms
from ._time import at_horizon, time_axis, time_label, time_unit, units_sentence

REQUIRES: tuple[str, ...] = ("flow",)
STAGE = "cox"


@dataclass(frozen=True)
class CoxResult:
    """Screen, models and their performance at the horizon, per set."""

    time: str
    event: str
    horizon: float
    candidates: tuple[str, ...]
    screen: pd.DataFrame  # univariate_cox table (training set)
    significant: tuple[str, ...]
    fits: Mapping[str, Any]  # model -> CoxFit (training set)
    selections: Mapping[str, Any]  # stepwise model -> CoxStepwise
    hazard_ratios: pd.DataFrame  # model, term, estimate, ci_low, ci_high, p_value
    sets: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> its patients
    risks: Mapping[str, Mapping[str, np.ndarray]]  # model -> set -> risk by the horizon
    performance: pd.DataFrame  # one row per model and set
    curves: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> flexible calibration
    km_model: str  # the model whose risk groups the Kaplan–Meier curves show
    cutoff: float  # its risk cut-off (Youden index of the event by the horizon, training)
    km: Mapping[str, Any]  # set -> KmGroups
    km_table: pd.DataFrame
    dca: Mapping[str, Any]  # set -> DecisionCurve at the horizon (patients every model covers)
    no_model: str = ""  # why there is no multivariable model (a result), "" when there is one
    internal: Any = None  # CoxInternal: bootstrap validation and calibration (training set)
    published: Mapping[str, Any] = field(default_factory=dict)  # name -> PublishedCox

    @property
    def models(self) -> dict[str, Any]:
        """Every model scored: the fitted ones, then those validated from their equation."""
        return {**self.fits, **self.published}


def _stepwise(ctx: Context, train, time, event, cands) -> dict:
    from hccstats.survival import backward_cox, forward_cox

    if ctx.analysis.screening.selection == "none" or not cands:
        return {}
    select = backward_cox if ctx.analysis.screening.selection == "backward_lr" else forward_cox
    opts = ctx.analysis.screening
    cands = cox_candidates(ctx, cands, train.columns)  # rcs(age, 4), age * sex: their terms
    sw = select(
        train, time, event, cands, entry=opts.entry, removal=opts.removal, nan_policy="omit"
    )
    return {CLINICAL: sw} if sw.selected else {}


def _prespecified(ctx: Context, train, time, event) -> dict:
    from hccstats.logistic._candidates import candidate_term
    from hccstats.survival import coxph

    surv = f"Surv({quote_name(time)}, {quote_name(event)})"
    out = {}
    for name, variables in ctx.analysis.models.items():
        rhs = " + ".join(candidate_term(v, train.columns) for v in variables)
        out[name] = coxph(f"{surv} ~ {rhs}", train, nan_policy="omit")
    return out


def compute(ctx: Context, flow) -> CoxResult:
    from hccstats.survival import univariate_cox

    study = ctx.study
    if not getattr(study, "survival_only", False):
        raise StageUnavailable(
            "the study has a binary outcome; its time-to-event analysis is in 'Time to the event'"
        )
    surv = ctx.analysis.survival
    time, event, horizon = surv.time, surv.event, surv.horizon
    data = flow.data
    cands = [c for c in clinical_candidates(ctx, data) if c not in (time, event)]
    train = data[data["split"] == "training"]
    screen = univariate_cox(train, time, event, cands, nan_policy="omit").table
    p_min = screen.groupby("predictor", sort=False)["p_value"].min()
    significant = [c for c in cands if p_min.get(c, np.nan) < ctx.analysis.screening.alpha]
    selections = _stepwise(ctx, train, time, event, significant)
    fits = {n: sw.fit for n, sw in selections.items()}
    fits.update(_prespecified(ctx, train, time, event))
    published = published_models(ctx)
    models = {**fits, **published}
    none = pd.DataFrame(columns=["model", "term", "set"])
    if not models:
        return CoxResult(
            time, event, horizon, tuple(cands), screen, tuple(significant), {}, {}, none, {},
            {}, none, {}, "", float("nan"), {}, none, {}, _no_model(ctx, significant),
        )  # fmt: skip
    hrs = [f.hazard_ratios().assign(model=n) for n, f in fits.items()]
    hrs = pd.concat(hrs, ignore_index=True) if hrs else none
    ev = evaluate(models, data, time, event, horizon)
    main = next(iter(models))
    cutoff, km, km_table = km_by_risk(ev.sets[main], ev.risks[main], time, event, horizon)
    return CoxResult(
        time, event, horizon, tuple(cands), screen, tuple(significant), fits, selections,
        hrs, ev.sets, ev.risks, ev.performance, ev.curves, main, cutoff, km, km_table,
        decision_curves(ctx, models, ev.sets, time, event, horizon), published=published,
        internal=_internal(ctx, fits, selections, horizon, published),
    )  # fmt: skip


def _internal(ctx: Context, fits, selections, horizon: float, published):
    """The fitted models' bootstrap validation, a row per published model saying it does not
    apply; None without a fitted model."""
    if not fits:
        return None
    iv = cox_internal_validation(ctx, fits, selections, horizon)
    return with_not_bootstrapped(iv, published)


def _no_model(ctx: Context, significant: list[str]) -> str:
    """Why no multivariable Cox model was built: a result, not a failure."""
    opts = ctx.analysis.screening
    why = (
        f"the {SELECTION_TEXT[ctx.analysis.screening.selection][0]} selection kept no candidate (entry p < "
        f"{opts.entry:g})"
        if significant
        else f"no variable reached p < {opts.alpha:g} in the univariable Cox analysis"
    )
    return (
        f"No multivariable Cox model: {why}, and the study file prespecifies none "
        "(analysis.models); a result, not a failure."
    )


def _endpoint(ctx: Context, result: CoxResult) -> str:
    """ "the time to the event (Follow-up, years)": the time's label and unit where declared."""
    label, unit = time_label(ctx, result.time), time_unit(ctx, result.time)
    named = ", ".join(x for x in (label if label != result.time else "", unit or "") if x)
    return f"the time to the event ({named})" if named else "the time to the event"


def _level(term: str) -> str:
    return f": {term.split('[T.', 1)[1][:-1]}" if "[T." in term else ""


def _term_text(ctx: Context, term: str) -> str:
    return ctx.label(term_label(term.split("[T.")[0])) + _level(term)


def _render_screen(ctx: Context, section: Section, result: CoxResult) -> None:
    section.table(
        "table_cox_univariable",
        result.screen.assign(
            label=[
                _term_text(ctx, t) + (f" vs {ref}" if isinstance(ref, str) else "")
                for t, ref in zip(result.screen["term"], result.screen["reference"])
            ]
        ),
        caption=f"{ctx.next_table()} Univariable Cox proportional-hazards analysis of "
        f"{_endpoint(ctx, result)} in the training set",
        formats={
            "Variable": F.col("label", "text"),
            "HR (95% CI)": lambda r: F.fmt_or_ci(r["estimate"], r["ci_low"], r["ci_high"]),
            "p value": lambda r: F.fmt_p(r["p_value"], star=True),
            "n (events)": lambda r: f"{int(r['n'])} ({int(r['events'])})",
        },
        footnote="HR per unit of each continuous variable; Efron ties; Wald 95% CI and p. "
        f"*p < {ctx.analysis.screening.alpha:g}.",
    )


def _render_models(ctx: Context, section: Section, result: CoxResult) -> None:
    """The multivariable Cox models side by side, as the logistic Table 3 (β, HR, p)."""
    from ._table3 import table3, table3_formats

    fits = dict(result.fits)
    coef = [
        float(fits[m].coef[t])
        for m, t in zip(result.hazard_ratios["model"], result.hazard_ratios["term"])
    ]
    wide = table3(ctx, fits, result.hazard_ratios.assign(coef=coef), intercept=False)
    notes = []
    for name, fit in fits.items():
        how = (
            f"{SELECTION_TEXT[ctx.analysis.screening.selection][0]} selection from the variables with "
            f"univariable p < {ctx.analysis.screening.alpha:g}"
            if name in result.selections
            else "prespecified (analysis.models)"
        )
        notes.append(f"{name}: {how}; n = {fit.n}, events = {fit.n_events}")
    section.table(
        "table_cox_multivariable",
        wide,
        caption=f"{ctx.next_table()} Multivariable Cox proportional-hazards models of "
        f"{_endpoint(ctx, result)} (training set)",
        formats=table3_formats(fits, ratio="HR"),
        footnote="; ".join(notes) + ". β and HR per unit of each continuous variable; Efron "
        "ties; Wald 95% CI and p. —: not in the model. *p < 0.05.",
    )


def render(ctx: Context, section: Section, result: CoxResult) -> None:
    section.text(
        f"Time to the event: {result.time} ({time_axis(ctx, result.time)}; event "
        f"{result.event}); horizon "
        f"{at_horizon(ctx, result.time, result.horizon)}. Every model is a Cox "
        "proportional-hazards model of the training set."
    )
    _render_screen(ctx, section, result)
    terms: dict = {}
    nomograms: dict = {}
    if result.no_model:
        section.text(result.no_model)
    else:
        if result.fits:
            _render_models(ctx, section, result)
        if result.published:
            published_table(ctx, section, result.published, "HR")
        terms = render_cox_terms(ctx, section, result.fits)  # anova, partial effects
        render_performance(
            ctx, section, result.performance, key="table_cox_performance",
            what="the Cox models", time=result.time, horizon=result.horizon,
        )  # fmt: skip
        at = at_horizon(ctx, result.time, result.horizon)
        if result.internal is not None:
            render_cox_internal(ctx, section, result.internal, at)
        _render_figures(ctx, section, result)
        nomograms = render_cox_nomograms(ctx, section, result)
    ctx.results[STAGE] = {
        "time": result.time,
        "event": result.event,
        "horizon": result.horizon,
        "univariable": result.screen,
        "significant": list(result.significant),
        "models": {n: [term_label(t) for t in f.terms] for n, f in result.fits.items()},
        "published": {
            n: {"coef": m.coef, "baseline_survival": float(m.baseline[0]), "centre": m.centre}
            for n, m in result.published.items()
        },
        "hazard_ratios": result.hazard_ratios.assign(
            term=[term_label(t) for t in result.hazard_ratios["term"]]
        ),
        "performance": result.performance,
        "km_risk_groups": result.km_table,
        "dca": dca_results(result.dca) if result.dca else None,
        "nomogram": nomograms,
        "no_model": result.no_model or None,
        "internal_validation": cox_internal_results(result.internal) if result.internal else None,
        **terms,
    }


def _render_figures(ctx: Context, section: Section, result: CoxResult) -> None:
    h = result.horizon
    render_km(
        ctx, section, result.km, time=result.time, horizon=h, model=result.km_model,
        cutoff=result.cutoff,
    )  # fmt: skip
    render_calibration_dca(
        ctx, section, "fig_cox_calibration_dca", result.curves, result.dca, time=result.time,
        horizon=h, what="the Cox models",
    )  # fmt: skip
    render_dca_table(ctx, section, "table_cox_dca", result.dca, time=result.time, horizon=h)


def r_checks(ctx: Context, result: CoxResult) -> None:
    time, event, h = result.time, result.event, result.horizon
    for name, fit in result.fits.items():
        if has_model_terms(fit.terms):  # rms::cph names spline columns; survival::coxph cannot
            register_cox_term_checks(ctx, STAGE, name, fit, time, event)
            continue
        check_hazard_ratios(ctx, STAGE, name, fit, result.sets[name]["training"], time, event)
    check_logrank(ctx, STAGE, result.km, result.km_model)
    ev = Evaluation(result.sets, result.risks, result.performance, result.curves)
    check_performance(ctx, STAGE, result.models, ev, time, event, h)
    if result.dca:
        check_dca(ctx, STAGE, result.models, result.sets, result.dca, time, event, h)

    if result.internal is not None:
        train = {n: d["training"] for n, d in result.sets.items()}
        cox_internal_checks(ctx, STAGE, result.internal, result.fits, train, time, event)

    register_cox_nomogram_checks(ctx, result)
    for name, model in result.published.items():
        for _, row in result.performance[result.performance["model"] == name].iterrows():
            d = result.sets[name][row["set"]]
            cox_equation_checks(ctx, STAGE, name, model, row["set"], d, row, (time, event, h))


def methods(ctx: Context, result: CoxResult) -> str:
    sel = ""
    if result.selections:
        sel = (
            SELECTION_TEXT[ctx.analysis.screening.selection][1].format(
                entry=ctx.analysis.screening.entry, removal=ctx.analysis.screening.removal
            )
            + ". "
        )
    return (
        units_sentence(ctx, result.time, result.horizon)
        + "The endpoint was the time to the event; every model was a Cox proportional-hazards "
        "model (Efron ties, survival::coxph-equivalent) fitted on the training set. Variables "
        f"with univariable Cox p < {ctx.analysis.screening.alpha:g} entered the multivariable analysis. "
        + sel
        + performance_methods(at_horizon(ctx, result.time, result.horizon))
        + (cox_internal_methods(result.internal, result.horizon) if result.internal else "")
        + terms_sentence(result.fits, "hazard ratio")
        + nomogram_methods(ctx, result)
        + published_methods(ctx, result.published, "cox")
    )
