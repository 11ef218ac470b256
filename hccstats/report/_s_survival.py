"""Stage: time to the event beside the binary endpoint (study.yaml ``survival:``).

Cox models (univariable and multivariable, HR with Wald CI), the proportional-hazards test,
Kaplan–Meier curves of the training and validation sets by the DL nomogram's risk group
(cut-off from the training set) with log-rank p and numbers at risk, Harrell's C and the
time-dependent AUC of each model, calibration of the Cox model at the horizon, NRI and IDI of
the DL nomogram against the clinical model, and decision curves at the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from .._names import quote_name, r_quote, term_label
from ..rbridge import report_checks as _rcheck
from ..rbridge import survival_checks as R
from ._alerts import ph_alert
from ._context import Context, StageUnavailable

REQUIRES: tuple[str, ...] = ("models",)
SETS = ("training", "validation")
STAGE = "survival"


@dataclass(frozen=True)
class KmGroups:
    """Kaplan–Meier curves of one set by risk group, with the log-rank test."""

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray  # "Low risk" / "High risk"
    km: Any  # Survfit
    test: Any  # Survdiff, None with a single group


@dataclass(frozen=True)
class SurvivalResult:
    """Cox models, risk groups, discrimination, calibration and reclassification over time."""

    time: str
    event: str
    horizon: float
    times: tuple[float, ...]  # the time-dependent AUC's times (horizon / 2, horizon, 1.5 horizon)
    dl: str  # the model whose variables the Cox model uses and whose risk groups the KM shows
    sets: Mapping[str, pd.DataFrame]  # set -> patients with every model variable, time, event
    scores: Mapping[str, Mapping[str, np.ndarray]]  # model -> set -> predicted risk
    univariable: Mapping[str, Any]  # term -> its univariable Cox fit
    cox: Any  # the multivariable Cox fit
    cox_table: pd.DataFrame  # HRs of the univariable and multivariable fits (model column)
    zph: Any  # cox.zph of the multivariable fit
    cutoff: float  # Youden cut-off of the event by the horizon, training set
    km: Mapping[str, KmGroups]
    km_table: pd.DataFrame
    discrimination: pd.DataFrame
    calibration: Any  # Cox calibration at the horizon (bootstrap)
    reference: str | None  # the model the DL model is reclassified against
    reclassification: pd.DataFrame | None
    dca: Mapping[str, Any]  # set -> DecisionCurve at the horizon


def _sets(data: pd.DataFrame, fits, cols) -> dict[str, pd.DataFrame]:
    from hccstats.logistic._terms import fit_columns

    used = sorted({v for f in fits.values() for v in fit_columns(f) if v in data.columns} | cols)
    return {p: data[data["split"] == p].dropna(subset=used) for p in SETS}


def _cox_fits(train, time, event, terms):
    from hccstats.survival import cox_zph, coxph

    surv = f"Surv({quote_name(time)}, {quote_name(event)})"
    uni = {t: coxph(f"{surv} ~ {t}", train) for t in terms}
    multi = coxph(f"{surv} ~ {' + '.join(terms)}", train)
    rows = [f.hazard_ratios().assign(model="Univariable") for f in uni.values()]
    rows.append(multi.hazard_ratios().assign(model="Multivariable"))
    return uni, multi, pd.concat(rows, ignore_index=True), cox_zph(multi)


def _render_cox(ctx, section, result: SurvivalResult) -> None:
    table, multi = result.cox_table, result.cox
    wide = table.pivot(index="term", columns="model").reindex(
        [t for t in table["term"].drop_duplicates()]
    )
    wide.columns = [f"{m}|{k}" for k, m in wide.columns]
    wide = wide.reset_index()
    wide["label"] = [ctx.label(t.split("[T.")[0]) + _level(t) for t in wide["term"]]
    wide = _named(wide)
    formats = {"Variable": F.col("label", "text")}
    for m in ("Univariable", "Multivariable"):
        formats[f"{m}: HR (95% CI)"] = lambda r, m=m: F.fmt_or_ci(
            r[f"{m}|estimate"], r[f"{m}|ci_low"], r[f"{m}|ci_high"]
        )
        formats[f"{m}: p value"] = lambda r, m=m: F.fmt_p(r[f"{m}|p_value"], star=True)
    section.table(
        "table_cox",
        wide,
        caption=f"{ctx.next_table()} Cox proportional-hazards models of the time to the event "
        "in the training set",
        formats=formats,
        footnote=f"Variables of the {result.dl}; n = {multi.n}, events = {multi.n_events}. Efron ties; "
        "HR with Wald 95% CI and Wald p. *p < 0.05.",
    )
    section.table(
        "supp_ph_test",
        _named(result.zph.table),
        caption=f"{ctx.next_table(supplementary=True)} Proportional-hazards test of the "
        "multivariable Cox model (scaled Schoenfeld residuals, Kaplan–Meier time scale)",
        formats={
            "Term": F.col("term", "text"),
            "Chi-square": lambda r: F.fmt_num(r["chisq"], 2),
            "df": lambda r: str(int(r["df"])),
            "p value": lambda r: F.fmt_p(r["p_value"]),
        },
        footnote="survival::cox.zph-equivalent score test; GLOBAL tests all terms together.",
    )


def _named(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its terms named as the data does (``Q('BCLC stage')`` -> ``BCLC stage``)."""
    return table.assign(term=[term_label(t) for t in table["term"]])


def _level(term: str) -> str:
    """patsy's ``mvi[T.present]`` → ": present"."""
    return f": {term.split('[T.', 1)[1][:-1]}" if "[T." in term else ""


def _check_hr(ctx, which, fit, train, time, event, terms):
    for _, r in fit.hazard_ratios().iterrows():
        for what, key in (("HR", "estimate"), ("p", "p_value")):
            ctx.check(
                STAGE,
                f"Cox {which}: {what}, {term_label(r['term'])}",
                r[key],
                f"survival::coxph(Surv({r_quote(time)}, {r_quote(event)}) ~ "
                f"{_rcheck.r_rhs(train, terms)})",
                lambda t=terms, term=r["term"], key=key: R.cox_hr(train, time, event, t).loc[
                    _rcheck.r_term(term), key
                ],
            )


def km_by_risk(sets, risk, time, event, horizon) -> tuple[float, dict, pd.DataFrame]:
    """Kaplan–Meier curves of each set by risk group (the Youden cut-off of the event by the
    horizon in the training set): (cut-off, set -> KmGroups, counts and log-rank p per set)."""
    from hccstats import coords, roc
    from hccstats.survival import survdiff, survfit

    y_tr = ((sets["training"][event] == 1) & (sets["training"][time] <= horizon)).to_numpy(float)
    cut = coords(roc(y_tr, risk["training"], direction="<"), "best", best_method="youden")[0]
    rows, groups = [], {}
    for part in SETS:
        d = sets[part]
        group = np.where(risk[part] >= cut.threshold, "High risk", "Low risk")
        t, e = d[time].to_numpy(float), d[event].to_numpy(float)
        km = survfit(t, e, group=pd.Categorical(group, ["Low risk", "High risk"]))
        test = survdiff(t, e, group) if len(set(group)) > 1 else None
        groups[part] = KmGroups(t, e, group, km, test)
        p = test.p_value if test is not None else np.nan
        rows.append({"set": part, "cutoff": cut.threshold, "p_value": p, **_counts(group, e)})
    return cut.threshold, groups, pd.DataFrame(rows)


def render_km(ctx, section, km: Mapping[str, KmGroups], *, time, horizon, model, cutoff) -> None:
    """One Kaplan–Meier figure per set by ``model``'s risk group (see :func:`km_by_risk`)."""
    from hccstats.survival import km_plot

    step = horizon / 2
    for part in SETS:
        g = km[part]
        fig = km_plot(
            g.km,
            risk_times=np.arange(0, g.time.max() + step, step),
            logrank=g.test,
            xlabel=ctx.label(time),
            ylabel="Event-free probability",
            title=f"{part.capitalize()} set",
        )
        section.figure(
            f"fig_km_{part}",
            fig,
            caption=f"{ctx.next_figure()} Kaplan–Meier curves of the {part} set by the "
            f"{model}'s risk group (cut-off {cutoff:.3f}, Youden index of the event "
            f"by {horizon:g} in the training set), log-rank p and numbers at risk",
        )


def _counts(group, e) -> dict:
    out = {}
    for g in ("Low risk", "High risk"):
        m = group == g
        out[f"n_{g.split()[0].lower()}"] = int(m.sum())
        out[f"events_{g.split()[0].lower()}"] = int(e[m].sum())
    return out


def _discrimination(sets, scores, time, event, times) -> pd.DataFrame:
    from hccstats import td_auc
    from hccstats.survival import concordance

    rows = []
    for name, by_set in scores.items():
        for part in SETS:
            d = sets[part]
            t, e, x = d[time].to_numpy(float), d[event].to_numpy(float), by_set[part]
            c = concordance(time=t, event=e, score=x, reverse=True)
            auc = td_auc(t, e, x, times).auc.to_numpy()
            row = {"model": name, "set": part, "c": c.concordance, "c_se": c.se}
            row.update({f"auc_{tt:g}": a for tt, a in zip(times, auc)})
            rows.append(row)
    return pd.DataFrame(rows)


def _check_discrimination(ctx, result: SurvivalResult) -> None:
    for _, row in result.discrimination.iterrows():
        name, part = row["model"], row["set"]
        d = result.sets[part]
        t, e = d[result.time].to_numpy(float), d[result.event].to_numpy(float)
        x = result.scores[name][part]
        ctx.check(
            STAGE,
            f"Harrell's C, {name}, {part}",
            row["c"],
            "survival::concordance(Surv(time, event) ~ risk, reverse = TRUE)",
            lambda t=t, e=e, x=x: R.harrell_c(t, e, x)[0],
        )
        for tt in result.times:
            if np.isfinite(row[f"auc_{tt:g}"]):
                ctx.check(
                    STAGE,
                    f"Time-dependent AUC at {tt:g}, {name}, {part}",
                    row[f"auc_{tt:g}"],
                    "timeROC's IPCW estimator written in R (survival::survfit weights)",
                    lambda t=t, e=e, x=x, tt=tt: R.td_auc(t, e, x, [tt])[0],
                    rtol=1e-9,
                )


def _reclassification(sets, scores, y_col, old, new) -> pd.DataFrame:
    from hccstats import improve_prob

    rows = []
    for part in SETS:
        res = improve_prob(sets[part][y_col].to_numpy(float), scores[old][part], scores[new][part])
        for index in ("NRI", "IDI"):
            rows.append({"set": part, "index": index, **res[index].drop("index").to_dict()})
    return pd.DataFrame(rows)


def _check_reclassification(ctx, result: SurvivalResult) -> None:
    old, new = result.reference, result.dl
    for _, row in result.reclassification.iterrows():
        part, index = row["set"], row["index"]
        y = result.sets[part][ctx.study.outcome].to_numpy(float)
        a, b = result.scores[old][part], result.scores[new][part]
        for what, key, rkey in (
            ("", "estimate", index.lower()),
            (" p", "p_value", f"{index.lower()}_p"),
        ):
            ctx.check(
                STAGE,
                f"{index}{what}, {new} vs {old}, {part}",
                row[key],
                "Hmisc::improveProb(x1 = old, x2 = new, y)",
                lambda y=y, a=a, b=b, rkey=rkey: R.improve(y, a, b)[rkey],
            )


def compute(ctx: Context, models) -> SurvivalResult:
    from hccstats import dca
    from hccstats.survival import calibrate as calibrate_cox

    study = ctx.study
    surv = ctx.analysis.survival
    if not surv:
        raise StageUnavailable("the study file has no survival section (time, event, horizon)")
    fits = dict(models.fits)
    if not fits:
        raise StageUnavailable("no multivariable model was built")
    time, event, horizon = surv.time, surv.event, surv.horizon
    sets = _sets(models.data, fits, {time, event})
    scores = {n: {p: f.predict_risk(sets[p]) for p in SETS} for n, f in fits.items()}
    dl = "DL model" if "DL model" in fits else list(fits)[-1]
    times = (horizon / 2, horizon, 1.5 * horizon)
    terms = list(fits[dl].terms)
    uni, multi, cox_table, zph = _cox_fits(sets["training"], time, event, terms)
    cutoff, km, km_table = km_by_risk(sets, scores[dl], time, event, horizon)
    disc = _discrimination(sets, scores, time, event, list(times))
    cal = calibrate_cox(
        multi,
        horizon,
        B=ctx.analysis.bootstrap.B,
        m=max(len(sets["training"]) // 4, 20),
        seed=ctx.analysis.bootstrap.seed,
    )
    old, reclass = None, None
    if len(fits) > 1:
        old = [n for n in fits if n != dl][0]
        reclass = _reclassification(sets, scores, study.outcome, old, dl)
    dcas = {
        part: dca(
            sets[part][event].to_numpy(float),
            {n: scores[n][part] for n in fits},
            time=sets[part][time].to_numpy(float),
            horizon=horizon,
        )
        for part in SETS
    }
    return SurvivalResult(
        time, event, horizon, times, dl, sets, scores, uni, multi, cox_table, zph, cutoff, km,
        km_table, disc, cal, old, reclass, dcas,
    )  # fmt: skip


def render(ctx: Context, section: Section, result: SurvivalResult) -> None:
    from hccstats.plots import calibration_curves, decision_curves, journal_style, new_figure

    sets, time, event, horizon = result.sets, result.time, result.event, result.horizon
    section.text(
        f"Time to the event: {time} (event {event}); horizon {horizon:g}"
        f"{' ' + time_unit(ctx, time) if time_unit(ctx, time) else ''}. Training n = "
        f"{len(sets['training'])} ({int(sets['training'][event].sum())} events), validation "
        f"n = {len(sets['validation'])} ({int(sets['validation'][event].sum())} events)."
    )
    _render_cox(ctx, section, result)
    ph = ph_alert(result.zph, f"multivariable Cox model (the {result.dl}'s variables)", ctx.label)
    if ph:
        ctx.alert(ph)
    render_km(
        ctx, section, result.km, time=time, horizon=horizon, model=result.dl, cutoff=result.cutoff
    )
    formats = {"Model": F.col("model", "text"), "Set": lambda r: str(r["set"]).capitalize()}
    formats["Harrell's C (95% CI)"] = lambda r: F.fmt_est_ci(
        r["c"], r["c"] - 1.959964 * r["c_se"], r["c"] + 1.959964 * r["c_se"]
    )
    for tt in result.times:
        formats[f"AUC at {tt:g}"] = lambda r, tt=tt: F.fmt_num(r[f"auc_{tt:g}"], 3)
    section.table(
        "table_survival_discrimination",
        result.discrimination,
        caption=f"{ctx.next_table()} Harrell's C and time-dependent AUC of the models' "
        "predicted risks",
        formats=formats,
        footnote="Harrell's C with its survival::concordance SE; time-dependent AUC: cumulative "
        "cases, dynamic controls, inverse-probability-of-censoring weights (Kaplan–Meier), as "
        "timeROC.",
    )
    if result.reclassification is not None:
        section.table(
            "table_nri_idi",
            result.reclassification,
            caption=f"{ctx.next_table()} Reclassification of the {result.dl} against the "
            f"{result.reference}",
            formats={
                "Set": lambda r: str(r["set"]).capitalize(),
                "Index": F.col("index", "text"),
                "Estimate (95% CI)": F.est_ci("estimate", "ci_low", "ci_high"),
                "p value": lambda r: F.fmt_p(r["p_value"], star=True),
                **(
                    {"Note": F.col("note", "text")}
                    if (result.reclassification["note"] != "").any()
                    else {}
                ),
            },
            footnote=f"Category-free NRI and IDI for the binary outcome ({ctx.study.outcome_label}) "
            "with Pencina's standard errors (Hmisc::improveProb); NA where the standard error is "
            "0 or undefined (Note).",
        )
    cal = result.calibration
    with journal_style():
        fig, axes = new_figure("double", 3.0, ncols=3)
    calibration_curves(
        {"Cox model": cal},
        ax=axes[0],
        title="A  Calibration",
        xlabel=f"Predicted event-free probability at {horizon:g}",
        ylabel="Observed (Kaplan–Meier)",
    )
    for j, part in enumerate(SETS):
        decision_curves(
            result.dca[part].table,
            ax=axes[j + 1],
            title=f"{'BC'[j]}  DCA, {part} set",
        )
    section.figure(
        "fig_survival_calibration_dca",
        fig,
        caption=f"{ctx.next_figure()} Calibration of the multivariable Cox model at {horizon:g} "
        f"(A; Kaplan–Meier observed against predicted event-free probability, bootstrap "
        f"bias-corrected, B = {cal.B}) and decision curves at {horizon:g} with Kaplan–Meier event "
        "rates in the training (B) and validation (C) sets",
    )
    ctx.results[STAGE] = {
        "time": time,
        "event": event,
        "horizon": horizon,
        "cox": _named(result.cox_table),
        "ph_test": _named(result.zph.table),
        "km_risk_groups": result.km_table,
        "discrimination": result.discrimination,
        "calibration": cal.table,
        "reclassification": result.reclassification,
    }


def r_checks(ctx: Context, result: SurvivalResult) -> None:
    train, time, event = result.sets["training"], result.time, result.event
    terms = list(result.univariable)  # the multivariable model's terms, in order
    for term, fit in result.univariable.items():
        _check_hr(ctx, "univariable", fit, train, time, event, [term])
    _check_hr(ctx, "multivariable", result.cox, train, time, event, terms)
    glob = result.zph.table.set_index("term").loc["GLOBAL"]
    ctx.check(
        STAGE,
        "PH test (cox.zph, km) global p, multivariable Cox",
        float(glob["p_value"]),
        "survival::cox.zph(coxph(...), transform = 'km')",
        lambda: R.cox_zph_p(train, time, event, terms),
    )
    for part, g in result.km.items():
        if g.test is not None:
            ctx.check(
                STAGE,
                f"Log-rank p, {result.dl} risk groups, {part}",
                g.test.p_value,
                "survival::survdiff(Surv(time, event) ~ group)",
                lambda g=g: R.logrank_p(g.time, g.event, g.group),
            )
    _check_discrimination(ctx, result)
    if result.reclassification is not None:
        _check_reclassification(ctx, result)


def time_unit(ctx: Context, time: str) -> str | None:
    """The time variable's declared unit ("months"), None when the study declares none."""
    var = (getattr(ctx.study, "variables", None) or {}).get(time)
    return getattr(var, "unit", None) or None


def units_sentence(ctx: Context, time: str, horizon: float) -> str:
    """ "Times are in months; horizon 24 months." (or that no unit was declared)."""
    unit = time_unit(ctx, time)
    if unit:
        return f"Times are in {unit} (the time to the event, {time}); horizon {horizon:g} {unit}. "
    return (
        f"The time variable ({time}) has no declared unit (set unit: in its variables entry); "
        f"horizon {horizon:g} in the same units. "
    )


def methods(ctx: Context, result: SurvivalResult) -> str:
    u = f" {time_unit(ctx, result.time)}" if time_unit(ctx, result.time) else ""
    return (
        units_sentence(ctx, result.time, result.horizon)
        + f"The time to the event ({result.time}) was analysed with Cox proportional-hazards models (Efron "
        "ties; survival::coxph-equivalent), the proportional-hazards assumption with scaled "
        "Schoenfeld residuals (cox.zph, Kaplan–Meier time scale), Kaplan–Meier curves by the "
        f"{result.dl}'s risk group (Youden cut-off of the training set) with the log-rank test, Harrell's C and the time-dependent AUC "
        f"(cumulative/dynamic, IPCW) at {', '.join(f'{t:g}' for t in result.times)}{u}, calibration at "
        f"{result.horizon:g}{u} ({result.calibration.B} bootstrap resamples, rms::calibrate-equivalent, seed {ctx.analysis.bootstrap.seed}), "
        "NRI and IDI (Hmisc::improveProb-equivalent) and decision curves at the horizon with "
        "Kaplan–Meier event rates."
    )
