"""The output of a model with terms (splines, transformations, interactions), logistic or Cox:
rms's anova() Wald tests per predictor (results.json, a table per model) and their R check
(rms::lrm or rms::cph, anova() and Predict() on the model's patients: each coefficient, each
Wald statistic and a few points of each partial-effect curve with its band)."""

from __future__ import annotations

import pandas as pd

from reports import Section
from reports import formatting as F

from .._names import patsy_to_r, r_quote, term_label
from ..rbridge import report_checks as _rcheck
from ._context import Context
from ._partial_figures import check_points

__all__ = ["model_anova", "anova_table", "register_term_checks", "is_cox"]

HIGHER = "(Factor+Higher Order Factors)"


def model_anova(fit) -> pd.DataFrame:
    """``hccstats.anova(fit)`` as a frame (the tested columns joined by ", ")."""
    from hccstats import anova

    frame = anova(fit).to_frame()
    frame["columns"] = [", ".join(term_label(x) for x in c) for c in frame["columns"]]
    return frame


def _predictor_label(ctx: Context, predictor: str) -> str:
    return " × ".join(ctx.label(p) for p in predictor.split(" * "))


def _row_label(ctx: Context, r: pd.Series) -> str:
    if r["predictor"] == "" or r["test"] != "total":  # TOTAL ..., " Nonlinear", ...
        return r["row"] if r["predictor"] == "" else "    " + r["row"].strip()
    label = _predictor_label(ctx, r["predictor"])
    with_ia = HIGHER in r["row"] and " * " not in r["predictor"]
    return label + (" (with its interactions)" if with_ia else "")


def is_cox(fit) -> bool:
    """Whether the fit is a Cox model (else a logistic one)."""
    return hasattr(fit, "baseline_cumhaz")


def anova_table(ctx: Context, section: Section, name: str, frame: pd.DataFrame, fit=None) -> None:
    """One supplementary table: the model's Wald tests as rms's anova() prints them (``fit``:
    the model, to name rms's function, cph for a Cox model, lrm otherwise)."""
    r_fit = "rms::cph" if fit is not None and is_cox(fit) else "rms::lrm"
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
        f"coefficient. R: anova({r_fit}(...)).",
    )


def register_term_checks(
    ctx: Context,
    name: str,
    fit,
    frame: pd.DataFrame,
    *,
    stage: str = "models",
    data: pd.DataFrame | None = None,
    response: list[str] | None = None,
    partial: dict | None = None,
) -> None:
    """Each coefficient and anova() statistic, and a few points of each partial-effect curve
    (``partial``: variable -> PartialEffect), against rms (lrm, or cph for a Cox model) and
    Predict() on the model's own patients (``data``, default ``fit.data``; ``response``: the
    outcome, or a Cox model's time and event columns)."""
    from hccstats.logistic._terms import rms_column_names, term_variables

    cox = is_cox(fit)
    data = fit.data if data is None else data
    response = [fit.outcome] if response is None else list(response)
    rhs = fit.formula.split("~", 1)[1].strip()
    variables = term_variables(rhs)
    names = rms_column_names(fit.design_info, fit.data.columns)
    points = {v: check_points(pe) for v, pe in (partial or {}).items()}
    lhs = f"Surv({r_quote(response[0])}, {r_quote(response[1])})" if cox else r_quote(response[0])
    call = (
        f"rms::{'cph' if cox else 'lrm'}({lhs} ~ {patsy_to_r(rhs)}), anova() and Predict() on "
        f"the model's n = {len(data)}"
    )
    prefix = f"{'Cox ' if cox else ''}{name}"

    def r_fit():
        return _rcheck.rms_terms(
            data, response, rhs, variables, "cph" if cox else "lrm",
            {v: list(p[v]) for v, p in points.items()},
        )  # fmt: skip

    for col in fit.coef.index:
        shown = "intercept" if col == "Intercept" else f"β, {names.get(col, col)}"
        key = names.get(col, col)
        ctx.check(stage, f"{prefix}: {shown}", fit.coef[col], call,
                  lambda k=key: r_fit().coef[k], rtol=1e-6)  # fmt: skip
    for i, r in frame.reset_index(drop=True).iterrows():
        row = r["row"].replace(HIGHER, "").strip()
        label = row + (f" ({r['predictor']})" if r["predictor"] not in ("", row) else "")
        ctx.check(stage, f"{prefix}: anova χ², {label}", r["statistic"], call,
                  lambda i=i: r_fit().anova["chisq"].iloc[i], rtol=1e-6)  # fmt: skip
    ratio = "HR" if cox else "OR"
    for v, p in points.items():
        for j, (_, pt) in enumerate(p.iterrows()):
            for key, r_key, what in (("estimate", "yhat", ratio), ("ci_low", "lower", "CI low"),
                                     ("ci_high", "upper", "CI high")):  # fmt: skip
                ctx.check(
                    stage, f"{prefix}: partial {what}, {v} = {_value(pt[v])}", pt[key], call,
                    lambda v=v, j=j, rk=r_key: r_fit().predict[v][rk].iloc[j], rtol=1e-6,
                )  # fmt: skip


def _value(x) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)
