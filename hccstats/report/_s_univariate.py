"""Stage 5: univariable logistic regression (Supplementary Table 4) and collinearity of the significant ones (Supplementary Table 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from . import _rcheck
from ._context import Context
from ._s_features import PER_FOOTNOTE, SIG_PER

REQUIRES: tuple[str, ...] = ("flow",)


def clinical_candidates(ctx: Context) -> list[str]:
    study = ctx.study
    given = (study.config.get("analysis") or {}).get("clinical_candidates")
    names = (
        list(given)
        if given
        else [v for v in study.variables if v not in (study.outcome, study.center)]
    )
    return [v for v in names if v in ctx.shared["data"].columns]


def run(ctx: Context, section: Section) -> None:
    from hccstats import univariate, vif

    study, alpha = ctx.study, ctx.options.alpha
    train = ctx.training()
    clinical = clinical_candidates(ctx)
    signatures = (
        list(ctx.shared.get("signatures", {}).values())
        if ctx.stage_status.get("features") == "ok"
        else []
    )
    predictors = clinical + signatures
    per = {sig: SIG_PER for sig in signatures}
    uni = univariate(
        train, study.outcome, predictors, nan_policy="omit", per=per or None
    ).to_frame()
    uni.insert(1, "label", [ctx.label(p) for p in uni["predictor"]])
    sig_by_pred = uni.groupby("predictor", sort=False)["p_value"].min()
    significant = [p for p in predictors if sig_by_pred.get(p, np.nan) < alpha]
    section.table(
        "supp_univariate",
        uni,
        caption=f"{ctx.next_table(supplementary=True)} Univariable logistic regression in "
        "the training set",
        formats={
            "Variable": lambda r: (
                r["label"]
                + (
                    ""
                    if pd.isna(r.get("level")) or r.get("level") in ("", None)
                    else f": {r['level']} vs {r['reference']}"
                )
            ),
            "n": F.col("n", "int"),
            "Events": F.col("events", "int"),
            "OR (95% CI)": F.or_ci("estimate", "ci_low", "ci_high"),
            "p value": F.col("p_value", "p*"),
        },
        footnote="Odds ratios per unit of continuous variables (ordinal variables as scores) and for each level of a "
        "categorical variable against its reference"
        + (f"; DL signatures: {PER_FOOTNOTE}" if signatures else "")
        + "; Wald CIs and p values; each model uses the patients with that "
        f"variable recorded. *p < {alpha:g}: candidates for the multivariable models.",
    )
    for _, r in uni.iterrows():
        pred, term = r["predictor"], r["term"]
        for what, key in (("OR", "estimate"), ("p", "p_value")):
            k = per.get(pred)
            ctx.check(
                "univariate",
                f"univariable {what}{f' per {k:g}' if k and what == 'OR' else ''}, {term}",
                r[key],
                f"glm({study.outcome} ~ {pred}, binomial)"
                + (f", OR = exp({k:g} * coef)" if k else ""),
                lambda pred=pred, term=term, key=key, k=k: _rcheck.glm_or(
                    train, study.outcome, [pred], per={pred: k} if k else None
                ).loc[_rcheck.r_term(term), key],
            )
    ctx.shared["significant_clinical"] = [p for p in significant if p in clinical]
    ctx.shared["significant"] = significant
    result = {"table": uni, "candidates": predictors, "significant": significant}
    if len(significant) >= 2:
        v = vif(train, significant, nan_policy="omit").to_frame()
        v.insert(1, "label", [ctx.label(t) for t in v["term"]])
        section.table(
            "supp_collinearity",
            v,
            caption=f"{ctx.next_table(supplementary=True)} Collinearity of the variables "
            "significant in the univariable analysis",
            formats={
                "Variable": F.col("label", "text"),
                "Tolerance": F.col("tolerance", "3f"),
                "VIF": F.col("vif", "3f"),
            },
            footnote="Tolerance < 0.1 or VIF > 5 indicates collinearity. Generalised VIF for multi-level factors.",
        )
        for _, r in v.iterrows():
            ctx.check(
                "univariate",
                f"VIF, {r['term']}",
                r["vif"],
                "car::vif(lm(...))",
                lambda t=r["term"]: _rcheck.vif(train, study.outcome, significant).loc[t],
            )
        result["vif"] = v
        section.text(
            f"Tolerance ranged {v['tolerance'].min():.3f}–{v['tolerance'].max():.3f} and VIF "
            f"{v['vif'].min():.3f}–{v['vif'].max():.3f}"
            + (
                ": no collinearity."
                if (v["vif"] <= 5).all()
                else "; VIF > 5 indicates collinearity."
            )
        )
    else:
        section.text(
            f"{len(significant)} variable(s) significant in the univariable analysis: no collinearity analysis.",
            "note",
        )
    ctx.results["univariate"] = result
    ctx.methods["univariate"] = (
        f"Univariable logistic regression was performed in the training set (Wald 95% CIs and p values); variables with "
        f"p < {alpha:g} entered the multivariable analysis. Their collinearity was assessed with tolerance and the "
        "variance inflation factor (VIF; tolerance < 0.1 or VIF > 5 indicating collinearity)."
    )
