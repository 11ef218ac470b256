"""Discrimination of scores on the training and validation sets (Tables 2 and 4 of the study).

AUC with DeLong 95% CI, the Youden cut-off found on the training set and applied unchanged
to the validation set, DeLong tests (paired) against a reference score; R checks registered.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import _rcheck
from ._context import Context

__all__ = ["evaluate_scores"]


def evaluate_scores(
    ctx: Context,
    stage: str,
    scores: Mapping[str, Mapping[str, np.ndarray]],
    y: Mapping[str, np.ndarray],
    reference: str | None,
) -> tuple[pd.DataFrame, dict]:
    """``scores[model][set]`` and ``y[set]`` (sets "training", "validation") → tidy rows and ROC objects."""
    from hccstats import ci_auc, coords, roc, roc_test

    rows, rocs = [], {}
    cutoffs = {}
    for model, by_set in scores.items():
        for part in ("training", "validation"):
            if part not in by_set:
                continue
            s, yy = np.asarray(by_set[part], float), np.asarray(y[part], float)
            r = roc(yy, s, direction="<")
            ci = ci_auc(r)
            rocs[(model, part)] = r
            if part == "training" or model not in cutoffs:
                cut = coords(r, "best", best_method="youden")[0]
                cutoffs.setdefault(model, cut.threshold)
            if part != "training":
                cut = coords(r, x=cutoffs[model])[0]
            row = {
                "model": model,
                "set": part,
                "n": int(len(yy)),
                "events": int(yy.sum()),
                "auc": ci.auc,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "se": ci.se,
                "threshold": cutoffs[model],
                "sensitivity": cut.sensitivity,
                "specificity": cut.specificity,
                "accuracy": cut.accuracy,
                "ppv": cut.ppv,
                "npv": cut.npv,
                "reference": reference or "",
                "p_value": np.nan,
            }
            ctx.check(
                stage,
                f"AUC, {model}, {part}",
                ci.auc,
                "pROC::auc(roc(y, s, direction='<'))",
                lambda yy=yy, s=s: _rcheck.auc_ci(yy, s)[0],
            )
            ctx.check(
                stage,
                f"AUC 95% CI low, {model}, {part}",
                ci.low,
                "pROC::ci.auc(method='delong')[1]",
                lambda yy=yy, s=s: _rcheck.auc_ci(yy, s)[1],
            )
            ctx.check(
                stage,
                f"AUC 95% CI high, {model}, {part}",
                ci.high,
                "pROC::ci.auc(method='delong')[3]",
                lambda yy=yy, s=s: _rcheck.auc_ci(yy, s)[2],
            )
            if part == "training":
                ctx.check(
                    stage,
                    f"Youden sensitivity, {model}, training",
                    cut.sensitivity,
                    "pROC::coords(r, 'best', best.method='youden')",
                    lambda yy=yy, s=s: _rcheck.coords_best(yy, s)[1],
                )
                ctx.check(
                    stage,
                    f"Youden specificity, {model}, training",
                    cut.specificity,
                    "pROC::coords(r, 'best', best.method='youden')",
                    lambda yy=yy, s=s: _rcheck.coords_best(yy, s)[2],
                )
            rows.append(row)
    table = pd.DataFrame(rows)
    if reference is not None and reference in scores:
        for i, row in table.iterrows():
            if row["model"] == reference:
                continue
            part = row["set"]
            if (reference, part) not in rocs:
                continue
            test = roc_test(rocs[(row["model"], part)], rocs[(reference, part)], method="delong")
            table.loc[i, "p_value"] = test.p_value
            yy = np.asarray(y[part], float)
            a, b = (
                np.asarray(scores[row["model"]][part], float),
                np.asarray(scores[reference][part], float),
            )
            ctx.check(
                stage,
                f"DeLong p, {row['model']} vs {reference}, {part}",
                test.p_value,
                "pROC::roc.test(r1, r2, method='delong')",
                lambda yy=yy, a=a, b=b: _rcheck.roc_test(yy, a, b),
            )
    return table, rocs


def performance_formats(sets: tuple[str, ...] = ("training", "validation")):
    from reports import formatting as F

    return {
        "Model": F.col("model", "text"),
        "Set": lambda r: str(r["set"]).capitalize(),
        "AUC (95% CI)": F.est_ci("auc", "ci_low", "ci_high"),
        "Sensitivity (%)": F.col("sensitivity", "pct"),
        "Specificity (%)": F.col("specificity", "pct"),
        "Accuracy (%)": F.col("accuracy", "pct"),
        "p value": lambda r: (
            "Ref" if r["model"] == r["reference"] else F.fmt_p(r["p_value"], star=True)
        ),
    }
