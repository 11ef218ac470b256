"""Table 3 (multivariable models): one display row per model term, built from the fits.

Rows, in order: the intercept; then per variable (in order of entry) either one row
(continuous variables, ordinal scores, signatures, binary factors labelled "Label: level vs
reference" as in the univariable table) or, for a factor of three or more levels, a header
row, its reference level ("Ref") and one row per other level; a model term of several columns
(spline, polynomial, ``factor(x)``, interaction) has a header row and one row per column, named
as rms names them (Age, Age', Age''). A variable that a model does not contain shows "—" in
that model's columns, and so do the β, OR, CI and p value of a term whose maximum-likelihood
estimate diverges (separation: not a result).
"""

from __future__ import annotations

import math

import pandas as pd

from .._names import term_label, unquote_name
from ._context import Context
from ._terms import column_rows

__all__ = ["table3", "table3_formats", "KEYS"]

KEYS = ("coef", "estimate", "ci_low", "ci_high", "p_value")
NOT_IN_MODEL = "\u2014"


def _factor_levels(fit, var: str) -> tuple[str, list[str]] | None:
    """(reference, other levels) of a categorical model variable, None for numeric ones."""
    name = unquote_name(var)  # the column of the term Q('BCLC stage')
    col = fit.data[name] if name in fit.data.columns else None
    if col is None or not isinstance(col.dtype, pd.CategoricalDtype):
        return None
    cols = fit.term_columns.get(var, [])
    levels = [c.split("[T.", 1)[1][:-1] for c in cols if "[T." in c]
    cats = [str(c) for c in col.cat.categories]
    ref = next((c for c in cats if c not in levels), cats[0] if cats else "")
    return ref, levels


def _variables(fits: dict) -> list[str]:
    return list(dict.fromkeys(v for fit in fits.values() for v in fit.terms))


def _blank(kind: str, var: str, label: str, term: str = "", level: str = "") -> dict:
    return {"kind": kind, "variable": var, "term": term, "level": level, "label": label}


def _fill(row: dict, fits: dict, ors: pd.DataFrame) -> dict:
    from ._separation import separating_terms

    for name, fit in fits.items():
        sub = ors[ors["model"] == name].set_index("term")
        has = row["variable"] == "" or row["variable"] in fit.terms
        row[f"{name}|in_model"] = has
        # a separated ML fit's diverging coefficients are not results: shown as "—"
        row[f"{name}|estimable"] = not (has and row["term"] in separating_terms(fit))
        for key in KEYS:
            value = math.nan
            if not row[f"{name}|estimable"]:
                pass
            elif has and row["kind"] == "intercept" and key in ("coef", "p_value"):
                value = float(fit.coef["Intercept"] if key == "coef" else fit.p_values["Intercept"])
            elif has and row["term"] in sub.index:
                value = float(sub.loc[row["term"], key])
            row[f"{name}|{key}"] = value
    return row


def table3(
    ctx: Context,
    fits: dict,
    ors: pd.DataFrame,
    suffix: dict[str, str] | None = None,
    intercept: bool = True,
) -> pd.DataFrame:
    """The raw Table 3: kind, variable, term, level, label and ``<model>|<key>`` per model.

    ``suffix``: text after a numeric variable's label (its OR units, e.g. " (per 10)").
    ``intercept``: False for models without one (Cox models: ``ors`` then holds hazard ratios).
    """
    suffix = suffix or {}
    rows = [_blank("intercept", "", "Intercept", term="Intercept")] if intercept else []
    for var in _variables(fits):
        fit = next(f for f in fits.values() if var in f.terms)
        label = ctx.label(var)
        levels = _factor_levels(fit, var)
        columns = column_rows(fit, var, ctx.label) if levels is None else None
        if columns is not None and len(columns) > 1:  # spline, polynomial, factor(), interaction
            rows.append(_blank("header", var, label))
            rows.extend(_blank("term", var, f"    {text}", col) for col, text in columns)
            continue
        if columns is not None and columns[0][0] != var:  # one column of its own: a:b[T.x]
            rows.append(_blank("term", var, columns[0][1], term=columns[0][0]))
            continue
        if levels is None:
            rows.append(_blank("term", var, label + suffix.get(unquote_name(var), ""), term=var))
            continue
        ref, others = levels
        if len(others) == 1:
            term = fit.term_columns[var][0]
            rows.append(_blank("term", var, f"{label}: {others[0]} vs {ref}", term, others[0]))
            continue
        rows.append(_blank("header", var, label))
        rows.append(_blank("ref", var, f"    {ref}", level=ref))
        for lv, term in zip(others, fit.term_columns[var]):
            rows.append(_blank("term", var, f"    {lv}", term, lv))
    out = pd.DataFrame([_fill(r, fits, ors) for r in rows])
    # the table's names as the data's: Q('BCLC stage')[T.B] -> BCLC stage[T.B]
    return out.assign(
        variable=[unquote_name(v) for v in out["variable"]],
        term=[term_label(t) for t in out["term"]],
    )


def _cell(name: str, what: str):
    from reports import formatting as F

    def fmt(r: pd.Series) -> str:
        kind = r["kind"]
        if kind == "header":
            return ""
        if not r[f"{name}|in_model"] or not r.get(f"{name}|estimable", True):
            return NOT_IN_MODEL
        if kind == "ref":
            return "Ref" if what == "or" else ""
        if what == "coef":
            return F.fmt_coef(r[f"{name}|coef"])
        if what == "p":
            return F.fmt_p(r[f"{name}|p_value"], star=kind != "intercept")
        if kind == "intercept":
            return ""
        return F.fmt_or_ci(r[f"{name}|estimate"], r[f"{name}|ci_low"], r[f"{name}|ci_high"])

    return fmt


def table3_formats(fits: dict, ratio: str = "OR") -> dict:
    """Display columns: Variable, then β, ``ratio`` (OR, or HR for Cox models) with its 95% CI
    and p value per model (its n in the header)."""
    from reports import formatting as F

    formats = {"Variable": F.col("label", "text")}
    for name, fit in fits.items():
        n = fit.stats["n"] if hasattr(fit, "stats") else fit.n
        head = f"{name} (n = {int(n)})"
        formats[f"{head}: β"] = _cell(name, "coef")
        formats[f"{head}: {ratio} (95% CI)"] = _cell(name, "or")
        formats[f"{head}: p value"] = _cell(name, "p")
    return formats
