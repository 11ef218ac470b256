"""Stage: time to the event beside the binary endpoint (study.yaml ``survival:``).

Cox models (univariable and multivariable, HR with Wald CI), the proportional-hazards test,
Kaplan–Meier curves of the training and validation sets by the DL nomogram's risk group
(cut-off from the training set) with log-rank p and numbers at risk, Harrell's C and the
time-dependent AUC of each model, calibration of the Cox model at the horizon, NRI and IDI of
the DL nomogram against the clinical model, and decision curves at the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ..rbridge import survival_checks as R
from ._context import Context, StageUnavailable

REQUIRES: tuple[str, ...] = ("models",)
SETS = ("training", "validation")
STAGE = "survival"


def _sets(ctx: Context, fits, cols) -> dict[str, pd.DataFrame]:
    data = ctx.shared["data"]
    used = sorted({v for f in fits.values() for v in f.terms if v in data.columns} | cols)
    return {p: data[data["split"] == p].dropna(subset=used) for p in SETS}


def _cox_tables(ctx, section, train, time, event, terms, dl):
    from hccstats.survival import cox_zph, coxph

    rows = []
    for term in terms:
        fit = coxph(f"Surv({time}, {event}) ~ {term}", train)
        rows.append(fit.hazard_ratios().assign(model="Univariable"))
        _check_hr(ctx, "univariable", fit, train, time, event, [term])
    multi = coxph(f"Surv({time}, {event}) ~ {' + '.join(terms)}", train)
    rows.append(multi.hazard_ratios().assign(model="Multivariable"))
    _check_hr(ctx, "multivariable", multi, train, time, event, terms)
    table = pd.concat(rows, ignore_index=True)
    wide = table.pivot(index="term", columns="model").reindex(
        [t for t in table["term"].drop_duplicates()]
    )
    wide.columns = [f"{m}|{k}" for k, m in wide.columns]
    wide = wide.reset_index()
    wide["label"] = [ctx.label(t.split("[")[0]) + _level(t) for t in wide["term"]]
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
        footnote=f"Variables of the {dl}; n = {multi.n}, events = {multi.n_events}. Efron ties; "
        "HR with Wald 95% CI and Wald p. *p < 0.05.",
    )
    zph = cox_zph(multi)
    glob = zph.table.set_index("term").loc["GLOBAL"]
    ctx.check(
        STAGE,
        "PH test (cox.zph, km) global p, multivariable Cox",
        float(glob["p_value"]),
        "survival::cox.zph(coxph(...), transform = 'km')",
        lambda: R.cox_zph_p(train, time, event, terms),
    )
    section.table(
        "supp_ph_test",
        zph.table,
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
    return table, multi, zph


def _level(term: str) -> str:
    """patsy's ``mvi[T.present]`` → ": present"."""
    return f": {term.split('[T.', 1)[1][:-1]}" if "[T." in term else ""


def _check_hr(ctx, which, fit, train, time, event, terms):
    for _, r in fit.hazard_ratios().iterrows():
        for what, key in (("HR", "estimate"), ("p", "p_value")):
            ctx.check(
                STAGE,
                f"Cox {which}: {what}, {r['term']}",
                r[key],
                f"survival::coxph(Surv({time}, {event}) ~ {' + '.join(terms)})",
                lambda t=terms, term=r["term"], key=key: R.cox_hr(train, time, event, t).loc[
                    _rcheck.r_term(term), key
                ],
            )


def _km_by_risk(ctx, section, sets, risk, time, event, horizon, model):
    from hccstats import coords, roc
    from hccstats.survival import km_plot, survdiff, survfit

    y_tr = ((sets["training"][event] == 1) & (sets["training"][time] <= horizon)).to_numpy(float)
    cut = coords(roc(y_tr, risk["training"], direction="<"), "best", best_method="youden")[0]
    rows, figs = [], {}
    for part in SETS:
        d = sets[part]
        group = np.where(risk[part] >= cut.threshold, "High risk", "Low risk")
        t, e = d[time].to_numpy(float), d[event].to_numpy(float)
        km = survfit(t, e, group=pd.Categorical(group, ["Low risk", "High risk"]))
        test = survdiff(t, e, group) if len(set(group)) > 1 else None
        step = horizon / 2
        ticks = np.arange(0, t.max() + step, step)
        figs[part] = km_plot(
            km,
            risk_times=ticks,
            logrank=test,
            xlabel=ctx.label(time),
            ylabel="Event-free probability",
            title=f"{part.capitalize()} set",
        )
        p = test.p_value if test is not None else np.nan
        rows.append({"set": part, "cutoff": cut.threshold, "p_value": p, **_counts(group, e)})
        if test is not None:
            ctx.check(
                STAGE,
                f"Log-rank p, {model} risk groups, {part}",
                p,
                "survival::survdiff(Surv(time, event) ~ group)",
                lambda t=t, e=e, g=group: R.logrank_p(t, e, g),
            )
    for part, fig in figs.items():
        section.figure(
            f"fig_km_{part}",
            fig,
            caption=f"{ctx.next_figure()} Kaplan–Meier curves of the {part} set by the "
            f"{model}'s risk group (cut-off {cut.threshold:.3f}, Youden index of the event by "
            f"{horizon:g} in the training set), log-rank p and numbers at risk",
        )
    return pd.DataFrame(rows)


def _counts(group, e) -> dict:
    out = {}
    for g in ("Low risk", "High risk"):
        m = group == g
        out[f"n_{g.split()[0].lower()}"] = int(m.sum())
        out[f"events_{g.split()[0].lower()}"] = int(e[m].sum())
    return out


def _discrimination(ctx, sets, scores, time, event, times):
    from hccstats import td_auc
    from hccstats.survival import concordance

    rows = []
    for name, by_set in scores.items():
        for part in SETS:
            d = sets[part]
            t, e, x = d[time].to_numpy(float), d[event].to_numpy(float), by_set[part]
            c = concordance(time=t, event=e, x=x, reverse=True)
            auc = td_auc(t, e, x, times).auc.to_numpy()
            row = {"model": name, "set": part, "c": c.concordance, "c_se": c.se}
            row.update({f"auc_{tt:g}": a for tt, a in zip(times, auc)})
            rows.append(row)
            ctx.check(
                STAGE,
                f"Harrell's C, {name}, {part}",
                c.concordance,
                "survival::concordance(Surv(time, event) ~ risk, reverse = TRUE)",
                lambda t=t, e=e, x=x: R.harrell_c(t, e, x)[0],
            )
            for k, tt in enumerate(times):
                if np.isfinite(auc[k]):
                    ctx.check(
                        STAGE,
                        f"Time-dependent AUC at {tt:g}, {name}, {part}",
                        auc[k],
                        "timeROC's IPCW estimator written in R (survival::survfit weights)",
                        lambda t=t, e=e, x=x, tt=tt: R.td_auc(t, e, x, [tt])[0],
                        rtol=1e-9,
                    )
    return pd.DataFrame(rows)


def _reclassification(ctx, sets, scores, y_col, old, new):
    from hccstats import improve_prob

    rows = []
    for part in SETS:
        y = sets[part][y_col].to_numpy(float)
        a, b = scores[old][part], scores[new][part]
        res = improve_prob(y, a, b)
        for index in ("NRI", "IDI"):
            r = res[index]
            rows.append({"set": part, "index": index, **r.drop("index").to_dict()})
            for what, key, rkey in (
                ("", "estimate", index.lower()),
                (" p", "p_value", f"{index.lower()}_p"),
            ):
                ctx.check(
                    STAGE,
                    f"{index}{what}, {new} vs {old}, {part}",
                    r[key],
                    "Hmisc::improveProb(x1 = old, x2 = new, y)",
                    lambda y=y, a=a, b=b, rkey=rkey: R.improve(y, a, b)[rkey],
                )
    return pd.DataFrame(rows)


def run(ctx: Context, section: Section) -> None:
    import matplotlib.pyplot as plt

    from hccstats import dca
    from hccstats.plots import decision_curves
    from hccstats.survival import calibrate as calibrate_cox

    study, opts = ctx.study, ctx.options
    surv = getattr(study, "survival", None)
    if not surv:
        raise StageUnavailable("the study file has no survival section (time, event, horizon)")
    fits = dict(ctx.shared.get("fits", {}))
    if not fits:
        raise StageUnavailable("no multivariable model was built")
    time, event, horizon = surv["time"], surv["event"], float(surv["horizon"])
    sets = _sets(ctx, fits, {time, event})
    scores = {n: {p: f.predict_risk(sets[p]) for p in SETS} for n, f in fits.items()}
    dl = "DL model" if "DL model" in fits else list(fits)[-1]
    times = [horizon / 2, horizon, 1.5 * horizon]
    section.text(
        f"Time to the event: {time} (event {event}); horizon {horizon:g}. Training n = "
        f"{len(sets['training'])} ({int(sets['training'][event].sum())} events), validation "
        f"n = {len(sets['validation'])} ({int(sets['validation'][event].sum())} events)."
    )
    terms = list(fits[dl].terms)
    cox, multi, zph = _cox_tables(ctx, section, sets["training"], time, event, terms, dl)
    km = _km_by_risk(ctx, section, sets, scores[dl], time, event, horizon, dl)
    disc = _discrimination(ctx, sets, scores, time, event, times)
    formats = {"Model": F.col("model", "text"), "Set": lambda r: str(r["set"]).capitalize()}
    formats["Harrell's C (95% CI)"] = lambda r: F.fmt_est_ci(
        r["c"], r["c"] - 1.959964 * r["c_se"], r["c"] + 1.959964 * r["c_se"]
    )
    for tt in times:
        formats[f"AUC at {tt:g}"] = lambda r, tt=tt: F.fmt_num(r[f"auc_{tt:g}"], 3)
    section.table(
        "table_survival_discrimination",
        disc,
        caption=f"{ctx.next_table()} Harrell's C and time-dependent AUC of the models' "
        "predicted risks",
        formats=formats,
        footnote="Harrell's C with its survival::concordance SE; time-dependent AUC: cumulative "
        "cases, dynamic controls, inverse-probability-of-censoring weights (Kaplan–Meier), as "
        "timeROC.",
    )
    cal = calibrate_cox(
        multi, horizon, B=min(opts.B, 200), m=max(len(sets["training"]) // 4, 20), seed=ctx.seed
    )
    reclass = None
    if len(fits) > 1:
        old = [n for n in fits if n != dl][0]
        reclass = _reclassification(ctx, sets, scores, study.outcome, old, dl)
        section.table(
            "table_nri_idi",
            reclass,
            caption=f"{ctx.next_table()} Reclassification of the {dl} against the {old}",
            formats={
                "Set": lambda r: str(r["set"]).capitalize(),
                "Index": F.col("index", "text"),
                "Estimate (95% CI)": F.est_ci("estimate", "ci_low", "ci_high"),
                "p value": lambda r: F.fmt_p(r["p_value"], star=True),
            },
            footnote=f"Category-free NRI and IDI for the binary outcome ({study.outcome_label}) "
            "with Pencina's standard errors (Hmisc::improveProb).",
        )
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6))
    _plot_calibration(axes[0], cal, horizon)
    for j, part in enumerate(SETS):
        d = sets[part]
        dc = dca(
            d[event].to_numpy(float),
            {n: scores[n][part] for n in fits},
            time=d[time].to_numpy(float),
            horizon=horizon,
        )
        decision_curves(
            dc.table, ax=axes[j + 1], title=f"{'BC'[j]}  Decision curves at {horizon:g}, {part}"
        )
    fig.tight_layout()
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
        "cox": cox,
        "ph_test": zph.table,
        "km_risk_groups": km,
        "discrimination": disc,
        "calibration": cal.table,
        "reclassification": reclass,
    }
    ctx.methods[STAGE] = (
        f"The time to the event ({time}) was analysed with Cox proportional-hazards models (Efron "
        "ties; survival::coxph-equivalent), the proportional-hazards assumption with scaled "
        "Schoenfeld residuals (cox.zph, Kaplan–Meier time scale), Kaplan–Meier curves by the "
        f"{dl}'s risk group (Youden cut-off of the training set) with the log-rank test, Harrell's C and the time-dependent AUC "
        f"(cumulative/dynamic, IPCW) at {', '.join(f'{t:g}' for t in times)}, calibration at "
        f"{horizon:g} ({cal.B} bootstrap resamples, rms::calibrate-equivalent, seed {ctx.seed}), "
        "NRI and IDI (Hmisc::improveProb-equivalent) and decision curves at the horizon with "
        "Kaplan–Meier event rates."
    )


def _plot_calibration(ax, cal, horizon):
    t = cal.table
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--")
    ax.plot(t["predicted"], t["observed"], "o:", color="0.3", ms=3, label="Apparent")
    ax.plot(
        t["predicted"], t["observed_corrected"], "o-", color="black", ms=3, label="Bias-corrected"
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"Predicted event-free probability at {horizon:g}")
    ax.set_ylabel("Observed (Kaplan–Meier)")
    ax.set_title("A  Calibration of the Cox model", loc="left", fontsize=9)
    ax.legend(frameon=False, fontsize=7)
