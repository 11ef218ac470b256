"""Stage 7: the models on the training and validation sets (Table 4): ROC, bootstrap calibration, decision curves (Fig. 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ._context import Context, StageUnavailable
from ._perf import evaluate_scores, performance_formats
from ._separation import calibration_failures

REQUIRES: tuple[str, ...] = ("models",)


def run(ctx: Context, section: Section) -> None:
    from hccstats import calibrate, dca
    from hccstats.calibration import calibration_curve
    from hccstats.plots import performance_panels

    study, opts = ctx.study, ctx.options
    fits = dict(ctx.shared.get("fits", {}))
    if not fits:
        raise StageUnavailable("no multivariable model was built")
    data = ctx.shared["data"]
    ref_sig = (
        ctx.shared.get("reference_signature") if ctx.stage_status.get("features") == "ok" else None
    )
    used = sorted({v for f in fits.values() for v in f.terms} | ({ref_sig} if ref_sig else set()))
    y_col = study.outcome
    sets = {}
    for part in ("training", "validation"):
        d = data[data["split"] == part]
        d = d.dropna(subset=[c for c in used if c in d.columns])
        sets[part] = d
    scores: dict[str, dict[str, np.ndarray]] = {}
    for name, fit in fits.items():
        scores[name] = {p: fit.predict_risk(d) for p, d in sets.items()}
    order = list(fits)
    if ref_sig is not None:
        sig_name = ctx.label(ref_sig)
        scores[sig_name] = {p: d[ref_sig].to_numpy(float) for p, d in sets.items()}
        order = (
            [n for n in order if n != "DL model"]
            + [sig_name]
            + [n for n in order if n == "DL model"]
        )
    reference = "DL model" if "DL model" in fits else order[-1]
    y = {p: d[y_col].to_numpy(float) for p, d in sets.items()}
    perf, rocs = evaluate_scores(
        ctx, "performance", {n: scores[n] for n in order}, y, reference if len(order) > 1 else None
    )
    rank = {n: i for i, n in enumerate(order)}
    perf = perf.sort_values(
        ["set", "model"],
        key=lambda s: s.map(lambda v: rank.get(v, {"training": 0, "validation": 1}.get(v, 0))),
    )
    perf = perf.reset_index(drop=True)
    n_tr, n_va = len(sets["training"]), len(sets["validation"])
    section.table(
        "table4_model_performance",
        perf,
        caption=f"{ctx.next_table()} Predictive performance of the models in the "
        "training and validation sets",
        formats=performance_formats(),
        footnote=f"Patients with every model variable recorded: training n = {n_tr}, validation n = {n_va}. Cut-off: "
        f"Youden index on the training set, applied unchanged to the validation set. AUC with DeLong 95% CI; p value: "
        f"DeLong test against the {reference} (Ref). *p < 0.05.",
    )

    # Fig. 6: ROC (A, B), calibration (C, D), decision curves (E, F)
    cal, dcas = {}, {}
    for name, fit in fits.items():
        cal[(name, "training")] = calibrate(fit, B=opts.B, seed=ctx.seed)
        cal[(name, "validation")] = calibration_curve(y["validation"], scores[name]["validation"])
    for part in ("training", "validation"):
        dcas[part] = dca(
            y[part], {n: scores[n][part] for n in fits}, thresholds=opts.dca_threshold_grid()
        )
    fig = performance_panels(
        {p: {n: rocs[(n, p)] for n in order} for p in dcas},
        {
            p: {
                n: (float(r.ci_low), float(r.ci_high))
                for n, r in perf[perf["set"] == p].set_index("model").iterrows()
            }
            for p in dcas
        },
        {p: {n: cal[(n, p)] for n in fits} for p in dcas},
        dcas,
    )
    section.figure(
        "fig_model_performance",
        fig,
        caption=f"{ctx.next_figure()} Discrimination, calibration and clinical "
        f"usefulness of the models. ROC curves in the training (A) and validation (B) sets; calibration curves "
        f"(training: bootstrap bias-corrected, B = {opts.B}; validation: lowess of the observed outcome) (C, D); "
        "decision curves (E, F)",
    )
    cal_rows = []
    for (name, part), c in cal.items():
        cal_rows.append(
            {
                "model": name,
                "set": part,
                "mean_abs_error": c.mean_abs_error,
                "mean_squared_error": c.mean_squared_error,
                "quantile_90": c.quantile_90,
                "n": c.n,
                "B": c.B,
                "n_failed": c.n_failed,
            }
        )
    cal_table = pd.DataFrame(cal_rows)
    section.table(
        "supp_calibration",
        cal_table,
        caption=f"{ctx.next_table(supplementary=True)} Calibration error of the models",
        formats={
            "Model": lambda r: r["model"],
            "Set": lambda r: str(r["set"]).capitalize(),
            "Mean absolute error": lambda r: F.fmt_num(r["mean_abs_error"], 3),
            "Mean squared error": lambda r: F.fmt_num(r["mean_squared_error"], 4),
            "0.9 quantile of absolute error": lambda r: F.fmt_num(r["quantile_90"], 3),
            "Bootstrap resamples (failed)": lambda r: (
                f"{int(r['B'])} ({int(r['n_failed'])})" if r["B"] else "—"
            ),
        },
        footnote="rms::calibrate's error summaries of the bias-corrected (training) or apparent (validation) curve; "
        "in brackets the bootstrap refits that failed and were left out (above 1% the report warns).",
    )
    ctx.results["performance"] = {
        "table": perf,
        "n": {"training": n_tr, "validation": n_va},
        "calibration": {
            f"{n}|{p}": {
                "table": c.table,
                "mean_abs_error": c.mean_abs_error,
                "n_failed": c.n_failed,
            }
            for (n, p), c in cal.items()
        },
        "dca": {p: d.table for p, d in dcas.items()},
    }
    ctx.methods["performance"] = (
        "Discrimination was measured by the AUC with DeLong's 95% CI; sensitivity, specificity and accuracy used the "
        "Youden-optimal cut-off of the training set, applied unchanged to the validation set; AUCs were compared with "
        f"DeLong's test for paired curves (pROC-equivalent). Calibration was assessed with {opts.B} bootstrap resamples "
        f"(rms::calibrate-equivalent, seed {ctx.seed}) in the training set and a lowess calibration curve in the validation "
        "set, and clinical usefulness by decision curve analysis (net benefit over threshold probabilities "
        f"{opts.dca_thresholds[0]:g}–{opts.dca_thresholds[1]:g} in steps of {opts.dca_thresholds[2]:g})."
        + calibration_failures(ctx, cal)
    )
