"""Cox models judged at the horizon, for both report stages that fit them (``cox``: a
survival-only study; ``survival``: the logistic models' predictors beside a binary outcome).

Per model and set (training: apparent; validation): Harrell's and Uno's C, the time-dependent
AUC, O/E, the calibration slope, ICI/E50/E90/Emax, the Brier score and the IPA with 95% CIs
(:func:`performance_row`), their tables, the flexible calibration curves beside the decision
curves, and the R checks of the hazard ratios and of the performance numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from .._names import patsy_to_r, r_quote, term_label
from ..rbridge import report_checks as _rcheck
from ..rbridge import survival_checks as R
from ._context import Context
from ._published import is_published_model
from ._time import at_horizon

__all__ = [
    "MEASURES",
    "ERRORS",
    "SETS",
    "Evaluation",
    "model_columns",
    "performance_row",
    "evaluate",
    "render_performance",
    "performance_methods",
    "check_hazard_ratios",
    "check_performance",
]

SETS = ("training", "validation")

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


@dataclass(frozen=True)
class Evaluation:
    """Each model's patients, risks by the horizon, performance and calibration curve."""

    sets: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> its patients
    risks: Mapping[str, Mapping[str, np.ndarray]]  # model -> set -> risk by the horizon
    performance: pd.DataFrame  # one row per model and set
    curves: Mapping[str, Mapping[str, pd.DataFrame]]  # model -> set -> flexible calibration


def model_columns(fit, data: pd.DataFrame, time: str, event: str) -> list[str]:
    """The columns a patient needs for ``fit`` (its variables; a published equation's too),
    then the time and the event."""
    from ._published import model_columns as variables_of

    return variables_of(fit, data) + [time, event]


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
    v = (  # log(-log(S)) from the model (a published one: log(-log S0) + lp): exact
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


def evaluate(fits: Mapping[str, Any], data: pd.DataFrame, time, event, horizon) -> Evaluation:
    """Each Cox model on its own patients of each set of ``data`` (those with its variables,
    the time and the event): risks by ``horizon``, :func:`performance_row`."""
    sets, risks, curves, rows = {}, {}, {}, []
    for name, fit in fits.items():
        cols = model_columns(fit, data, time, event)
        sets[name] = {p: data[data["split"] == p].dropna(subset=cols) for p in SETS}
        risks[name] = {p: fit.predict_risk(sets[name][p], times=horizon) for p in SETS}
        curves[name] = {}
        for p in SETS:
            row, curves[name][p] = performance_row(fit, sets[name][p], time, event, horizon)
            rows.append({"model": name, "set": p, **row})
    return Evaluation(sets, risks, pd.DataFrame(rows), curves)


def _ci(r, key: str, digits: int) -> str:
    return (
        f"{F.fmt_num(r[key], digits)} ({F.fmt_num(r[key + '_low'], digits)}–"
        f"{F.fmt_num(r[key + '_high'], digits)})"
    )


def _n_events(r) -> str:
    return f"{int(r['n'])} ({int(r['events'])})"


def render_performance(
    ctx: Context, section: Section, performance: pd.DataFrame, *, key: str, what: str, time,
    horizon: float, note: str = "",
) -> None:  # fmt: skip
    """One table per set (``<key>_<set>``) of every measure of ``what`` ("the Cox models")
    at the horizon, each model's n and events; ``note`` ends the footnote."""
    at = at_horizon(ctx, time, horizon)
    for part in SETS:
        rows = performance[performance["set"] == part]
        formats = {"Model": F.col("model", "text"), "n (events)": _n_events}
        for col, head, digits in MEASURES:
            formats[f"{head} (95% CI)"] = lambda r, k=col, d=digits: _ci(r, k, d)
        formats["ICI / E50 / E90 / Emax"] = lambda r: " / ".join(F.fmt_num(r[k], 3) for k in ERRORS)
        apparent = " (apparent)" if part == "training" else ""
        section.table(
            f"{key}_{part}",
            rows,
            caption=f"{ctx.next_table()} Performance of {what} at {at}, {part} set{apparent}",
            formats=formats,
            footnote="n (events): the set's patients with the time, the event and the model's "
            "variables (censored patients in, also those censored before the horizon), and their "
            f"events over the whole follow-up. Harrell's C (survival::concordance, reverse) and "
            f"Uno's C (timewt n/G2, truncated at {at}) with R's SE; cumulative/dynamic "
            f"time-dependent AUC (IPCW) at {at}; O/E = Kaplan–Meier risk / mean predicted risk; "
            "calibration slope on log(-log(1 - risk)); ICI/E50/E90/Emax from the flexible "
            "calibration curve; IPCW Brier score and the index of prediction accuracy "
            "(IPA = 1 - Brier / null Brier)." + (f" {note}" if note else ""),
        )


def performance_methods(at: str) -> str:
    """The methods' sentence on the performance measures at the horizon (``at``: "5 years")."""
    return (
        f"At {at}, each model was assessed in the training set (apparent) and the validation "
        "set by Harrell's and Uno's C, the time-dependent AUC (cumulative/dynamic, IPCW), O/E "
        "and the calibration slope, the flexible calibration curve's ICI, E50, E90 and Emax, "
        "the IPCW Brier score and the IPA, with 95% CIs."
    )


def check_hazard_ratios(
    ctx: Context, stage: str, name: str, fit, train: pd.DataFrame, time, event
) -> None:
    """Register each HR and Wald p of the Cox model ``name`` (fitted on ``train``): against
    survival::coxph, or rms::cph (named as rms names them) for a model with spline,
    polynomial or interaction terms."""
    from hccstats.logistic._terms import model_predictors, rms_column_names, term_variables

    terms = list(fit.terms)
    preds, inters = model_predictors(fit.design_info, train.columns)
    if inters or any(p.kind in ("rcs", "pol") for p in preds):
        rhs = fit.formula.split("~", 1)[1].strip()
        names = rms_column_names(fit.design_info, train.columns)
        variables = term_variables(rhs)
        call = f"rms::cph(Surv({r_quote(time)}, {r_quote(event)}) ~ {patsy_to_r(rhs)})"

        def r_value(term, key, d=train):
            return lambda: R.cph_terms(d, time, event, rhs, variables).loc[names[term], key]

        shown = names
    else:
        call = f"survival::coxph(Surv({r_quote(time)}, {r_quote(event)}) ~ "
        call += f"{_rcheck.r_rhs(train, terms)})"

        def r_value(term, key, d=train):
            return lambda: R.cox_hr(d, time, event, terms).loc[_rcheck.r_term(term), key]

        shown = {}
    for _, r in fit.hazard_ratios().iterrows():
        for what, key in (("HR", "estimate"), ("p", "p_value")):
            ctx.check(
                stage,
                f"Cox {name}: {what}, {shown.get(r['term'], term_label(r['term']))}",
                r[key],
                call,
                r_value(r["term"], key),
            )


def check_performance(
    ctx: Context, stage: str, fits, ev: Evaluation, time, event, h: float
) -> None:
    """Register Harrell's and Uno's C, the time-dependent AUC, the Brier score, O/E and the
    calibration slope (and the IPA) of each model and set (``ev``) for the R check."""
    for _, row in ev.performance.iterrows():
        name, part = row["model"], row["set"]
        d, x = ev.sets[name][part], ev.risks[name][part]
        t, e = d[time].to_numpy(float), d[event].to_numpy(float)
        lp = fits[name].predict(d, type="lp")
        for key, head, timewt in (("harrell_c", "Harrell's C", "n"), ("uno_c", "Uno's C", "n/G2")):
            ctx.check(
                stage,
                f"{head}, {name}, {part}",
                row[key],
                f"survival::concordance(Surv(time, event) ~ risk, reverse = TRUE, timewt = "
                f"'{timewt}')",
                lambda t=t, e=e, x=x, w=timewt: R.concordance_c(t, e, x, w, h)[0],
            )
        ctx.check(
            stage,
            f"Time-dependent AUC at {h:g}, {name}, {part}",
            row["td_auc"],
            "timeROC's IPCW estimator written in R (survival::survfit weights)",
            lambda t=t, e=e, x=x: R.td_auc(t, e, x, [h])[0],
            rtol=1e-9,
        )
        for key, what in (("brier", "Brier score"), ("ipa", "IPA")):
            ctx.check(
                stage,
                f"{what} at {h:g}, {name}, {part}",
                row[key],
                "IPCW Brier score and IPA written out in R (survival::survfit censoring "
                "weights), as riskRegression::Score",
                lambda t=t, e=e, x=x, k=key: R.brier_ipa(t, e, x, h)[k],
                rtol=1e-6,
            )
        for key, what in (("oe", "O/E"), ("slope", "Calibration slope")):
            ctx.check(
                stage,
                f"{what} at {h:g}, {name}, {part}",
                row[key],
                "survival::survfit (KM risk / mean risk); coxph(Surv(time, event) ~ lp)",
                lambda t=t, e=e, x=x, lp=lp, k=key: R.oe_slope(t, e, x, lp, h)[k],
                rtol=1e-6,
            )
