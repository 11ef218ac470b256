"""Stage 4: deep features → per-phase signatures (Fig. 4), mp-MR fusion, Table 1, Table 2.

Feature tables come from the study's ``features:`` folder, or are extracted from its
``images:`` by :func:`extract.run_study` into a scratch folder (never into the inputs).
Training signatures are the out-of-fold predictions of the best pipeline (honest); the
validation set gets the refitted pipelines' predictions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context, StageUnavailable
from ._perf import (
    CI_NOTE,
    ScoreEvaluation,
    compares,
    evaluate_scores,
    performance_formats,
    score_checks,
)

REQUIRES: tuple[str, ...] = ("flow",)
MP = "mp-MR"
#: Odds ratios of the 0-1 DL signatures are per this increase (Tables 1 and 3, the univariable table);
#: per 1 unit they read as nonsense (10^15 in the reference study).
SIG_PER = 0.1
PER_FOOTNOTE = f"odds ratio per {SIG_PER:g} increase of the signature"


def sig_column(name: str) -> str:
    return "sig_" + "".join(ch if ch.isalnum() else "_" for ch in name)


@dataclass(frozen=True)
class Extraction:
    """How the feature tables were obtained: read from the study, or extracted from its images."""

    read: bool  # True: the study's features folder
    n_patients: int = 0
    weights: str | None = None
    random_weights: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeaturesResult:
    """The DL signatures: the search, each signature's values for every patient, its tables.

    ``scores`` holds one column per signature (named by :func:`sig_column`, indexed like the
    flow's data); the later stages join it to the flow's data, which stays as it was.
    """

    extraction: Extraction
    phases: tuple[str, ...]
    search: Any  # hccstats.signature.SignatureSearch
    fusion_coef: Any  # the mp-MR stacking's coefficients (None with one phase)
    names: tuple[str, ...]  # signature names (phases, then mp-MR)
    reference: str  # the last one: the mp-MR signature when fused
    scores: pd.DataFrame  # sig_<name> columns: out-of-fold (training), refitted (validation)
    y_train: pd.Series
    difference: pd.DataFrame  # Table 1 of the study: Mann-Whitney and univariable OR
    evaluation: ScoreEvaluation  # Table 2: AUC, cut-off metrics, DeLong against the reference

    @property
    def columns(self) -> dict[str, str]:
        """Signature name -> its column in ``scores``."""
        return {n: sig_column(n) for n in self.names}

    @property
    def reference_column(self) -> str:
        return sig_column(self.reference)

    @property
    def labels(self) -> dict[str, str]:
        return {sig_column(n): f"{n} DL signature" for n in self.names}

    def training_scores(self) -> pd.DataFrame:
        """The training patients' signatures (out-of-fold), one column per signature name."""
        cols = self.scores.loc[self.y_train.index, list(self.columns.values())]
        return cols.set_axis(list(self.names), axis=1)


def with_signatures(data: pd.DataFrame, features: FeaturesResult | None) -> pd.DataFrame:
    """A new frame: ``data`` and the signature columns (``data`` itself when there are none)."""
    if features is None:
        return data
    return data.join(features.scores)


def _extract(ctx: Context) -> tuple[dict[str, pd.DataFrame], Extraction]:
    import os

    import extract

    folder = ctx.work / "features"
    kw = {}
    if ctx.analysis.extraction.crop_size:
        kw["size"] = int(ctx.analysis.extraction.crop_size)
    if ctx.analysis.extraction.n4_iterations:
        kw["n4_iterations"] = tuple(int(i) for i in ctx.analysis.extraction.n4_iterations)
    if ctx.analysis.extraction.n4_convergence:
        kw["n4_convergence"] = float(ctx.analysis.extraction.n4_convergence)
    if (
        ctx.analysis.extraction.scheduler
    ):  # shards as Dask tasks (the output folder on the shared disk)
        kw["scheduler"] = ctx.analysis.extraction.scheduler
    summary = extract.run_study(
        ctx.run.study_path,
        folder,
        random_weights=ctx.run.demo,
        seed=ctx.analysis.seed,
        quiet=True,
        patients=[str(p) for p in ctx.study.data.index],
        jobs=1 if ctx.analysis.extraction.scheduler else max(1, min(2, os.cpu_count() or 1)),
        **kw,
    )
    included = set(ctx.study.data.index.astype(str))
    failed = {str(k): v for k, v in summary.failures.items() if str(k) in included}
    if failed:  # screened-out patients may lack images; included ones may not
        first = next(iter(failed.items()))
        raise RuntimeError(
            f"feature extraction failed for {len(failed)} included patient(s), e.g. {first[0]}: {first[1]}"
        )
    settings = {k: v for k, v in kw.items() if k != "scheduler"}
    how = Extraction(False, summary.n_patients, summary.weights, ctx.run.demo, settings)
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
    return {p: tables[p] for p in order}, how


def _feature_tables(ctx: Context) -> tuple[dict[str, pd.DataFrame], Extraction]:
    tables = ctx.study.feature_tables()
    if tables:
        return tables, Extraction(True)
    if ctx.study.has_images:
        t0 = time.perf_counter()
        tables, how = _extract(ctx)
        ctx.say(
            f"      feature extraction: {len(tables)} phase(s), {time.perf_counter() - t0:.1f} s"
        )
        return tables, how
    raise StageUnavailable("the study has neither images nor feature tables (clinical-only study)")


def compute(ctx: Context, flow) -> FeaturesResult:
    study, opts = ctx.study, ctx.analysis.extraction
    tables, how = _feature_tables(ctx)
    # imported once there are feature tables: a clinical-only run never loads scikit-learn
    from hccstats.signature import difference_table, fuse_signatures, signature_search

    t0 = time.perf_counter()
    data = flow.data
    train_ids = data.index[data["split"] == "training"]
    valid_ids = data.index[data["split"] == "validation"]
    y = data[study.outcome]
    search = signature_search(
        {p: t.loc[train_ids] for p, t in tables.items()},
        y.loc[train_ids],
        preset=opts.preset,
        seed=ctx.analysis.seed,
        n_jobs=opts.n_jobs,
        scheduler=opts.scheduler,
        progress=not ctx.options.quiet,
    )
    ctx.say(f"      signature search (preset {opts.preset}): {time.perf_counter() - t0:.1f} s")
    if not search.active:
        raise StageUnavailable(
            "no phase yielded a signature: "
            + "; ".join(f"{p}: {r}" for p, r in search.skipped.items())
        )
    train_sig = search.signature("oof")
    valid_sig = search.predict({p: t.loc[valid_ids] for p, t in tables.items()})
    names, coef = list(search.active), None
    if len(names) >= 2:
        mp = fuse_signatures(search)
        train_sig[MP] = mp.signature("oof")
        valid_sig[MP] = mp.predict({p: t.loc[valid_ids] for p, t in tables.items()})
        names.append(MP)
        coef = mp.coef
    reference = names[-1]
    scores = pd.DataFrame(
        {sig_column(n): pd.concat([train_sig[n], valid_sig[n]]).reindex(data.index) for n in names},
        index=data.index,
    ).astype("float64")
    y_tr = y.loc[train_ids]
    diff = difference_table(train_sig[names], y_tr, per=SIG_PER)
    by_set = {
        n: {
            "training": train_sig[n].to_numpy(),
            "validation": valid_sig[n].loc[valid_ids].to_numpy(),
        }
        for n in names
    }
    ev = evaluate_scores(
        by_set,
        {"training": y_tr.to_numpy(), "validation": y.loc[valid_ids].to_numpy()},
        reference if len(names) > 1 else None,
    ).sorted(names)
    return FeaturesResult(
        how, tuple(tables), search, coef, tuple(names), reference, scores, y_tr, diff, ev
    )


def render(ctx: Context, section: Section, result: FeaturesResult) -> None:
    from hccstats.plots import signature_comparison

    search = result.search
    # Fig. 4: selector x classifier comparison
    section.figure(
        "fig_signature_search",
        signature_comparison(search.table),
        caption=f"{ctx.next_figure()} Performance (mean cross-validated AUC, SD) "
        "of every feature selector × classifier per phase in the training set",
    )
    if search.skipped:
        section.text(
            "Phases without a signature: "
            + "; ".join(f"{p}: {r}" for p, r in search.skipped.items()),
            "note",
        )
    _table1_signatures(ctx, section, result)
    perf = _table2_signature_performance(ctx, section, result)
    if not result.extraction.read:
        _record_extraction(ctx, result.extraction)
    ctx.results["signatures"] = {
        **({"fusion_coef": result.fusion_coef} if result.fusion_coef is not None else {}),
        "phases": list(result.phases),
        "skipped": search.skipped,
        "settings": dict(search.settings),
        "best": {p: list(b) for p, b in search.best.items()},
        "selected_features": search.selected_features,
        "search_table": search.table,
        "difference_table": result.difference,
        "performance": perf,
    }
    ctx.software.setdefault("scikit-learn", __import__("sklearn").__version__)


def _table1_signatures(ctx: Context, section: Section, result: FeaturesResult) -> None:
    """Table 1: difference and univariable analysis of the signatures (training set)."""
    y_tr = result.y_train
    n1, n0 = int(y_tr.sum()), int((1 - y_tr).sum())
    section.table(
        "table1_signatures",
        result.difference,
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


def _table2_signature_performance(ctx: Context, section: Section, result: FeaturesResult):
    """Table 2: discrimination of the signatures in both sets, DeLong against the mp-MR (or
    last) signature; returns the performance table."""
    perf = result.evaluation.table
    section.table(
        "table2_signature_performance",
        perf,
        caption=f"{ctx.next_table()} Predictive performance of the DL "
        "signatures in the training and validation sets",
        formats=performance_formats(perf),
        footnote="Cut-off: Youden index on the training set, applied unchanged to the validation set. AUC with "
        f"DeLong 95% CI; {CI_NOTE}"
        + (
            f"; p value: DeLong test against the {result.reference} signature (Ref). *p < 0.05."
            if compares(perf)
            else "."
        ),
    )
    return perf


def _record_extraction(ctx: Context, how) -> None:
    """The extraction's settings and software, for the methods and the results file."""
    ctx.results["extraction"] = {
        "n_patients": how.n_patients,
        "weights": how.weights,
        "random_weights": how.random_weights,
        "settings": dict(how.settings),
    }
    import importlib.metadata as md

    for pkg in ("torch", "torchvision", "SimpleITK"):  # the extraction's own software
        try:
            ctx.software.setdefault(pkg, md.version(pkg))
        except md.PackageNotFoundError:
            continue


def r_checks(ctx: Context, result: FeaturesResult) -> None:
    train = result.training_scores()
    yy = result.y_train.to_numpy()
    for _, r in result.difference.iterrows():
        s = train[r["signature"]].to_numpy()
        ctx.check(
            "signatures",
            f"Mann–Whitney p, {r['signature']} signature",
            r["mw_p_value"],
            "wilcox.test(s ~ y)$p.value",
            lambda s=s: _rcheck.wilcox_p(s, yy),
        )
        frame = pd.DataFrame({"y": yy, "s": s})
        ctx.check(
            "signatures",
            f"OR per {SIG_PER:g}, {r['signature']} signature (univariable)",
            r["estimate"],
            f"exp({SIG_PER:g} * coef(glm(y ~ s, binomial)))",
            lambda f=frame: _rcheck.glm_or(f, "y", ["s"], per={"s": SIG_PER}).loc["s", "estimate"],
        )
    score_checks(ctx, "signatures", result.evaluation)


def _extraction_text(how: Extraction) -> str:
    if how.read:
        return "Deep-feature tables were read from the study's features folder."
    kw = how.settings
    return (
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
        + (" using seeded random weights (demo cohort)" if how.random_weights else "")
        + "."
    )


def methods(ctx: Context, result: FeaturesResult) -> dict[str, str]:
    s = result.search.settings
    return {
        "extraction": _extraction_text(result.extraction),
        "signatures": (
            f"For each phase ({', '.join(result.phases)}) the features were min–max scaled, filtered by Spearman correlation with "
            f"the outcome (p < {s['alpha']}) and pruned of redundant pairs (Pearson |r| > {s['threshold']}); selectors "
            f"({', '.join(s['selectors'])}) × classifiers ({', '.join(s['classifiers'])}) were compared by {s['n_splits']}-fold "
            f"cross-validation ({s['n_repeats']} repeat{'s' if s['n_repeats'] != 1 else ''}; preset '{s['preset']}', seed {s['seed']}), everything fitted "
            "inside the training folds. The best pipeline per phase was refitted on the training set; training signatures are "
            "out-of-fold predictions"
            + (
                f", and the {MP} signature stacks the phase signatures by logistic regression"
                if MP in result.names
                else ""
            )
            + ". Signatures were compared between outcome groups by the Mann–Whitney U test and univariable logistic "
            "regression, and their AUCs by DeLong's test."
        ),
    }
