"""Stage 6: multivariable models (Table 3) and their nomograms (Fig. 5).

Stepwise models (``analysis: {selection: forward_lr}``, the default, or ``backward_lr``) and
prespecified ones (``analysis: {models: ...}``). Clinical model: stepwise over the clinical
variables significant in the univariable
analysis. DL model: the same plus the reference (mp-MR) signature. rms draws the nomograms
through rpy2; the native engine is the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from .._errors import InputError
from .._names import term_label, unquote_name
from ..rbridge import report_checks as _rcheck
from ._context import Context, StageFailed, StageUnavailable
from ._events import epv_alert, events_per_variable
from ._nomogram_figures import draw_nomograms, place_nomograms
from ._partial_figures import partial_effects, render_partial_effects, terms_sentence
from ._published import published_methods, published_models, published_table
from ._s_features import PER_FOOTNOTE, SIG_PER
from ._separation import (
    NOMOGRAM_NOT_DRAWN,
    firth_refit,
    model_odds_ratios,
    separating_terms,
    separation_alert,
)
from ._stages import SplitData
from ._terms import has_model_terms, study_candidates
from ._terms_tables import anova_table, model_anova, register_term_checks
from ._univariable_fits import unusable

REQUIRES: tuple[str, ...] = ("flow", "univariate")
USES: tuple[str, ...] = ("features",)
CLINICAL, DL = "Clinical model", "DL model"
#: selection -> (short name, the sentence of the footnote and methods)
SELECTION_TEXT = {
    "forward_lr": (
        "forward LR",
        "Forward stepwise selection: entry by the score test p < {entry:g}, removal by the "
        "likelihood-ratio test p > {removal:g} (SPSS Forward: LR)",
    ),
    "backward_lr": (
        "backward LR",
        "Backward stepwise selection from all candidates: removal by the likelihood-ratio test "
        "p > {removal:g}, re-entry by the score test p < {entry:g} (SPSS Backward: LR)",
    ),
}
NOMOGRAM_NAMES = {CLINICAL: "Clinical nomogram", DL: "DL nomogram"}


def _nomograms(
    ctx: Context, fit, stem: str, ordinal: dict
) -> tuple[list[tuple[str, object, str]], str]:
    """The model's nomogram, drawn by the engine(s) of ``report.nomogram``
    (:func:`~._nomogram_figures.draw_nomograms`)."""
    labels = {unquote_name(t): ctx.label(t) for t in fit.terms}
    return draw_nomograms(
        ctx,
        fit,
        stem,
        labels=labels,
        fun_label=f"Risk of {ctx.study.outcome_label.lower()}",
        value_labels=ordinal,
        fun_at="auto",  # risk ticks chosen from the axis length: labels never overlap
    )


def ordinal_value_labels(flow, terms) -> dict[str, dict[float, str]]:
    """Ordinal variables entered as scores whose levels are not numbers: {variable: {score: level label}}."""
    out = {}
    for name in flow.ordinal_numeric:
        if name in terms:
            scores = flow.ordinal_scores.get(name, {})
            if any(str(label) != format(score, "g") for score, label in scores.items()):
                out[name] = dict(scores)
    return out


def _stepwise_specs(ctx: Context, univariate, ref_sig: str | None) -> list[tuple[str, list[str]]]:
    """(model, stepwise candidates): the significant clinical variables, or, where the study
    file's ``clinical_candidates`` are model terms, the terms whose variables all passed."""
    clinical = list(univariate.significant_clinical)
    given = list(ctx.analysis.screening.candidates or [])
    clinical = study_candidates(given, clinical, univariate.data.columns)
    specs = []
    if clinical:
        specs.append((CLINICAL, clinical))
    if ref_sig is not None:
        specs.append((DL, clinical + [ref_sig]))
    return specs


def _select(ctx: Context, train: pd.DataFrame, selection: str, cands: list[str]):
    """The :class:`~hccstats.logistic.Stepwise` of one model (``selected`` empty when no
    candidate entered)."""
    from hccstats import backward_lr, forward_lr

    opts = ctx.analysis.screening
    return (backward_lr if selection == "backward_lr" else forward_lr)(
        train,
        ctx.study.outcome,
        cands,
        entry=opts.entry,
        removal=opts.removal,
        nan_policy="omit",
        allow_separation=opts.firth,  # the selected model is refitted by Firth
    )


def _prespecified(ctx: Context, train: pd.DataFrame, variables: list[str]):
    """A prespecified model: every variable or term kept, fitted on the training patients that
    have them."""
    from hccstats import lrm
    from hccstats._names import quote_name
    from hccstats.logistic._candidates import candidate_term

    outcome = ctx.study.outcome
    formula = f"{quote_name(outcome)} ~ " + " + ".join(
        candidate_term(v, train.columns) for v in variables
    )
    return lrm(formula, train, nan_policy="omit", firth=ctx.analysis.screening.firth)


def units_of(fit, signatures, per: dict) -> dict[str, float]:
    """Odds-ratio units per model term: signatures per SIG_PER, ``per`` (a number or sd: the SD
    in the model's own training patients) for numeric variables, 1 otherwise."""
    out = {}
    for term in fit.terms:
        name = unquote_name(term)  # the column of Q('BCLC stage')
        if name in signatures:
            out[term] = SIG_PER
        elif name in per and term in fit.coef.index:  # numeric terms only: one coefficient
            k = per[name]
            out[term] = float(fit.data[name].astype(float).std(ddof=1)) if k == "sd" else k
    return out


@dataclass(frozen=True)
class ModelsResult(SplitData):
    """The multivariable models: the fits, their selection and their odds ratios.

    ``data``: the univariable stage's frame (the flow's data with the signatures); each fit
    holds its own training patients (``fit.data``).
    """

    data: pd.DataFrame
    fits: Mapping[str, Any]  # model name -> LogisticFit (Firth refits with ``firth: true``)
    selections: Mapping[str, Any]  # stepwise models -> Stepwise (repeated in validation)
    candidates: Mapping[str, list[str]]  # model -> candidates (stepwise) or variables
    empty: tuple[str, ...]  # stepwise models in which no candidate entered
    odds_ratios: pd.DataFrame  # model, term, OR per units, CI, p, per, coef
    units: Mapping[str, Mapping[str, float]]  # model -> term -> OR units
    notes: tuple[str, ...]  # separation / Firth sentences for the footnote
    signatures: frozenset[str]  # signature columns (OR per SIG_PER)
    reference_signature: str | None  # the mp-MR (or last) signature column
    ordinal_labels: Mapping[str, Mapping[float, str]]  # nomograms' tick labels of ordinal scores
    anovas: Mapping[str, pd.DataFrame]  # model -> rms anova() Wald tests per predictor
    not_estimable: Mapping[str, str] = field(default_factory=dict)  # model -> why not fitted
    published: Mapping[str, Any] = field(default_factory=dict)  # name -> PublishedLogistic

    @property
    def steps(self) -> dict[str, pd.DataFrame]:
        return {n: sw.steps for n, sw in self.selections.items()}


#: what a model's data can make fail: a reason to say, not a bug
_DATA_ERRORS = (InputError, np.linalg.LinAlgError, ValueError, ArithmeticError)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _stepwise_fits(ctx: Context, train, specs) -> tuple[dict, dict, list, dict]:
    """Each stepwise model's selection: (fits, selections, empty, not estimable: reason)."""
    fits, selections, empty, failed = {}, {}, [], {}
    for name, cands in specs:
        why = unusable(train, cands)
        if why is not None:
            failed[name] = why
            continue
        try:
            sw = _select(ctx, train, ctx.analysis.screening.selection, cands)
        except _DATA_ERRORS as exc:
            failed[name] = _reason(exc)
            continue
        if not sw.selected:
            empty.append(name)
            continue
        fits[name], selections[name] = sw.fit, sw
    return fits, selections, empty, failed


def _prespecified_fits(ctx: Context, train, taken) -> tuple[dict, dict]:
    """Each prespecified model fitted alone: (fits, not estimable: reason); one model that
    cannot be fitted (a constant or all-missing predictor) leaves the others as they are."""
    fits, failed = {}, {}
    for name, variables in ctx.analysis.models.items():
        if name in taken:
            raise InputError(
                f"study.yaml: analysis.models: {name!r} is also the name of a selected model"
            )
        why = unusable(train, variables)
        if why is None:
            try:
                fits[name] = _prespecified(ctx, train, variables)
                continue
            except _DATA_ERRORS as exc:
                why = _reason(exc)
        failed[name] = why
    return fits, failed


def _no_model(ctx: Context, specs, empty, failed) -> Exception:
    """Why no model was fitted: a shortfall when a model could not be estimated, a result
    when no candidate passed the selection's entry p."""
    if failed:
        return StageFailed(
            "no multivariable model could be fitted: "
            + "; ".join(f"{n}: not estimable ({why})" for n, why in failed.items())
        )
    how = SELECTION_TEXT[ctx.analysis.screening.selection][0]
    cands = "; ".join(
        f"{n}: {', '.join(ctx.label(c) for c in cs)}" for n, cs in specs if n in empty
    )
    opts = ctx.analysis.screening
    return StageUnavailable(
        f"no multivariable model: the {how} selection kept no candidate (entry p < "
        f"{opts.entry:g}, removal p > {opts.removal:g}; candidates: {cands}); a result, "
        "not a failure"
    )


def compute(ctx: Context, flow, univariate, features=None) -> ModelsResult:
    opts, p = ctx.analysis.screening, ctx.analysis
    ref_sig = features.reference_column if features is not None else None
    specs = _stepwise_specs(ctx, univariate, ref_sig) if p.screening.selection != "none" else []
    published = published_models(ctx)  # validated from their equation: never fitted
    if not specs and not p.models and not published:
        raise StageUnavailable(
            f"no variable reached p < {opts.alpha:g} in the univariable analysis, so there "
            "was no candidate for a multivariable model; a result, not a failure"
        )
    signatures = frozenset(features.columns.values()) if features is not None else frozenset()
    train = univariate.training()
    fits, selections, empty, failed = _stepwise_fits(ctx, train, specs)
    cands_of = {name: cands for name, cands in specs if name in fits}
    pre, pre_failed = _prespecified_fits(ctx, train, fits)
    fits.update(pre)
    failed.update(pre_failed)
    cands_of.update({n: list(p.models[n]) for n in pre})
    if not fits and not published:
        raise _no_model(ctx, specs, empty, failed)
    rows, units, notes = [], {}, []
    for name in list(fits):
        fit = fits[name] = firth_refit(fits[name]) if opts.firth else fits[name]
        units[name] = units_of(fit, signatures, p.screening.per)
        raw_ors, sep_note = model_odds_ratios(name, fit, ctx.label)
        notes.append(sep_note)
        ors = per_units(raw_ors, units[name])
        ors.insert(0, "model", name)
        # β per the OR's unit, so that exp(β) is the OR printed beside it
        ors["coef"] = fit.coef.loc[ors["term"]].to_numpy() * ors["per"].to_numpy()
        ors.loc[ors["term"].isin(separating_terms(fit)), "coef"] = float("nan")
        rows.append(ors)
    terms = {unquote_name(t) for f in fits.values() for t in f.terms}
    anovas = {name: model_anova(fit) for name, fit in fits.items()}
    return ModelsResult(
        univariate.data,
        fits,
        selections,
        cands_of,
        tuple(empty),
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["model", "term"]),
        units,
        tuple(notes),
        signatures,
        ref_sig,
        ordinal_value_labels(flow, terms),
        anovas,
        failed,
        published,
    )


def render(ctx: Context, section: Section, result: ModelsResult) -> None:
    opts = ctx.analysis.screening
    for name in result.empty:
        section.text(
            f"{name}: no variable is in the model ({SELECTION_TEXT[ctx.analysis.screening.selection][0]}, "
            f"entry p < {opts.entry:g}, removal p > {opts.removal:g}).",
            "note",
        )
    for name, why in result.not_estimable.items():
        text = f"{name}: not estimable ({why}); the model was left out, every other model goes on."
        section.text(text, "error")
        ctx.alert(text)
    for name, fit in result.fits.items():
        for alert in (separation_alert(name, fit, ctx.label), epv_alert(name, fit)):
            if alert:
                ctx.alert(alert)
    if result.fits:
        _table3_section(ctx, section, result)
    if result.published:
        ctx.results["published_models"] = published_table(ctx, section, result.published, "OR")
    if result.selections:
        _steps_table(ctx, section, result.steps)
    for name, fit in result.fits.items():
        if has_model_terms(fit.terms):  # splines, transformations, interactions: rms's anova
            anova_table(ctx, section, name, result.anovas[name], fit)
    nomos = _draw_all(ctx, section, result)
    partial = _partial_all(ctx, section, result)
    ors, steps = result.odds_ratios, result.steps
    ctx.results["models"] = {
        name: {
            "formula": fit.formula,
            "terms": [unquote_name(t) for t in fit.terms],
            "coef": fit.coef.rename(term_label),
            "stats": fit.stats,
            "odds_ratios": _labelled(ors[ors["model"] == name].drop(columns="model")),
            "n": int(fit.stats["n"]),
            "events": int(fit.stats["events"]),
            "patients": list(map(str, fit.data.index)),
            "steps": steps.get(name),
            "selection": ctx.analysis.screening.selection if name in steps else "prespecified",
            "nomogram": nomos.get(name),
            "events_per_variable": events_per_variable(fit),
            "anova": result.anovas[name],
            "partial_effects": partial.get(name) or None,
        }
        for name, fit in result.fits.items()
    }
    if result.not_estimable:
        ctx.results["models_not_estimable"] = dict(result.not_estimable)


def r_checks(ctx: Context, result: ModelsResult) -> None:
    if ctx.analysis.screening.firth:  # R's glm gives neither Firth estimates nor infinite ones
        return
    ors = result.odds_ratios
    for name, fit in result.fits.items():
        if has_model_terms(fit.terms):  # R's glm names spline columns otherwise: rms instead
            if getattr(fit, "separation", None) is None:
                register_term_checks(
                    ctx, name, fit, result.anovas[name], partial=partial_effects(ctx, fit)
                )
            continue
        mine = ors[ors["model"] == name].dropna(subset=["estimate"])
        _register_checks(ctx, name, fit, mine, result.units[name])


def methods(ctx: Context, result: ModelsResult) -> str:
    text = (
        _methods_text(ctx, result.fits, result.steps, result.reference_signature)
        if result.fits
        else ""
    ) + published_methods(ctx, result.published, "logistic")
    text += terms_sentence(result.fits, "odds ratio")
    if result.not_estimable:
        text += (
            " Not estimable on these data, and left out: "
            + "; ".join(f"{n} ({why})" for n, why in result.not_estimable.items())
            + "."
        )
    return text


def _register_checks(ctx: Context, name: str, fit, ors: pd.DataFrame, units: dict) -> None:
    """R refits the model on exactly the patients it was fitted on (``fit.data``)."""
    outcome, data = ctx.study.outcome, fit.data
    terms = list(fit.terms)
    formula = _rcheck.r_formula(data, outcome, terms)
    call = f"glm({formula}, binomial) on the model's n = {len(data)}" + (
        ", OR = exp(units * coef) for "
        + ", ".join(f"{term_label(t)} per {k:g}" for t, k in units.items())
        if units
        else ""
    )

    def r_value(term, key):
        return lambda: _rcheck.glm_or(data, outcome, terms, per=units).loc[
            _rcheck.r_term(term), key
        ]

    if getattr(fit, "separation", None) is None:  # separated: R's glm does not converge
        ctx.check(
            "models",
            f"{name}: intercept",
            fit.coef["Intercept"],
            call,
            r_value("(Intercept)", "coef"),
        )
    for _, r in ors.iterrows():
        unit = f" per {units[r['term']]:g}" if r["term"] in units else ""
        for what, key in (
            ("OR", "estimate"),
            ("OR 95% CI low", "ci_low"),
            ("OR 95% CI high", "ci_high"),
            ("p", "p_value"),
        ):
            label = f"{name}: {what}{unit if what != 'p' else ''}, {term_label(r['term'])}"
            ctx.check("models", label, r[key], call, r_value(r["term"], key))


def _labelled(ors: pd.DataFrame) -> pd.DataFrame:
    """The odds ratios with their terms as names (``Q('BCLC stage')`` -> ``BCLC stage``)."""
    return ors.assign(term=[term_label(t) for t in ors["term"]])


def _n_notes(result: ModelsResult) -> list[str]:
    fits, cands_of, steps = result.fits, result.candidates, result.selections
    n_train = len(result.training())
    notes = []
    for name, fit in fits.items():
        n, ev = int(fit.stats["n"]), int(fit.stats["events"])
        left = n_train - n
        what = "every candidate variable" if name in steps else "its variables"
        how = (
            f"listwise deletion over the {len(cands_of[name])} candidates"
            if name in steps
            else "a missing model variable"
        )
        notes.append(
            f"{name}: n = {n} training patients ({ev} events) with {what} recorded"
            + (f" ({left} of {n_train} left out by {how})" if left else "")
        )
    return notes


def _units_note(ctx: Context, units: Mapping, signatures) -> str:
    per = ctx.analysis.screening.per
    parts = []
    for name, by_term in units.items():
        for term, k in by_term.items():
            if unquote_name(term) in signatures:
                continue
            sd = f"SD = {k:.4g}, " if per.get(unquote_name(term)) == "sd" else ""
            parts.append(f"{ctx.label(term)} per {sd}{k:.4g} units ({name})")
    return "; β and OR of " + ", ".join(parts) if parts else ""


def _table3_section(ctx: Context, section: Section, result: ModelsResult) -> None:
    from ._table3 import table3, table3_formats

    fits, steps = result.fits, result.selections
    per = ctx.analysis.screening.per
    suffix = {v: " (per SD)" if k == "sd" else f" (per {k:g})" for v, k in per.items()}
    wide = table3(ctx, fits, result.odds_ratios, suffix)
    prespecified = [n for n in fits if n not in steps]
    sel = ctx.analysis.screening.selection
    how = (
        SELECTION_TEXT.get(sel, ("",))[0]
        if not prespecified
        else "prespecified"
        if not steps
        else f"{SELECTION_TEXT.get(sel, ('',))[0]} and prespecified"
    )
    section.table(
        "table3_multivariable",
        wide,
        caption=f"{ctx.next_table()} Multivariable logistic regression ({how}) in the training set",
        formats=table3_formats(fits),
        footnote=_table3_footnote(ctx, result, wide, prespecified),
    )


def _fine_or_labels(ctx: Context, fits, wide: pd.DataFrame) -> list[str]:
    """Labels of the terms whose odds ratios print with more than 2 decimals."""
    return [
        ctx.label(r["variable"])
        for name in fits
        for _, r in wide.iterrows()
        if r["kind"] == "term"
        and F.or_digits(r[f"{name}|estimate"], r[f"{name}|ci_low"], r[f"{name}|ci_high"]) > 2
        and pd.notna(r[f"{name}|ci_low"])
    ]


def _table3_footnote(
    ctx: Context, result: ModelsResult, wide: pd.DataFrame, prespecified: list[str]
) -> str:
    """Table 3's footnote: sample sizes, abbreviations, units, selection and notes."""
    fits, signatures = result.fits, result.signatures
    steps, notes = result.selections, result.notes
    opts = ctx.analysis.screening
    sel = opts.selection
    fine = _fine_or_labels(ctx, fits, wide)
    return (
        "; ".join(_n_notes(result))
        + ". β, regression coefficient (log odds per the unit of its odds ratio, so that "
        "OR = exp(β); the intercept plus each β × value / unit gives the model's linear "
        "predictor); OR, odds ratio ("
        + (
            "penalised profile-likelihood 95% CI"
            if all(getattr(f, "firth", False) for f in fits.values())
            else "Wald 95% CI"
        )
        + ")"
        + ("; Ref, reference level" if (wide["kind"] == "ref").any() else "")
        + (
            f"; DL signature: {PER_FOOTNOTE}"
            if wide["variable"].isin(list(signatures)).any()
            else ""
        )
        + _units_note(ctx, result.units, signatures)
        + (
            f"; {', '.join(dict.fromkeys(fine))}: OR per unit, with more decimals so that the CI "
            "limits print apart"
            if fine
            else ""
        )
        + "; —, not in the model"
        + (
            " or not estimable (separation)"
            if any(separating_terms(f) for f in fits.values())
            else ""
        )
        + "."
        + (
            " " + SELECTION_TEXT[sel][1].format(entry=opts.entry, removal=opts.removal) + "."
            if steps
            else ""
        )
        + (
            f" Prespecified (all variables kept): {', '.join(prespecified)}."
            if prespecified
            else ""
        )
        + " *p < 0.05."
        + "".join(f" {n}" for n in notes if n)
    )


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _steps_table(ctx: Context, section: Section, steps: dict) -> None:
    step_rows = []
    for name, st in steps.items():
        s = st.copy()
        s.insert(0, "model", name)
        step_rows.append(s)
    section.table(
        "supp_stepwise",
        pd.concat(step_rows, ignore_index=True),
        caption=f"{ctx.next_table(supplementary=True)} "
        f"{_first_upper(SELECTION_TEXT[ctx.analysis.screening.selection][0])} selection steps",
        formats={
            "Model": F.col("model", "text"),
            "Step": F.col("step", "int"),
            "Action": F.col("action", "text"),
            "Variable": lambda r: ctx.label(r["term"]),
            "Statistic": F.col("statistic", "3f"),
            "df": F.col("df", "int"),
            "p value": F.col("p_value", "p"),
        },
    )


def _draw_all(ctx: Context, section: Section, result: ModelsResult) -> dict:
    nomos = {}
    for name, fit in result.fits.items():
        from reports.model import slug

        stem = "fig_nomogram_" + ({CLINICAL: "clinical", DL: "dl"}.get(name) or slug(name))
        display = NOMOGRAM_NAMES.get(name, f"{name} nomogram")
        if separating_terms(fit):  # diverging coefficients: a nomogram of them is no model
            section.text(f"{display}: {NOMOGRAM_NOT_DRAWN}.", "note")
            continue
        try:
            drawn, r_error = _nomograms(ctx, fit, stem, _ordinal_of(result, fit))
        except Exception as exc:
            section.text(
                f"{display}: the nomogram could not be drawn ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}).",
                "error",
            )
            continue
        terms = ", ".join(ctx.label(t) for t in fit.terms)
        nomos[name] = place_nomograms(ctx, section, display, f"{display} ({terms})", drawn, r_error)
    return nomos


def _partial_all(ctx: Context, section: Section, result: ModelsResult) -> dict:
    """The partial-effect figure of each model with a nonlinear term or an interaction (not of
    a separated fit's diverging coefficients): model -> results.json's entry."""
    from reports.model import slug

    out = {}
    for name, fit in result.fits.items():
        effects = {} if separating_terms(fit) else partial_effects(ctx, fit)
        if effects:
            stem = f"supp_fig_partial_{slug(name)}"
            out[name] = render_partial_effects(ctx, section, stem, name, effects)
    return out


def _ordinal_of(result: ModelsResult, fit) -> dict:
    names = {unquote_name(t) for t in fit.terms}
    return {k: dict(v) for k, v in result.ordinal_labels.items() if k in names}


def _lower_first(text: str) -> str:
    """The sentence with its first letter in lower case (proper names such as SPSS's kept)."""
    return text[:1].lower() + text[1:]


def _engines_text(ctx: Context) -> str:
    """How the nomograms were drawn (the engines each model's drawing used), for the methods."""
    drawn = [
        tuple((m.get("nomogram") or {}).get("engines", ()))
        for m in (ctx.results.get("models") or {}).values()
    ]
    drawn = [d for d in drawn if d]
    if drawn and all(d == ("r",) for d in drawn):
        return " by rms::nomogram"
    if drawn and all(d == ("r", "python") for d in drawn):
        return " by rms::nomogram and natively by hccstats (the same points table)"
    if any("r" in d for d in drawn):
        return (
            " by rms::nomogram, natively by hccstats (rms's points arithmetic) where rms could "
            "not draw one"
        )
    return " natively by hccstats (rms's points arithmetic)"


def _methods_text(ctx: Context, fits: dict, steps: dict, ref_sig) -> str:
    opts = ctx.analysis.screening
    prespecified = [n for n in fits if n not in steps]
    text = ""
    if steps:
        text = (
            "Multivariable logistic models were built in the training set by "
            + _lower_first(
                SELECTION_TEXT[ctx.analysis.screening.selection][1].format(
                    entry=opts.entry, removal=opts.removal
                )
            )
            + " (patients with every candidate variable recorded, the n stated per model): a "
            "clinical model from the significant clinical variables"
            + (" and a DL model from those plus the " + ctx.label(ref_sig) if ref_sig else "")
            + ". "
        )
    if prespecified:
        plan_models = ctx.analysis.models
        text += (
            "Prespecified models were fitted with all their variables in the training patients "
            "with those variables recorded: "
            + "; ".join(
                f"{n} ({', '.join(ctx.label(v) for v in plan_models[n])})" for n in prespecified
            )
            + ". "
        )
    return text + "Nomograms were drawn from the final models" + _engines_text(ctx) + "."


def per_units(ors: pd.DataFrame, units: dict[str, float]) -> pd.DataFrame:
    """Odds ratios per ``units[term]`` increase: OR**k and its Wald CI**k (p unchanged)."""
    ors = ors.copy()
    k = ors["term"].map(lambda t: units.get(t, 1.0)).astype(float)
    for key in ("estimate", "ci_low", "ci_high"):
        ors[key] = ors[key] ** k
    ors["per"] = k.to_numpy()
    return ors


def per_signature_units(ors: pd.DataFrame, signatures) -> pd.DataFrame:
    """Odds ratios of the signature terms per ``SIG_PER`` increase (p unchanged)."""
    return per_units(ors, {t: SIG_PER for t in signatures})
