"""The models stage's output for models with terms (splines, transformations, interactions):
rms's anova() Wald tests per predictor (results.json, a table per model) and their R check
(rms::lrm and anova() on the model's patients: each coefficient and each Wald statistic)."""

from __future__ import annotations

import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context

__all__ = ["model_anova", "anova_table", "register_term_checks"]

HIGHER = "(Factor+Higher Order Factors)"


def model_anova(fit) -> pd.DataFrame:
    """``hccstats.anova(fit)`` as a frame (the tested columns joined by ", ")."""
    from hccstats import anova

    frame = anova(fit).to_frame()
    frame["columns"] = [", ".join(c) for c in frame["columns"]]
    return frame


def _predictor_label(ctx: Context, predictor: str) -> str:
    return " × ".join(ctx.label(p) for p in predictor.split(" * "))


def _row_label(ctx: Context, r: pd.Series) -> str:
    if r["predictor"] == "" or r["test"] != "total":  # TOTAL ..., " Nonlinear", ...
        return r["row"] if r["predictor"] == "" else "    " + r["row"].strip()
    label = _predictor_label(ctx, r["predictor"])
    with_ia = HIGHER in r["row"] and " * " not in r["predictor"]
    return label + (" (with its interactions)" if with_ia else "")


def anova_table(ctx: Context, section: Section, name: str, frame: pd.DataFrame) -> None:
    """One supplementary table: the model's Wald tests as rms's anova() prints them."""
    section.table(
        "supp_anova_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower()),
        frame,
        caption=f"{ctx.next_table(supplementary=True)} Wald tests per predictor of the {name} "
        "(rms anova)",
        formats={
            "Factor": lambda r: _row_label(ctx, r),
            "χ²": F.col("statistic", "2f"),
            "d.f.": F.col("df", "int"),
            "p value": F.col("p_value", "p"),
        },
        footnote="Wald χ² of all coefficients of each predictor (with its interactions where it "
        "has any); Nonlinear: its spline or polynomial columns after the first; TOTAL: every "
        "coefficient. R: anova(rms::lrm(...)).",
    )


def register_term_checks(ctx: Context, name: str, fit, frame: pd.DataFrame) -> None:
    """Each coefficient and anova() statistic against rms::lrm on the model's own patients."""
    from hccstats.logistic._terms import rms_column_names, term_variables

    outcome, data = fit.outcome, fit.data
    rhs = fit.formula.split("~", 1)[1].strip()
    variables = term_variables(rhs)
    names = rms_column_names(fit.design_info, data.columns)
    call = f"rms::lrm({outcome} ~ {rhs}) and anova() on the model's n = {len(data)}"

    def r_coef(col):
        return lambda: _rcheck.rms_lrm_terms(data, outcome, rhs, variables).coef[
            names.get(col, col)
        ]

    for col in fit.coef.index:
        shown = "intercept" if col == "Intercept" else f"β, {names.get(col, col)}"
        ctx.check("models", f"{name}: {shown}", fit.coef[col], call, r_coef(col))

    def r_chisq(i):
        return lambda: _rcheck.rms_lrm_terms(data, outcome, rhs, variables).anova["chisq"].iloc[i]

    for i, r in frame.reset_index(drop=True).iterrows():
        row = r["row"].replace(HIGHER, "").strip()
        label = row + (f" ({r['predictor']})" if r["predictor"] not in ("", row) else "")
        ctx.check("models", f"{name}: anova χ², {label}", r["statistic"], call, r_chisq(i))
