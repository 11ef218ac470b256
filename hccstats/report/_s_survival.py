"""Stage: the time to the event beside the binary endpoint (study.yaml ``outcome:`` and
``survival:``).

Each logistic model of the ``models`` stage (stepwise-selected and prespecified, with its terms
as written: ``rcs()``, ``log()``, interactions) is refitted as a Cox model of the time to the
event on its own patients: every patient of the time-to-event analysis (``Study.survival_data``:
the binary analysis's patients and those excluded from it only for a missing binary outcome)
with the time, the event and the model's variables; censored patients are in, also those
censored before the horizon. The training set fits, each set is scored by the Cox model's own
risk by the horizon: hazard ratios, the proportional-hazards test, every measure of the Cox
performance table (:mod:`._cox_perf`), Kaplan–Meier curves by the Cox risk group, flexible
calibration curves and decision curves at the horizon with their net-benefit table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from .._errors import InputError
from .._names import quote_name, term_label
from ..rbridge import survival_checks as R
from ._alerts import ph_alert
from ._context import Context, StageFailed, StageUnavailable
from ._cox_perf import (
    SETS,
    Evaluation,
    check_hazard_ratios,
    check_performance,
    evaluate,
    model_columns,
    performance_methods,
    render_performance,
)
from ._km_groups import check_logrank, km_by_risk, render_km
from ._s_flow import prepare_data
from ._survival_dca import (
    check_dca,
    dca_results,
    decision_curves,
    render_calibration_dca,
    render_dca_table,
)
from ._time import at_horizon, time_label, units_sentence

REQUIRES: tuple[str, ...] = ("models",)
STAGE = "survival"
#: what a model's data can make fail: a reason to say, not a bug
DATA_ERRORS = (InputError, np.linalg.LinAlgError, ValueError, ArithmeticError)


@dataclass(frozen=True)
class SurvivalResult:
    """The logistic models' predictors as Cox models, and their performance at the horizon."""

    time: str
    event: str
    horizon: float
    data: pd.DataFrame  # the time-to-event analysis's patients (models' frame + no outcome)
    added: tuple[str, ...]  # its patients outside the binary analysis (no binary outcome)
    fits: Mapping[str, Any]  # model -> CoxFit of the logistic model's terms (training set)
    not_fitted: Mapping[str, str]  # model -> why its Cox model could not be fitted
    hazard_ratios: pd.DataFrame  # model, term, estimate, ci_low, ci_high, p_value, coef
    zph: Mapping[str, Any]  # model -> cox.zph of its Cox fit
    sets: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> its patients
    risks: Mapping[str, Mapping[str, np.ndarray]]  # model -> set -> Cox risk by the horizon
    performance: pd.DataFrame  # one row per model and set (n, events, every measure)
    curves: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> flexible calibration
    km_model: str  # the model whose Cox risk groups the Kaplan–Meier curves show
    cutoff: float  # its risk cut-off (Youden index of the event by the horizon, training)
    km: Mapping[str, Any]  # set -> KmGroups
    km_table: pd.DataFrame
    dca: Mapping[str, Any]  # set -> DecisionCurve at the horizon (patients every model covers)


def analysis_patients(ctx: Context, models) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The time-to-event patients: the models' frame (the binary analysis's patients, with the
    signatures) and the study's patients excluded only for a missing binary outcome (their
    ordinal variables scored as the flow's; no signature: the features stage scores the binary
    analysis's patients only), in the study's order; and the ids of the latter."""
    data = models.data
    every = getattr(ctx.study, "survival_data", None)
    if every is None:
        return data, ()
    added = every.index.difference(data.index, sort=False)
    if not len(added):
        return data, ()
    extra, _, _ = prepare_data(
        every.loc[added], ctx.study.variables, ctx.analysis.screening.ordinal_as
    )
    extra = extra.reindex(columns=data.columns)
    whole = pd.concat([data.astype({ctx.study.outcome: "Int64"}), extra])
    return whole.loc[every.index], tuple(map(str, added))


def cox_fits(fits, data: pd.DataFrame, time: str, event: str) -> tuple[dict, dict]:
    """Each logistic fit's terms as a Cox model of the training patients with its variables:
    (model -> CoxFit, model -> why not fitted)."""
    from hccstats.survival import coxph

    surv = f"Surv({quote_name(time)}, {quote_name(event)})"
    out, why = {}, {}
    for name, fit in fits.items():
        cols = model_columns(fit, data, time, event)
        train = data[data["split"] == "training"].dropna(subset=cols)
        try:
            out[name] = coxph(f"{surv} ~ {' + '.join(fit.terms)}", train)
        except DATA_ERRORS as exc:
            why[name] = " ".join(str(exc).split()) or type(exc).__name__
    return out, why


def compute(ctx: Context, models) -> SurvivalResult:
    from hccstats.survival import cox_zph

    surv = getattr(ctx.analysis, "survival", None)
    if not surv:
        raise StageUnavailable("the study file has no survival section (time, event, horizon)")
    if not models.fits:
        raise StageUnavailable("no multivariable model was built")
    time, event, horizon = surv.time, surv.event, surv.horizon
    data, added = analysis_patients(ctx, models)
    fits, not_fitted = cox_fits(models.fits, data, time, event)
    if not fits:
        raise StageFailed(
            "no logistic model's predictors could be fitted as a Cox model: "
            + "; ".join(f"{n}: {why}" for n, why in not_fitted.items())
        )
    hrs = pd.concat([f.hazard_ratios().assign(model=n) for n, f in fits.items()], ignore_index=True)
    hrs["coef"] = [float(fits[m].coef[t]) for m, t in zip(hrs["model"], hrs["term"])]
    ev = evaluate(fits, data, time, event, horizon)
    main = "DL model" if "DL model" in fits else list(fits)[-1]
    cutoff, km, km_table = km_by_risk(ev.sets[main], ev.risks[main], time, event, horizon)
    return SurvivalResult(
        time, event, horizon, data, added, fits, not_fitted, hrs,
        {n: cox_zph(f) for n, f in fits.items()}, ev.sets, ev.risks, ev.performance,
        ev.curves, main, cutoff, km, km_table,
        decision_curves(ctx, fits, ev.sets, time, event, horizon),
    )  # fmt: skip


def _named(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its terms named as the data does (``Q('BCLC stage')`` -> ``BCLC stage``)."""
    return table.assign(term=[term_label(t) for t in table["term"]])


def _n_text(result: SurvivalResult) -> str:
    """ "Clinical model: training n = 140 (35 events), validation n = 60 (14 events); ..." """
    perf = result.performance.set_index(["model", "set"])
    parts = []
    for name in result.fits:
        sets = ", ".join(
            f"{p} n = {int(perf.loc[(name, p), 'n'])} ({int(perf.loc[(name, p), 'events'])} events)"
            for p in SETS
        )
        parts.append(f"{name}: {sets}")
    return "; ".join(parts)


def _intro(ctx: Context, result: SurvivalResult) -> str:
    study = ctx.study
    text = (
        f"Time to the event: {time_label(ctx, result.time)} (column {result.time}; event "
        f"{result.event}); horizon {at_horizon(ctx, result.time, result.horizon)}. Each logistic "
        "model's predictors (the same terms) are refitted as a Cox proportional-hazards model "
        "of the training set, on the patients with the time, the event and the model's "
        "variables (censored patients in, also those censored before the horizon), and every "
        "set is scored by the Cox model's own risk by the horizon. Patients per model and set: "
        f"{_n_text(result)}."
    )
    if result.added:
        text += (
            f" {len(result.added)} patients excluded from the binary analysis only for a missing "
            f"outcome ({study.outcome_label}) are in: their time and event are known."
        )
    for name, why in result.not_fitted.items():
        text += f" {name}: no Cox model ({why})."
    return text


def _render_hazard_ratios(ctx: Context, section: Section, result: SurvivalResult) -> None:
    from ._table3 import table3, table3_formats

    fits = dict(result.fits)
    notes = "; ".join(f"{n}: n = {f.n}, events = {f.n_events}" for n, f in fits.items())
    section.table(
        "table_survival_cox",
        table3(ctx, fits, result.hazard_ratios, intercept=False),
        caption=f"{ctx.next_table()} Cox proportional-hazards models of the time to the event "
        f"({time_label(ctx, result.time)}) with each logistic model's predictors, training set",
        formats=table3_formats(fits, ratio="HR"),
        footnote=f"{notes} (training patients with the time, the event and the model's "
        "variables). β and HR per unit of each continuous variable; Efron ties; Wald 95% CI and "
        "p. —: not in the model. *p < 0.05.",
    )
    zph = pd.concat(
        [_named(z.table).assign(model=n) for n, z in result.zph.items()], ignore_index=True
    )
    section.table(
        "supp_ph_test",
        zph,
        caption=f"{ctx.next_table(supplementary=True)} Proportional-hazards test of the Cox "
        "models (scaled Schoenfeld residuals, Kaplan–Meier time scale)",
        formats={
            "Model": F.col("model", "text"),
            "Term": F.col("term", "text"),
            "Chi-square": lambda r: F.fmt_num(r["chisq"], 2),
            "df": lambda r: str(int(r["df"])),
            "p value": lambda r: F.fmt_p(r["p_value"]),
        },
        footnote="survival::cox.zph-equivalent score test; GLOBAL tests all terms together.",
    )
    for name, z in result.zph.items():
        alert = ph_alert(z, f"Cox model of the {name}'s predictors", ctx.label)
        if alert:
            ctx.alert(alert)


def render(ctx: Context, section: Section, result: SurvivalResult) -> None:
    time, horizon = result.time, result.horizon
    section.text(_intro(ctx, result))
    _render_hazard_ratios(ctx, section, result)
    render_performance(
        ctx, section, result.performance, key="table_survival_performance",
        what="the Cox models of the logistic models' predictors", time=time, horizon=horizon,
        note="Every number from the Cox model's risk, not the logistic model's probability.",
    )  # fmt: skip
    render_km(
        ctx, section, result.km, time=time, horizon=horizon,
        model=f"{result.km_model} Cox model", cutoff=result.cutoff,
    )  # fmt: skip
    render_calibration_dca(
        ctx, section, "fig_survival_calibration_dca", result.curves, result.dca, time=time,
        horizon=horizon, what="the Cox models of the logistic models' predictors",
    )  # fmt: skip
    render_dca_table(ctx, section, "table_survival_dca", result.dca, time=time, horizon=horizon)
    ctx.results[STAGE] = {
        "time": time,
        "event": result.event,
        "horizon": horizon,
        "label": time_label(ctx, time),
        "n_added": len(result.added),
        "models": {n: list(f.terms) for n, f in result.fits.items()},
        "not_fitted": dict(result.not_fitted),
        "hazard_ratios": _named(result.hazard_ratios),
        "ph_test": pd.concat(
            [_named(z.table).assign(model=n) for n, z in result.zph.items()], ignore_index=True
        ),
        "performance": result.performance,
        "km_model": result.km_model,
        "km_risk_groups": result.km_table,
        "dca": dca_results(result.dca),
    }


def r_checks(ctx: Context, result: SurvivalResult) -> None:
    time, event, h = result.time, result.event, result.horizon
    for name, fit in result.fits.items():
        train = result.sets[name]["training"]
        check_hazard_ratios(ctx, STAGE, name, fit, train, time, event)
        glob = result.zph[name].table.set_index("term").loc["GLOBAL"]
        ctx.check(
            STAGE,
            f"PH test (cox.zph, km) global p, Cox {name}",
            float(glob["p_value"]),
            "survival::cox.zph(coxph(...), transform = 'km')",
            lambda d=train, t=list(fit.terms): R.cox_zph_p(d, time, event, t),
        )
    check_logrank(ctx, STAGE, result.km, f"{result.km_model} Cox model")
    ev = Evaluation(result.sets, result.risks, result.performance, result.curves)
    check_performance(ctx, STAGE, result.fits, ev, time, event, h)
    check_dca(ctx, STAGE, result.fits, result.sets, result.dca, time, event, h)


def methods(ctx: Context, result: SurvivalResult) -> str:
    at = at_horizon(ctx, result.time, result.horizon)
    return (
        units_sentence(ctx, result.time, result.horizon)
        + "For the time to the event, each logistic model's predictors (the same terms) were "
        "refitted as a Cox proportional-hazards model (Efron ties; survival::coxph-equivalent) "
        "on the training patients with the time, the event and the model's variables; patients "
        "censored before the horizon were censored, not excluded, and patients excluded from the "
        "binary analysis only for a missing outcome were included. The proportional-hazards "
        "assumption was tested with scaled Schoenfeld residuals (cox.zph, Kaplan–Meier time "
        f"scale). {performance_methods(at)} Kaplan–Meier curves were drawn by the "
        f"{result.km_model}'s Cox risk group (Youden cut-off of the training set) with the "
        f"log-rank test, and decision curves at {at} with Kaplan–Meier event rates."
    )
