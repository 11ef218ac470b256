"""``anova``: Wald tests per predictor of a logistic or Cox model, as ``rms::anova`` prints them.

For each predictor (a variable with its transformation) the rows of ``anova.rms``: the test of
all its coefficients ("age", or "age (Factor+Higher Order Factors)" with its interactions),
" All Interactions" (its interaction coefficients), " Nonlinear" (its nonlinear spline or
polynomial columns, with the nonlinear interaction columns: "Nonlinear (Factor+Higher Order
Factors)"); for each interaction term its total, " Nonlinear" and " Nonlinear Interaction :
f(A,B) vs. AB"; then TOTAL NONLINEAR (more than one nonlinear test), TOTAL INTERACTION (more
than one interaction term), TOTAL NONLINEAR + INTERACTION (both present) and TOTAL. Each row is
the Wald chi-square b' V^-1 b of its coefficients with their covariance (R: ``anova(fit)`` of
``rms::lrm`` or ``rms::cph``; the coefficient indices of each row are R's ``attr(, "which")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from ._errors import InputError

__all__ = ["anova", "Anova"]

COLUMNS = ["row", "predictor", "test", "statistic", "df", "p_value", "columns"]
HIGHER = "  (Factor+Higher Order Factors)"  # rms pastes the name and " (Factor..." with a space


@dataclass(frozen=True, eq=False)
class Anova:
    """Result of :func:`anova`: one row per test, in rms's order.

    ``table`` columns: row (rms's printed label, e.g. "age (Factor+Higher Order Factors)",
    " Nonlinear", "TOTAL"), predictor (the predictor or interaction the row belongs to; "" for
    the totals), test ("total", "all interactions", "nonlinear", "nonlinear interaction",
    "total nonlinear", "total interaction", "total nonlinear + interaction", "global"),
    statistic (Wald chi-square), df, p_value, columns (the design columns tested).
    """

    table: pd.DataFrame
    response: str

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        t = self.table
        width = max(len(r) for r in t["row"]) + 2
        lines = [
            f"{'Wald Statistics':>{width + 10}}          Response: {self.response}",
            "",
            f" {'Factor':<{width}}Chi-Square d.f. P",
        ]
        for _, r in t.iterrows():
            p = "<.0001" if r["p_value"] < 1e-4 else f"{r['p_value']:.4f}"
            lines.append(f" {r['row']:<{width}}{r['statistic']:>10.2f} {r['df']:>4d}   {p}")
        return "\n".join(lines)


class _Rows:
    def __init__(self, coef: np.ndarray, cov: np.ndarray, names: list[str]):
        self.coef, self.cov, self.names = coef, cov, names
        self.index = {c: i for i, c in enumerate(names)}
        self.rows: list[dict] = []

    def add(self, row: str, predictor: str, test: str, columns) -> None:
        idx = sorted({self.index[c] for c in columns})
        b = self.coef[idx]
        V = self.cov[np.ix_(idx, idx)]
        stat = float(b @ linalg.solve(V, b, assume_a="sym"))
        self.rows.append(
            {
                "row": row,
                "predictor": predictor,
                "test": test,
                "statistic": stat,
                "df": len(idx),
                "p_value": float(sps.chi2.sf(stat, len(idx))),
                "columns": [self.names[i] for i in idx],
            }
        )


def _predictor_rows(out: _Rows, preds, inters, totals: dict) -> None:
    for p in preds:
        mine = [ia for ia in inters if p.name in ia.predictors]
        ia_cols = [c for ia in mine for c in ia.columns]
        nl_ia = [
            c
            for ia in mine
            for c, flags in zip(ia.columns, ia.nonlinear)
            if flags[ia.predictors.index(p.name)]
        ]
        if not mine:
            out.add(p.name, p.name, "total", p.columns)
        else:
            out.add(p.name + HIGHER, p.name, "total", [*p.columns, *ia_cols])
            out.add(" All Interactions", p.name, "all interactions", ia_cols)
        if any(p.nonlinear) and not all(p.nonlinear):
            nl = [c for c, f in zip(p.columns, p.nonlinear) if f] + nl_ia
            totals["nonlinear"].extend(nl)
            totals["n_nonlinear"] += 1
            label = " Nonlinear" if not nl_ia else " Nonlinear (Factor+Higher Order Factors)"
            out.add(label, p.name, "nonlinear", nl)


def _interaction_rows(out: _Rows, inters, totals: dict) -> None:
    for ia in inters:
        out.add(ia.name + HIGHER, ia.name, "total", ia.columns)
        totals["interaction"].extend(ia.columns)
        totals["n_interaction"] += 1
        nl = [c for c, flags in zip(ia.columns, ia.nonlinear) if any(flags)]
        if nl:
            totals["nonlinear"].extend(nl)
            totals["n_nonlinear"] += 2  # rms counts the interaction's two nonlinear tests
            out.add(" Nonlinear", ia.name, "nonlinear", nl)
            out.add(" Nonlinear Interaction : f(A,B) vs. AB", ia.name, "nonlinear interaction", nl)


def anova(fit) -> Anova:
    """Wald tests per predictor, as ``rms::anova`` (``anova.rms``) gives them.

    Works on a :class:`~hccstats.LogisticFit` (R: ``anova(lrm(...))``) and a
    :class:`~hccstats.CoxFit` (R: ``anova(cph(...))``; the covariance of the fit, robust when
    the fit is). Predictors are the formula's variables with their transformation
    (``rcs(age, 4)``, ``pol(x, 2)``, ``log(x)``, ``factor(x)``); splines and polynomials get a
    nonlinearity test; an interaction ``a * b`` adds its own rows and the predictor rows test
    "Factor+Higher Order Factors" (main effect and interactions together).

    Returns
    -------
    Anova
        ``.to_frame()``: row, predictor, test, statistic, df, p_value, columns.

    Raises
    ------
    InputError
        The fit has an interaction without its main effects, or of two nonlinear terms.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()
    >>> fit = hs.lrm("recurrence ~ rcs(age, 4) + mvi * log(afp)", d)
    >>> hs.anova(fit).to_frame()[["row", "statistic", "df"]].round(3)
                                            row  statistic  df
    0                                       age     26.673   3
    1                                 Nonlinear      5.064   2
    2        mvi  (Factor+Higher Order Factors)     12.016   2
    3                          All Interactions      0.125   1
    4        afp  (Factor+Higher Order Factors)     12.366   2
    5                          All Interactions      0.125   1
    6  mvi * afp  (Factor+Higher Order Factors)      0.125   1
    7             TOTAL NONLINEAR + INTERACTION      5.085   3
    8                                     TOTAL     36.303   6
    """
    from .logistic._terms import model_predictors

    for attr in ("coef", "cov", "design_info", "data", "formula"):
        if not hasattr(fit, attr):
            raise InputError(f"anova: expected a LogisticFit or CoxFit, got {type(fit).__name__}")
    names = [c for c in fit.coef.index if c != "Intercept"]
    coef = fit.coef[names].to_numpy(dtype=float)
    cov = fit.cov.loc[names, names].to_numpy(dtype=float)
    preds, inters = model_predictors(fit.design_info, fit.data.columns, fit.formula)
    out = _Rows(coef, cov, names)
    totals = {"nonlinear": [], "interaction": [], "n_nonlinear": 0, "n_interaction": 0}
    _predictor_rows(out, preds, inters, totals)
    _interaction_rows(out, inters, totals)
    if totals["n_nonlinear"] > 1:
        out.add("TOTAL NONLINEAR", "", "total nonlinear", totals["nonlinear"])
    if totals["n_interaction"] > 1:
        out.add("TOTAL INTERACTION", "", "total interaction", totals["interaction"])
    if totals["n_nonlinear"] and totals["n_interaction"]:
        out.add(
            "TOTAL NONLINEAR + INTERACTION",
            "",
            "total nonlinear + interaction",
            totals["nonlinear"] + totals["interaction"],
        )
    out.add("TOTAL", "", "global", names)
    table = pd.DataFrame(out.rows, columns=COLUMNS)
    response = getattr(fit, "outcome", None) or fit.formula.split("~", 1)[0].strip()
    return Anova(table, response)
