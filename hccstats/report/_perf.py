"""Discrimination of scores on the training and validation sets (Tables 2 and 4 of the study).

AUC with DeLong 95% CI; sensitivity, specificity, accuracy, PPV and NPV with Wilson 95% CIs at
the Youden cut-off found on the training set and applied unchanged to the validation set;
DeLong tests (paired, on the patients both scores have) against a reference score; the R checks
of each of these numbers (:func:`score_checks`).

Scores may be arrays (every score on the same patients, ``y[set]`` an array) or Series
indexed by patient (each score on its own patients, ``y[set]`` a Series over all of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..rbridge import report_checks as _rcheck
from ._context import Context

__all__ = [
    "evaluate_scores",
    "score_checks",
    "ScoreEvaluation",
    "performance_formats",
    "compares",
    "PROPORTIONS",
    "CI_NOTE",
]

SETS = ("training", "validation")
PROPORTIONS = ("sensitivity", "specificity", "accuracy", "ppv", "npv")
CI_NOTE = (
    "sensitivity, specificity, accuracy, PPV and NPV with Wilson score 95% CIs "
    "(R: prop.test(x, n, correct = FALSE)); the training-set CIs do not account for the "
    "choice of the cut-off on the same patients"
)


def _aligned(score, y_part) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """(score, y, patients): a Series score picks its own patients' outcomes from ``y_part``."""
    if isinstance(score, pd.Series):
        yy = pd.Series(y_part).loc[score.index]
        return score.to_numpy(float), yy.to_numpy(float), score.index
    s = np.asarray(score, float)
    return s, np.asarray(y_part, float), pd.RangeIndex(len(s))


def _counts(cut) -> dict[str, tuple[int, int]]:
    return {
        "sensitivity": (cut.tp, cut.tp + cut.fn),
        "specificity": (cut.tn, cut.tn + cut.fp),
        "accuracy": (cut.tp + cut.tn, cut.tp + cut.tn + cut.fp + cut.fn),
        "ppv": (cut.tp, cut.tp + cut.fp),
        "npv": (cut.tn, cut.tn + cut.fn),
    }


def _row(model: str, part: str, yy, ci, threshold: float, cut, reference) -> dict:
    row = {
        "model": model,
        "set": part,
        "n": int(len(yy)),
        "events": int(yy.sum()),
        "auc": ci.auc,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "se": ci.se,
        "threshold": threshold,
    }
    for name in PROPORTIONS:
        c = cut.ci[name]
        row.update({name: getattr(cut, name), f"{name}_ci_low": c.low, f"{name}_ci_high": c.high})
    row.update({"reference": reference or "", "p_value": np.nan, "n_paired": np.nan})
    return row


@dataclass(frozen=True)
class ScoreEvaluation:
    """What :func:`evaluate_scores` found: the tidy table, the ROC curves, and each number's
    inputs for the R checks (:func:`score_checks`)."""

    table: pd.DataFrame
    rocs: Mapping[tuple[str, str], object]  # (model, set) -> Roc
    cases: Mapping[tuple[str, str], tuple]  # (model, set) -> (score, y, AucCI, Cutoff)
    pairs: tuple[tuple, ...]  # (model, reference, set, y, a, b, DeLong p) on common patients

    def sorted(self, order: list[str]) -> ScoreEvaluation:
        """The same evaluation with the table's rows by set, then by ``order`` of the models."""
        rank = {n: i for i, n in enumerate(order)}
        table = self.table.sort_values(
            ["set", "model"],
            key=lambda s: s.map(lambda v: rank.get(v, {"training": 0, "validation": 1}.get(v, 0))),
        ).reset_index(drop=True)
        return replace(self, table=table)


def evaluate_scores(
    scores: Mapping[str, Mapping[str, object]],
    y: Mapping[str, object],
    reference: str | None,
) -> ScoreEvaluation:
    """``scores[model][set]`` and ``y[set]`` (sets "training", "validation") → the evaluation.

    Table rows: model, set, n, events, auc, ci_low, ci_high, se, threshold, each proportion
    with ``<name>_ci_low`` / ``<name>_ci_high``, reference, p_value (DeLong against
    ``reference``) and n_paired (the patients the DeLong test used: those with both scores).
    """
    from hccstats import ci_auc, coords, roc

    rows, rocs, cutoffs, data, cases = [], {}, {}, {}, {}
    for model, by_set in scores.items():
        for part in SETS:
            if part not in by_set:
                continue
            s, yy, index = _aligned(by_set[part], y[part])
            r = roc(yy, s, direction="<")
            ci = ci_auc(r)
            rocs[(model, part)] = r
            data[(model, part)] = (s, yy, index)
            if model not in cutoffs:  # the training set comes first: its Youden cut-off
                cutoffs[model] = coords(r, "best", best_method="youden")[0].threshold
            cut = coords(r, x=cutoffs[model])[0]
            cases[(model, part)] = (s, yy, ci, cut)
            rows.append(_row(model, part, yy, ci, cutoffs[model], cut, reference))
    table = pd.DataFrame(rows)
    pairs = ()
    if reference is not None and reference in scores:
        pairs = _delong(table, data, reference)
    return ScoreEvaluation(table, rocs, cases, pairs)


def _delong(table: pd.DataFrame, data: dict, reference: str) -> tuple[tuple, ...]:
    """Paired DeLong p of each model against ``reference``, on the patients both have."""
    from hccstats import roc, roc_test

    pairs = []
    for i, row in table.iterrows():
        part = row["set"]
        if row["model"] == reference or (reference, part) not in data:
            continue
        sa, ya, ia = data[(row["model"], part)]
        sb, _, ib = data[(reference, part)]
        common = ia.intersection(ib, sort=False)
        a = pd.Series(sa, index=ia).loc[common].to_numpy(float)
        b = pd.Series(sb, index=ib).loc[common].to_numpy(float)
        yy = pd.Series(ya, index=ia).loc[common].to_numpy(float)
        test = roc_test(roc(yy, a, direction="<"), roc(yy, b, direction="<"), method="delong")
        table.loc[i, "p_value"] = test.p_value
        table.loc[i, "n_paired"] = len(common)
        pairs.append((row["model"], reference, part, yy, a, b, test.p_value))
    return tuple(pairs)


def score_checks(ctx: Context, stage: str, ev: ScoreEvaluation) -> None:
    """Register the R checks of an evaluation: AUC and DeLong CI, the training Youden
    sensitivity/specificity, the Wilson CIs, and the DeLong tests."""
    for (model, part), (s, yy, ci, cut) in ev.cases.items():
        _register_auc(ctx, stage, model, part, yy, s, ci)
        _register_cut(ctx, stage, model, part, yy, s, cut)
    for model, reference, part, yy, a, b, p in ev.pairs:
        ctx.check(
            stage,
            f"DeLong p, {model} vs {reference}, {part}",
            p,
            "pROC::roc.test(r1, r2, method='delong')",
            lambda yy=yy, a=a, b=b: _rcheck.roc_test(yy, a, b),
        )


def _register_auc(ctx: Context, stage: str, model: str, part: str, yy, s, ci) -> None:
    for what, value, i, call in (
        ("AUC", ci.auc, 0, "pROC::auc(roc(y, s, direction='<'))"),
        ("AUC 95% CI low", ci.low, 1, "pROC::ci.auc(method='delong')[1]"),
        ("AUC 95% CI high", ci.high, 2, "pROC::ci.auc(method='delong')[3]"),
    ):
        ctx.check(
            stage,
            f"{what}, {model}, {part}",
            value,
            call,
            lambda yy=yy, s=s, i=i: _rcheck.auc_ci(yy, s)[i],
        )


def _register_cut(ctx: Context, stage: str, model: str, part: str, yy, s, cut) -> None:
    if part == "training":
        for what, i in (("sensitivity", 1), ("specificity", 2)):
            ctx.check(
                stage,
                f"Youden {what}, {model}, training",
                getattr(cut, what),
                "pROC::coords(r, 'best', best.method='youden')",
                lambda yy=yy, s=s, i=i: _rcheck.coords_best(yy, s)[i],
            )
    counts = _counts(cut)
    for name in PROPORTIONS:
        x, n = counts[name]
        if n == 0:
            continue
        ci = cut.ci[name]
        for end, value, i in (("low", ci.low, 0), ("high", ci.high, 1)):
            ctx.check(
                stage,
                f"{name} 95% CI {end}, {model}, {part}",
                value,
                f"prop.test({x}, {n}, correct = FALSE)$conf.int",
                lambda x=x, n=n, i=i: _rcheck.wilson_ci(x, n)[i],
            )


def _pct_ci(name: str):
    from reports import formatting as F

    def fmt(r: pd.Series) -> str:
        if pd.isna(r[name]):
            return F.NA
        low, high = F.fmt_pct(r[f"{name}_ci_low"]), F.fmt_pct(r[f"{name}_ci_high"])
        return f"{F.fmt_pct(r[name])} ({low}{F.EN_DASH}{high})"

    return fmt


def compares(table: pd.DataFrame) -> bool:
    """True when the table holds a DeLong comparison (two or more scores and a reference)."""
    return bool(len(table)) and bool(pd.to_numeric(table["p_value"], errors="coerce").notna().any())


def performance_formats(table: pd.DataFrame | None = None):
    """Display columns of a performance table; the DeLong p column only where scores are compared."""
    from reports import formatting as F

    formats = {
        "Model": F.col("model", "text"),
        "Set": lambda r: str(r["set"]).capitalize(),
        "n (events)": lambda r: f"{int(r['n'])} ({int(r['events'])})",
        "AUC (95% CI)": F.est_ci("auc", "ci_low", "ci_high"),
        "Sensitivity, % (95% CI)": _pct_ci("sensitivity"),
        "Specificity, % (95% CI)": _pct_ci("specificity"),
        "Accuracy, % (95% CI)": _pct_ci("accuracy"),
        "PPV, % (95% CI)": _pct_ci("ppv"),
        "NPV, % (95% CI)": _pct_ci("npv"),
    }
    if table is None or compares(table):
        formats["p value"] = lambda r: (
            "Ref" if r["model"] == r["reference"] else F.fmt_p(r["p_value"], star=True)
        )
    return formats
