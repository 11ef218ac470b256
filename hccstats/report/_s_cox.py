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

from .._names import quote_name, r_quote, term_label
from ..rbridge import report_checks as _rcheck
from ..rbridge import survival_checks as R
from ._context import Context, StageUnavailable
from ._cox_internal import (
    cox_internal_checks,
    cox_internal_methods,
    cox_internal_results,
    cox_internal_validation,
    render_cox_internal,
)
from ._published import (
    cox_equation_checks,
    is_published_model,
    model_columns,
    published_methods,
    published_models,
    published_table,
    with_not_bootstrapped,
)
from ._s_models import CLINICAL, SELECTION_TEXT
from ._s_survival import km_by_risk, render_km, time_unit, units_sentence
from ._s_univariate import clinical_candidates

REQUIRES: tuple[str, ...] = ("flow",)
SETS = ("training", "validation")
STAGE = "cox"

#: (column, header, digits) of the performance table; each has ``<column>_low``/``_high``
MEASURES = (
    ("harrell_c", "Harrell's C", 3),
    ("uno_c", "Uno's C", 3),
    ("td_auc", "Time-dependent AUC", 3),
    ("oe", "O/E", 2),
    ("slope", "Calibration slope", 2),
    ("brier", "Brier score", 3),
    ("ipa", "IPA", 3),
)
ERRORS = ("ici", "e50", "e90", "emax")
NO_NOMOGRAM = (
    "Nomogram: not drawn for a Cox model (hccstats.nomogram draws logistic models only); "
    "the hazard ratios above give each model."
)


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

    if ctx.plan.selection == "none" or not cands:
        return {}
    select = backward_cox if ctx.plan.selection == "backward_lr" else forward_cox
    opts = ctx.options
    sw = select(
        train, time, event, cands, entry=opts.entry, removal=opts.removal, nan_policy="omit"
    )
    return {CLINICAL: sw} if sw.selected else {}


def _prespecified(ctx: Context, train, time, event) -> dict:
    from hccstats.logistic._candidates import candidate_term
    from hccstats.survival import coxph

    surv = f"Surv({quote_name(time)}, {quote_name(event)})"
    out = {}
    for name, variables in ctx.plan.models.items():
        rhs = " + ".join(candidate_term(v, train.columns) for v in variables)
        out[name] = coxph(f"{surv} ~ {rhs}", train, nan_policy="omit")
    return out


def _model_columns(fit, data: pd.DataFrame, time: str, event: str) -> list[str]:
    return model_columns(fit, data) + [time, event]


def performance_row(fit, data: pd.DataFrame, time: str, event: str, horizon: float):
    """Every measure of one Cox model in one set (``data``: its patients) at ``horizon``, and
    its flexible calibration curve (``val_surv``)."""
    from hccstats.survival import brier_score, concordance, td_auc, val_surv

    t, e = data[time].to_numpy(float), data[event].to_numpy(float)
    x = fit.predict_risk(data, times=horizon)
    row: dict[str, float] = {"n": len(t), "events": int(e.sum())}
    for key, timewt in (("harrell_c", "n"), ("uno_c", "n/G2")):
        c = concordance(
            time=t, event=e, score=x, reverse=True, timewt=timewt,
            ymax=horizon if timewt != "n" else None,
        )  # fmt: skip
        row[key], (row[f"{key}_low"], row[f"{key}_high"]) = c.concordance, tuple(c.conf_int())
    auc = td_auc(t, e, x, times=[horizon]).table.iloc[0]
    row.update(td_auc=auc["auc"], td_auc_low=auc["ci_low"], td_auc_high=auc["ci_high"])
    v = (  # a fit: log(-log(S)) from the model, no risk rounds to 1
        val_surv(time=t, event=e, cloglog=fit.cloglog(data, times=horizon), times=horizon)
        if is_published_model(fit)
        else val_surv(fit, data, times=horizon)
    )
    b = brier_score(t, e, x, horizon)
    for key, est, ci in (
        ("oe", v.oe, v.oe_ci),
        ("slope", v.slope, v.slope_ci),
        ("brier", b.brier, b.brier_ci),
        ("ipa", b.ipa, b.ipa_ci),
    ):
        row[key], (row[f"{key}_low"], row[f"{key}_high"]) = est, tuple(ci)
    row.update({k: getattr(v, k) for k in ERRORS})
    return {k: float(np.squeeze(val)) for k, val in row.items()}, v.curve


def compute(ctx: Context, flow) -> CoxResult:
    from hccstats.survival import univariate_cox

    study = ctx.study
    if not getattr(study, "survival_only", False):
        raise StageUnavailable(
            "the study has a binary outcome; its time-to-event analysis is in 'Time to the event'"
        )
    surv = study.survival
    time, event, horizon = surv["time"], surv["event"], float(surv["horizon"])
    data = flow.data
    cands = [c for c in clinical_candidates(ctx, data) if c not in (time, event)]
    train = data[data["split"] == "training"]
    screen = univariate_cox(train, time, event, cands, nan_policy="omit").table
    p_min = screen.groupby("predictor", sort=False)["p_value"].min()
    significant = [c for c in cands if p_min.get(c, np.nan) < ctx.options.alpha]
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
    sets, risks, curves, rows = {}, {}, {}, []
    for name, fit in models.items():
        cols = _model_columns(fit, data, time, event)
        sets[name] = {p: data[data["split"] == p].dropna(subset=cols) for p in SETS}
        risks[name] = {p: fit.predict_risk(sets[name][p], times=horizon) for p in SETS}
        curves[name] = {}
        for p in SETS:
            row, curves[name][p] = performance_row(fit, sets[name][p], time, event, horizon)
            rows.append({"model": name, "set": p, **row})
    main = next(iter(models))
    cutoff, km, km_table = km_by_risk(sets[main], risks[main], time, event, horizon)
    return CoxResult(
        time, event, horizon, tuple(cands), screen, tuple(significant), fits, selections,
        hrs, sets, risks, pd.DataFrame(rows), curves, main, cutoff, km, km_table,
        _decision_curves(ctx, models, data, time, event, horizon), published=published,
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
    opts = ctx.options
    why = (
        f"the {SELECTION_TEXT[ctx.plan.selection][0]} selection kept no candidate (entry p < "
        f"{opts.entry:g})"
        if significant
        else f"no variable reached p < {opts.alpha:g} in the univariable Cox analysis"
    )
    return (
        f"No multivariable Cox model: {why}, and the study file prespecifies none "
        "(analysis.models); a result, not a failure."
    )


def _decision_curves(ctx: Context, fits, data, time, event, horizon) -> dict:
    """Each set's decision curves at the horizon over the patients every model covers."""
    from hccstats import dca

    cols = sorted({c for f in fits.values() for c in _model_columns(f, data, time, event)})
    out = {}
    for p in SETS:
        d = data[data["split"] == p].dropna(subset=cols)
        out[p] = dca(
            d[event].to_numpy(float),
            {n: f.predict_risk(d, times=horizon) for n, f in fits.items()},
            ctx.plan.thresholds,
            time=d[time].to_numpy(float),
            horizon=horizon,
        )
    return out


def _level(term: str) -> str:
    return f": {term.split('[T.', 1)[1][:-1]}" if "[T." in term else ""


def _term_text(ctx: Context, term: str) -> str:
    return ctx.label(term_label(term.split("[T.")[0])) + _level(term)


def _ci(r, key: str, digits: int) -> str:
    return (
        f"{F.fmt_num(r[key], digits)} ({F.fmt_num(r[key + '_low'], digits)}–"
        f"{F.fmt_num(r[key + '_high'], digits)})"
    )


def _render_screen(ctx: Context, section: Section, result: CoxResult) -> None:
    section.table(
        "table_cox_univariable",
        result.screen.assign(
            label=[
                _term_text(ctx, t) + (f" vs {ref}" if isinstance(ref, str) else "")
                for t, ref in zip(result.screen["term"], result.screen["reference"])
            ]
        ),
        caption=f"{ctx.next_table()} Univariable Cox proportional-hazards analysis of the time "
        "to the event in the training set",
        formats={
            "Variable": F.col("label", "text"),
            "HR (95% CI)": lambda r: F.fmt_or_ci(r["estimate"], r["ci_low"], r["ci_high"]),
            "p value": lambda r: F.fmt_p(r["p_value"], star=True),
            "n (events)": lambda r: f"{int(r['n'])} ({int(r['events'])})",
        },
        footnote="HR per unit of each continuous variable; Efron ties; Wald 95% CI and p. "
        f"*p < {ctx.options.alpha:g}.",
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
            f"{SELECTION_TEXT[ctx.plan.selection][0]} selection from the variables with "
            f"univariable p < {ctx.options.alpha:g}"
            if name in result.selections
            else "prespecified (analysis.models)"
        )
        notes.append(f"{name}: {how}; n = {fit.n}, events = {fit.n_events}")
    section.table(
        "table_cox_multivariable",
        wide,
        caption=f"{ctx.next_table()} Multivariable Cox proportional-hazards models of the time "
        "to the event (training set)",
        formats=table3_formats(fits, ratio="HR"),
        footnote="; ".join(notes) + ". β and HR per unit of each continuous variable; Efron "
        "ties; Wald 95% CI and p. —: not in the model. *p < 0.05.",
    )


def _render_performance(ctx: Context, section: Section, result: CoxResult) -> None:
    unit = time_unit(ctx, result.time)
    at = f"{result.horizon:g}{' ' + unit if unit else ''}"
    for part in SETS:
        rows = result.performance[result.performance["set"] == part]
        formats = {"Model": F.col("model", "text"), "n (events)": _n_events}
        for key, head, digits in MEASURES:
            formats[f"{head} (95% CI)"] = lambda r, k=key, d=digits: _ci(r, k, d)
        formats["ICI / E50 / E90 / Emax"] = lambda r: " / ".join(F.fmt_num(r[k], 3) for k in ERRORS)
        apparent = " (apparent)" if part == "training" else ""
        section.table(
            f"table_cox_performance_{part}",
            rows,
            caption=f"{ctx.next_table()} Performance of the Cox models at {at}, {part} set"
            f"{apparent}",
            formats=formats,
            footnote="Harrell's C (survival::concordance, reverse) and Uno's C (timewt n/G2, "
            f"truncated at {at}) with R's SE; cumulative/dynamic time-dependent AUC (IPCW) at "
            f"{at}; O/E = Kaplan–Meier risk / mean predicted risk; calibration slope on "
            "log(-log(1 - risk)); ICI/E50/E90/Emax from the flexible calibration curve; IPCW "
            "Brier score and the index of prediction accuracy (IPA = 1 - Brier / null Brier).",
        )


def _n_events(r) -> str:
    return f"{int(r['n'])} ({int(r['events'])})"


def render(ctx: Context, section: Section, result: CoxResult) -> None:
    section.text(
        f"Time to the event: {result.time} (event {result.event}); horizon {result.horizon:g}"
        f"{' ' + time_unit(ctx, result.time) if time_unit(ctx, result.time) else ''}. Every "
        "model is a Cox "
        "proportional-hazards model of the training set."
    )
    _render_screen(ctx, section, result)
    if result.no_model:
        section.text(result.no_model)
    else:
        if result.fits:
            _render_models(ctx, section, result)
        if result.published:
            published_table(ctx, section, result.published, "HR")
        _render_performance(ctx, section, result)
        unit = time_unit(ctx, result.time)
        at = f"{result.horizon:g}{' ' + unit if unit else ''}"
        if result.internal is not None:
            render_cox_internal(ctx, section, result.internal, at)
        _render_figures(ctx, section, result)
    ctx.results[STAGE] = {
        "time": result.time,
        "event": result.event,
        "horizon": result.horizon,
        "univariable": result.screen,
        "significant": list(result.significant),
        "models": {n: list(f.terms) for n, f in result.fits.items()},
        "published": {
            n: {"coef": m.coef, "baseline_survival": float(m.baseline[0]), "centre": m.centre}
            for n, m in result.published.items()
        },
        "hazard_ratios": result.hazard_ratios.assign(
            term=[term_label(t) for t in result.hazard_ratios["term"]]
        ),
        "performance": result.performance,
        "km_risk_groups": result.km_table,
        "nomogram": NO_NOMOGRAM,
        "no_model": result.no_model or None,
        "internal_validation": cox_internal_results(result.internal) if result.internal else None,
    }


def _render_figures(ctx: Context, section: Section, result: CoxResult) -> None:
    from hccstats.plots import calibration_curves, decision_curves, journal_style, new_figure

    h = result.horizon
    render_km(
        ctx, section, result.km, time=result.time, horizon=h, model=result.km_model,
        cutoff=result.cutoff,
    )  # fmt: skip
    with journal_style():
        fig, axes = new_figure("double", 6.0, nrows=2, ncols=2)
    for j, part in enumerate(SETS):
        calibration_curves(
            {n: c[part] for n, c in result.curves.items()},
            ax=axes[0][j],
            title=f"{'AB'[j]}  Calibration at {h:g}, {part} set",
            xlabel=f"Predicted risk by {h:g}",
            ylabel="Observed risk",
        )
        decision_curves(result.dca[part].table, ax=axes[1][j], title=f"{'CD'[j]}  DCA, {part} set")
    section.figure(
        "fig_cox_calibration_dca",
        fig,
        caption=f"{ctx.next_figure()} Flexible calibration curves of the Cox models at {h:g} "
        "(A, training set, apparent; B, validation set; Cox model of the observed event on "
        "restricted cubic splines of log(-log(1 - risk)), with the distribution of the predicted "
        f"risks) and decision curves at {h:g} with Kaplan–Meier event rates (C, D)",
    )
    section.text(NO_NOMOGRAM)


def r_checks(ctx: Context, result: CoxResult) -> None:
    time, event, h = result.time, result.event, result.horizon
    for name, fit in result.fits.items():
        train = result.sets[name]["training"]
        terms = list(fit.terms)
        call = f"survival::coxph(Surv({r_quote(time)}, {r_quote(event)}) ~ "
        call += f"{_rcheck.r_rhs(train, terms)})"
        for _, r in fit.hazard_ratios().iterrows():
            for what, key in (("HR", "estimate"), ("p", "p_value")):
                ctx.check(
                    STAGE,
                    f"Cox {name}: {what}, {term_label(r['term'])}",
                    r[key],
                    call,
                    lambda t=terms, term=r["term"], key=key, d=train: R.cox_hr(
                        d, time, event, t
                    ).loc[_rcheck.r_term(term), key],
                )
    for part, g in result.km.items():
        if g.test is not None:
            ctx.check(
                STAGE,
                f"Log-rank p, {result.km_model} risk groups, {part}",
                g.test.p_value,
                "survival::survdiff(Surv(time, event) ~ group)",
                lambda g=g: R.logrank_p(g.time, g.event, g.group),
            )
    for _, row in result.performance.iterrows():
        name, part = row["model"], row["set"]
        d, x = result.sets[name][part], result.risks[name][part]
        t, e = d[time].to_numpy(float), d[event].to_numpy(float)
        lp = result.models[name].predict(d, type="lp")
        for key, head, timewt in (("harrell_c", "Harrell's C", "n"), ("uno_c", "Uno's C", "n/G2")):
            ctx.check(
                STAGE,
                f"{head}, {name}, {part}",
                row[key],
                f"survival::concordance(Surv(time, event) ~ risk, reverse = TRUE, timewt = "
                f"'{timewt}')",
                lambda t=t, e=e, x=x, w=timewt: R.concordance_c(t, e, x, w, h)[0],
            )
        ctx.check(
            STAGE,
            f"Time-dependent AUC at {h:g}, {name}, {part}",
            row["td_auc"],
            "timeROC's IPCW estimator written in R (survival::survfit weights)",
            lambda t=t, e=e, x=x: R.td_auc(t, e, x, [h])[0],
            rtol=1e-9,
        )
        for key, what in (("brier", "Brier score"), ("ipa", "IPA")):
            ctx.check(
                STAGE,
                f"{what} at {h:g}, {name}, {part}",
                row[key],
                "IPCW Brier score and IPA written out in R (survival::survfit censoring weights)",
                lambda t=t, e=e, x=x, k=key: R.brier_ipa(t, e, x, h)[k],
                rtol=1e-6,
            )
        for key, what in (("oe", "O/E"), ("slope", "Calibration slope")):
            ctx.check(
                STAGE,
                f"{what} at {h:g}, {name}, {part}",
                row[key],
                "survival::survfit (KM risk / mean risk); coxph(Surv(time, event) ~ lp)",
                lambda t=t, e=e, x=x, lp=lp, k=key: R.oe_slope(t, e, x, lp, h)[k],
                rtol=1e-6,
            )

    if result.internal is not None:
        train = {n: d["training"] for n, d in result.sets.items()}
        cox_internal_checks(ctx, STAGE, result.internal, result.fits, train, time, event)

    for name, model in result.published.items():
        for _, row in result.performance[result.performance["model"] == name].iterrows():
            d = result.sets[name][row["set"]]
            cox_equation_checks(ctx, STAGE, name, model, row["set"], d, row, (time, event, h))


def methods(ctx: Context, result: CoxResult) -> str:
    sel = ""
    if result.selections:
        sel = (
            SELECTION_TEXT[ctx.plan.selection][1].format(
                entry=ctx.options.entry, removal=ctx.options.removal
            )
            + ". "
        )
    return (
        units_sentence(ctx, result.time, result.horizon)
        + "The endpoint was the time to the event; every model was a Cox proportional-hazards "
        "model (Efron ties, survival::coxph-equivalent) fitted on the training set. Variables "
        f"with univariable Cox p < {ctx.options.alpha:g} entered the multivariable analysis. "
        + sel
        + f"At {result.horizon:g}, each model was assessed in the training set (apparent) and "
        "the validation set by Harrell's and Uno's C, the time-dependent AUC (cumulative/dynamic, "
        "IPCW), O/E and the calibration slope, the flexible calibration curve's ICI, E50, E90 "
        "and Emax, the IPCW Brier score and the IPA, with 95% CIs."
        + (cox_internal_methods(result.internal, result.horizon) if result.internal else "")
        + published_methods(ctx, result.published, "cox")
    )
