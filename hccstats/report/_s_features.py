"""Stage 4: deep features → per-phase signatures (Fig. 4), mp-MR fusion, Table 1, Table 2.

Feature tables come from the study's ``features:`` folder, or are extracted from its
``images:`` by :func:`extract.run_study` into a scratch folder (never into the inputs).
Training signatures are the out-of-fold predictions of the best pipeline (honest); the
validation set gets the refitted pipelines' predictions.
"""

from __future__ import annotations

import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context, StageUnavailable
from ._perf import CI_NOTE, compares, evaluate_scores, performance_formats

REQUIRES: tuple[str, ...] = ("flow",)
MP = "mp-MR"
#: Odds ratios of the 0-1 DL signatures are per this increase (Tables 1 and 3, the univariable table);
#: per 1 unit they read as nonsense (10^15 in the reference study).
SIG_PER = 0.1
PER_FOOTNOTE = f"odds ratio per {SIG_PER:g} increase of the signature"


def sig_column(name: str) -> str:
    return "sig_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def _extract(ctx: Context) -> dict[str, pd.DataFrame]:
    import extract

    folder = ctx.work / "features"
    kw = {}
    if ctx.options.crop_size:
        kw["size"] = int(ctx.options.crop_size)
    if ctx.options.n4_iterations:
        kw["n4_iterations"] = tuple(int(i) for i in ctx.options.n4_iterations)
    if ctx.options.n4_convergence:
        kw["n4_convergence"] = float(ctx.options.n4_convergence)
    import os

    summary = extract.run_study(
        ctx.shared["study_path"],
        folder,
        random_weights=bool(ctx.shared.get("demo")),
        seed=ctx.seed,
        quiet=True,
        patients=[str(p) for p in ctx.study.data.index],
        jobs=max(1, min(2, os.cpu_count() or 1)),
        **kw,
    )
    included = set(ctx.study.data.index.astype(str))
    failed = {str(k): v for k, v in summary.failures.items() if str(k) in included}
    if failed:  # screened-out patients may lack images; included ones may not
        first = next(iter(failed.items()))
        raise RuntimeError(
            f"feature extraction failed for {len(failed)} included patient(s), e.g. {first[0]}: {first[1]}"
        )
    ctx.results["extraction"] = {
        "n_patients": summary.n_patients,
        "weights": summary.weights,
        "random_weights": bool(ctx.shared.get("demo")),
        "settings": kw,
    }
    ctx.methods["extraction"] = (
        "Deep features were extracted from each phase with VGG19 (1472 features per phase: N4 bias-field "
        "correction, grey values mapped to 0–255, region of interest on the largest tumour cross-section"
        + (f", crop {kw['size']} px" if kw.get("size") else "")
        + (
            f", N4 iterations {'/'.join(map(str, kw['n4_iterations']))}"
            if kw.get("n4_iterations")
            else ""
        )
        + (f", N4 convergence {kw['n4_convergence']:g}" if kw.get("n4_convergence") else "")
        + ")"
        + (" using seeded random weights (demo cohort)" if ctx.shared.get("demo") else "")
        + "."
    )
    tables = {}
    index = ctx.study.data.index
    for phase, path in sorted(summary.tables.items()):
        t = pd.read_parquet(path)
        t["patient_id"] = t["patient_id"].astype(str)
        t = t.set_index("patient_id").loc[index].astype("float64")
        t.index.name = index.name
        tables[phase] = t
    order = [p for p in ctx.study.phases if p in tables] + [
        p for p in tables if p not in ctx.study.phases
    ]
    return {p: tables[p] for p in order}


def _feature_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    tables = ctx.study.feature_tables()
    if tables:
        ctx.methods["extraction"] = (
            "Deep-feature tables were read from the study's features folder."
        )
        return tables
    if ctx.study.config.get("images"):
        import time

        t0 = time.perf_counter()
        tables = _extract(ctx)
        ctx.shared.get("say", print)(
            f"      feature extraction: {len(tables)} phase(s), {time.perf_counter() - t0:.1f} s"
        )
        return tables
    raise StageUnavailable("the study has neither images nor feature tables (clinical-only study)")


def run(ctx: Context, section: Section) -> None:
    from hccstats.signature import difference_table, fuse_signatures, signature_search

    study, opts = ctx.study, ctx.options
    import time

    tables = _feature_tables(ctx)
    t0 = time.perf_counter()
    data = ctx.shared["data"]
    train_ids = data.index[data["split"] == "training"]
    valid_ids = data.index[data["split"] == "validation"]
    y = data[study.outcome]
    search = signature_search(
        {p: t.loc[train_ids] for p, t in tables.items()},
        y.loc[train_ids],
        preset=opts.signature_preset,
        seed=ctx.seed,
        n_jobs=opts.n_jobs,
        scheduler=opts.scheduler,
        progress=not opts.quiet,
    )
    ctx.shared.get("say", print)(
        f"      signature search (preset {opts.signature_preset}): {time.perf_counter() - t0:.1f} s"
    )
    if not search.active:
        raise StageUnavailable(
            "no phase yielded a signature: "
            + "; ".join(f"{p}: {r}" for p, r in search.skipped.items())
        )
    train_sig = search.signature("oof")
    valid_sig = search.predict({p: t.loc[valid_ids] for p, t in tables.items()})
    names = list(search.active)
    if len(names) >= 2:
        mp = fuse_signatures(search)
        train_sig[MP] = mp.signature("oof")
        valid_sig[MP] = mp.predict({p: t.loc[valid_ids] for p, t in tables.items()})
        names.append(MP)
        ctx.results.setdefault("signatures", {})["fusion_coef"] = mp.coef
    reference = names[-1]
    for name in names:  # signatures become analysis variables of the later stages
        col = sig_column(name)
        values = pd.concat([train_sig[name], valid_sig[name]]).reindex(data.index)
        data[col] = values.astype("float64")
        ctx.shared["labels"][col] = f"{name} DL signature"
    ctx.shared["signatures"] = {name: sig_column(name) for name in names}
    ctx.shared["reference_signature"] = sig_column(reference)

    # Fig. 4: selector x classifier comparison
    from hccstats.plots import signature_comparison

    fig = signature_comparison(search.table)
    section.figure(
        "fig_signature_search",
        fig,
        caption=f"{ctx.next_figure()} Performance (mean cross-validated AUC, SD) "
        "of every feature selector × classifier per phase in the training set",
    )
    if search.skipped:
        section.text(
            "Phases without a signature: "
            + "; ".join(f"{p}: {r}" for p, r in search.skipped.items()),
            "note",
        )

    # Table 1: difference and univariable analysis of the signatures (training set)
    y_tr = y.loc[train_ids]
    diff = difference_table(train_sig[names], y_tr, per=SIG_PER)
    n1, n0 = int(y_tr.sum()), int((1 - y_tr).sum())
    section.table(
        "table1_signatures",
        diff,
        caption=f"{ctx.next_table()} Difference analysis and univariable analysis of the DL "
        "signatures between patients with and without the outcome in the training set",
        formats={
            "Signature": F.col("signature", "text"),
            f"Outcome (n = {n1})": lambda r: F.fmt_median_iqr(
                r["median_events"], r["q1_events"], r["q3_events"], 3
            ),
            f"No outcome (n = {n0})": lambda r: F.fmt_median_iqr(
                r["median_nonevents"], r["q1_nonevents"], r["q3_nonevents"], 3
            ),
            "Difference p value": F.col("mw_p_value", "p*"),
            "OR (95% CI)": F.or_ci("estimate", "ci_low", "ci_high"),
            "p value": F.col("p_value", "p*"),
        },
        footnote=f"Median (interquartile range); Mann–Whitney U test; univariable logistic regression, {PER_FOOTNOTE} "
        "(Wald CI). Training signatures are out-of-fold predictions. *p < 0.05.",
    )
    for _, r in diff.iterrows():
        s = train_sig[r["signature"]].to_numpy()
        yy = y_tr.to_numpy()
        ctx.check(
            "signatures",
            f"Mann–Whitney p, {r['signature']} signature",
            r["mw_p_value"],
            "wilcox.test(s ~ y)$p.value",
            lambda s=s, yy=yy: _rcheck.wilcox_p(s, yy),
        )
        frame = pd.DataFrame({"y": yy, "s": s})
        ctx.check(
            "signatures",
            f"OR per {SIG_PER:g}, {r['signature']} signature (univariable)",
            r["estimate"],
            f"exp({SIG_PER:g} * coef(glm(y ~ s, binomial)))",
            lambda f=frame: _rcheck.glm_or(f, "y", ["s"], per={"s": SIG_PER}).loc["s", "estimate"],
        )

    # Table 2: discrimination of the signatures, DeLong against the mp-MR (or last) signature
    scores = {
        n: {
            "training": train_sig[n].to_numpy(),
            "validation": valid_sig[n].loc[valid_ids].to_numpy(),
        }
        for n in names
    }
    perf, rocs = evaluate_scores(
        ctx,
        "signatures",
        scores,
        {"training": y_tr.to_numpy(), "validation": y.loc[valid_ids].to_numpy()},
        reference if len(names) > 1 else None,
    )
    perf = perf.sort_values(
        ["set", "model"],
        key=lambda s: s.map(
            {**{n: i for i, n in enumerate(names)}, "training": 0, "validation": 1}
        ),
    ).reset_index(drop=True)
    section.table(
        "table2_signature_performance",
        perf,
        caption=f"{ctx.next_table()} Predictive performance of the DL "
        "signatures in the training and validation sets",
        formats=performance_formats(perf),
        footnote="Cut-off: Youden index on the training set, applied unchanged to the validation set. AUC with "
        f"DeLong 95% CI; {CI_NOTE}"
        + (
            f"; p value: DeLong test against the {reference} signature (Ref). *p < 0.05."
            if compares(perf)
            else "."
        ),
    )
    ctx.shared["signature_rocs"] = rocs
    ctx.results["signatures"] = {
        **ctx.results.get("signatures", {}),
        "phases": list(tables),
        "skipped": search.skipped,
        "settings": dict(search.settings),
        "best": {p: list(b) for p, b in search.best.items()},
        "selected_features": search.selected_features,
        "search_table": search.table,
        "difference_table": diff,
        "performance": perf,
    }
    s = search.settings
    ctx.methods["signatures"] = (
        f"For each phase ({', '.join(tables)}) the features were min–max scaled, filtered by Spearman correlation with "
        f"the outcome (p < {s['alpha']}) and pruned of redundant pairs (Pearson |r| > {s['threshold']}); selectors "
        f"({', '.join(s['selectors'])}) × classifiers ({', '.join(s['classifiers'])}) were compared by {s['n_splits']}-fold "
        f"cross-validation ({s['n_repeats']} repeat{'s' if s['n_repeats'] != 1 else ''}; preset '{s['preset']}', seed {s['seed']}), everything fitted "
        "inside the training folds. The best pipeline per phase was refitted on the training set; training signatures are "
        "out-of-fold predictions"
        + (
            f", and the {MP} signature stacks the phase signatures by logistic regression"
            if MP in names
            else ""
        )
        + ". Signatures were compared between outcome groups by the Mann–Whitney U test and univariable logistic "
        "regression, and their AUCs by DeLong's test."
    )
    ctx.software.setdefault("scikit-learn", __import__("sklearn").__version__)
