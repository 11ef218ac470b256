"""Stage 5: univariable logistic regression (Supplementary Table 4) and collinearity of the significant ones (Supplementary Table 3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context
from ._events import few_events_alert
from ._s_features import PER_FOOTNOTE, SIG_PER, with_signatures
from ._stages import SplitData, binary_only
from ._terms import candidate_variables

REQUIRES: tuple[str, ...] = ("flow",)
USES: tuple[str, ...] = ("features",)


def clinical_candidates(ctx: Context, data: pd.DataFrame) -> list[str]:
    study = ctx.study
    given = ctx.analysis.screening.candidates
    names = (
        candidate_variables(given, study.variables)  # rcs(age, 4), age * sex: their variables
        if given
        else [v for v in study.variables if v not in (study.outcome, study.center)]
    )
    return [v for v in names if v in data.columns]


def _screen(ctx: Context, train: pd.DataFrame, predictors: list[str], per: dict, empty: dict):
    """Every predictor's rows, and the predictors with separation (said atop the report)."""
    from ._univariable_fits import univariable_rows

    parts, separated = [], {}
    for pred in predictors:
        rows, sep = univariable_rows(
            train,
            ctx.study.outcome,
            pred,
            per.get(pred),
            ctx.analysis.screening.firth,
            empty.get(pred, ()),
        )
        parts.append(rows)
        if sep:
            separated[pred] = sep
    return pd.concat(parts, ignore_index=True), separated


def _variable_text(r) -> str:
    level = r.get("level")
    has_level = not (level is None or (isinstance(level, float) and np.isnan(level)) or level == "")
    if not has_level:
        return r["label"]
    ref = r.get("reference")
    return r["label"] + f": {level}" + ("" if ref is None or pd.isna(ref) else f" vs {ref}")


def _footnote(ctx: Context, result: UnivariateResult) -> str:
    signatures, uni, alpha = result.signatures, result.table, ctx.analysis.screening.alpha
    firth = ctx.analysis.screening.firth
    text = (
        "Odds ratios per unit of continuous variables (ordinal variables as scores) and for each "
        "level of a categorical variable against its reference"
        + (f"; DL signatures: {PER_FOOTNOTE}" if signatures else "")
        + (
            "; Firth-penalised likelihood (logistf): profile penalised-likelihood CIs and "
            "penalised likelihood-ratio p values"
            if firth
            else "; Wald CIs and p values"
        )
        + f"; each model uses the patients with that variable recorded. *p < {alpha:g}: "
        "candidates for the multivariable models."
    )
    if (uni["note"] != "").any():
        text += (
            " Not estimable: the variable could not be fitted for the reason given and is not "
            "a candidate."
        )
    separated = result.separated
    if separated:
        text += (
            " Separation ("
            + ", ".join(ctx.label(p) for p in separated)
            + "): the maximum-likelihood odds ratio is infinite; refit with analysis: "
            "{firth: true}."
        )
    return text


@dataclass(frozen=True)
class UnivariateResult(SplitData):
    """The univariable screen and the candidates of the multivariable models.

    ``data``: the flow's data with the signatures joined and the declared levels no training
    patient has removed (a new frame; the flow's data is not changed).
    """

    data: pd.DataFrame
    clinical: tuple[str, ...]
    signatures: tuple[str, ...]  # signature columns screened (none without the features stage)
    per: Mapping[str, float]  # OR units of the signatures
    table: pd.DataFrame  # one row per term, with a note for what is not estimable
    separated: Mapping[str, str]  # predictor -> the separation found
    empty_levels: Mapping[str, list]  # variable -> levels no training patient has
    significant: tuple[str, ...]  # p < alpha, estimable, not exactly collinear
    vif: pd.DataFrame | None  # collinearity of the significant ones (two or more)

    @property
    def predictors(self) -> tuple[str, ...]:
        return self.clinical + self.signatures

    @property
    def not_estimable(self) -> dict[str, str]:
        """Predictor (": level") -> why it could not be estimated or was left out."""
        uni = self.table
        return {
            str(r["predictor"]) + ("" if pd.isna(r["level"]) else f": {r['level']}"): r["note"]
            for _, r in uni[uni["note"] != ""].iterrows()
        }

    @property
    def significant_clinical(self) -> tuple[str, ...]:
        return tuple(p for p in self.significant if p in self.clinical)


def compute(ctx: Context, flow, features=None) -> UnivariateResult:
    from ._univariable_fits import drop_collinear, drop_empty_levels

    binary_only(ctx, "the logistic univariable screen (and the logistic models after it)")
    study, alpha = ctx.study, ctx.analysis.screening.alpha
    data = with_signatures(flow.data, features).copy()
    clinical = clinical_candidates(ctx, data)
    empty = drop_empty_levels(data, data["split"] == "training", clinical)
    train = data[data["split"] == "training"]
    signatures = list(features.columns.values()) if features is not None else []
    predictors = clinical + signatures
    per = {sig: SIG_PER for sig in signatures}
    uni, separated = _screen(ctx, train, predictors, per, empty)
    uni.insert(1, "label", [ctx.label(p) for p in uni["predictor"]])
    sig_by_pred = uni[uni["note"] == ""].groupby("predictor", sort=False)["p_value"].min()
    significant = [p for p in predictors if sig_by_pred.get(p, np.nan) < alpha]
    collinear = drop_collinear(train, study.outcome, significant)
    for pred, why in collinear.items():
        uni.loc[uni["predictor"] == pred, "note"] = (
            "left out of the multivariable analysis (" + why + ")"
        )
    significant = [p for p in significant if p not in collinear]
    v = None
    if len(significant) >= 2:
        from hccstats import vif

        v = vif(train, significant, nan_policy="omit").to_frame()
        v.insert(1, "label", [ctx.label(t) for t in v["term"]])
    return UnivariateResult(
        data, tuple(clinical), tuple(signatures), per, uni, separated, empty, tuple(significant), v
    )


def render(ctx: Context, section: Section, result: UnivariateResult) -> None:
    _alerts(ctx, section, result)
    uni, significant, v = result.table, list(result.significant), result.vif
    _univariate_table(ctx, section, result)
    out = {"table": uni, "candidates": list(result.predictors), "significant": significant}
    if v is not None:
        _collinearity_table(ctx, section, v)
        out["vif"] = v
    else:
        section.text(
            f"{len(significant)} variable(s) significant in the univariable analysis: no collinearity analysis.",
            "note",
        )
    out["not_estimable"] = result.not_estimable
    ctx.results["univariate"] = out


def _alerts(ctx: Context, section: Section, result: UnivariateResult) -> None:
    """Separation and too few events: said in the alerts (and the section)."""
    if result.separated:
        ctx.alert(
            "Separation in the univariable analysis: "
            + "; ".join(f"{ctx.label(p)} ({s})" for p, s in result.separated.items())
            + ". Maximum-likelihood odds ratios do not exist (they are infinite); these variables "
            "are reported as not estimable and left out of the multivariable models. Set "
            "analysis: {firth: true} in study.yaml for Firth-penalised estimates."
        )
    few = few_events_alert(result.training()[ctx.study.outcome], list(result.predictors))
    if few:
        ctx.alert(few)
        section.text(few, "error")


def _univariate_table(ctx: Context, section: Section, result: UnivariateResult) -> None:
    """The univariable logistic regression table (supplementary)."""
    section.table(
        "supp_univariate",
        result.table,
        caption=f"{ctx.next_table(supplementary=True)} Univariable logistic regression in "
        "the training set",
        formats={
            "Variable": _variable_text,
            "n": F.col("n", "int"),
            "Events": F.col("events", "int"),
            "OR (95% CI)": lambda r: (
                r["note"]
                if r["note"] and pd.isna(r["estimate"])
                else F.fmt_or_ci(r["estimate"], r["ci_low"], r["ci_high"])
                + (f" — {r['note']}" if r["note"] else "")
            ),
            "p value": F.col("p_value", "p*"),
        },
        footnote=_footnote(ctx, result),
    )


def _collinearity_table(ctx: Context, section: Section, v: pd.DataFrame) -> None:
    """Tolerance and VIF of the significant variables, and a sentence on their range."""
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
    section.text(
        f"Tolerance ranged {v['tolerance'].min():.3f}–{v['tolerance'].max():.3f} and VIF "
        f"{v['vif'].min():.3f}–{v['vif'].max():.3f}"
        + (": no collinearity." if (v["vif"] <= 5).all() else "; VIF > 5 indicates collinearity.")
    )


def r_checks(ctx: Context, result: UnivariateResult) -> None:
    study, train, uni, per = ctx.study, result.training(), result.table, result.per
    if ctx.analysis.screening.firth:
        _firth_checks(ctx, train, uni, per)
    else:
        for _, r in uni[uni["note"] == ""].iterrows():
            pred, term = r["predictor"], r["term"]
            for what, key in (("OR", "estimate"), ("p", "p_value")):
                k = per.get(pred)
                ctx.check(
                    "univariate",
                    f"univariable {what}{f' per {k:g}' if k and what == 'OR' else ''}, {term}",
                    r[key],
                    f"glm({_rcheck.r_formula(train, study.outcome, [pred])}, binomial)"
                    + (f", OR = exp({k:g} * coef)" if k else ""),
                    lambda pred=pred, term=term, key=key, k=k: _rcheck.glm_or(
                        train, study.outcome, [pred], per={pred: k} if k else None
                    ).loc[_rcheck.r_term(term, train.columns), key],
                )
    significant = list(result.significant)
    if result.vif is None:
        return
    for _, r in result.vif.iterrows():
        ctx.check(
            "univariate",
            f"VIF, {r['term']}",
            r["vif"],
            "car::vif(lm(...))",
            lambda t=r["term"]: _rcheck.vif(train, study.outcome, significant).loc[t],
        )


def _firth_checks(ctx: Context, train: pd.DataFrame, uni: pd.DataFrame, per) -> None:
    """Firth odds ratios against brglm2 (the CIs are profile-penalised, as logistf's)."""
    for _, r in uni[uni["note"] == ""].iterrows():
        pred, term, k = r["predictor"], r["term"], per.get(r["predictor"])
        ctx.check(
            "univariate",
            f"univariable Firth OR{f' per {k:g}' if k else ''}, {term}",
            r["estimate"],
            f"glm({_rcheck.r_formula(train, ctx.study.outcome, [pred])}, binomial, "
            "method = brglm2::brglmFit, type = 'AS_mean')",
            lambda pred=pred, term=term, k=k: _rcheck.firth_or(
                train, ctx.study.outcome, [pred], per={pred: k} if k else None
            ).loc[_rcheck.r_term(term, train.columns)],
            rtol=1e-6,  # Newton to 1e-14 on both sides; brglm2's quasi-Fisher steps
        )


def methods(ctx: Context, result: UnivariateResult) -> str:
    firth, alpha = ctx.analysis.screening.firth, ctx.analysis.screening.alpha
    return (
        ("Firth-penalised (logistf) u" if firth else "U")
        + "nivariable logistic regression was performed in the training set ("
        + (
            "profile penalised-likelihood 95% CIs and penalised likelihood-ratio p values"
            if firth
            else "Wald 95% CIs and p values"
        )
        + "); variables with "
        f"p < {alpha:g} entered the multivariable analysis. Their collinearity was assessed with tolerance and the "
        "variance inflation factor (VIF; tolerance < 0.1 or VIF > 5 indicating collinearity)."
        + (
            " Variables that could not be estimated (constant, empty levels, separation, exact "
            "collinearity) are listed as not estimable with the reason."
            if result.not_estimable
            else ""
        )
    )
