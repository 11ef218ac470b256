"""``vif``: variance inflation factors, GVIF for multi-column terms (car::vif)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._names import quote_name
from ._design import build_design
from ._lrm import LogisticFit
from ._print import print_table

__all__ = ["vif", "VIF"]


@dataclass(frozen=True, eq=False)
class VIF:
    """Result of :func:`vif`: one row per term, unrounded.

    Attributes
    ----------
    table : DataFrame
        Columns term, vif (GVIF; the VIF for one-column terms), tolerance (1 / vif), df
        (design columns of the term), gvif_adj (car's ``GVIF^(1/(2*Df))``).
    model : str
        ``"lm"`` (predictors only, ``car::vif(lm(...))``) or ``"glm"`` (the logistic fit,
        ``car::vif(glm(...))``).
    """

    table: pd.DataFrame
    model: str

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy): one row per term."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        head = f"Variance inflation factors (car::vif of the {self.model} model)\n\n"
        if (self.table["df"] == 1).all():
            cols = {"term": "Term", "vif": "VIF", "tolerance": "Tolerance"}
        else:
            cols = {
                "term": "Term",
                "vif": "GVIF",
                "df": "Df",
                "gvif_adj": "GVIF^(1/(2*Df))",
                "tolerance": "Tolerance",
            }
        return head + print_table(self.table, cols)


def _gvif_table(
    cov: np.ndarray, columns: list[str], term_columns: dict[str, list[str]]
) -> pd.DataFrame:
    """car::vif's computation: GVIF_j = det(R_jj) det(R_-j-j) / det(R), R = cov2cor(V[-1, -1])."""
    keep = [i for i, c in enumerate(columns) if c != "Intercept"]
    names = [columns[i] for i in keep]
    V = cov[np.ix_(keep, keep)]
    sd = np.sqrt(np.diag(V))
    R = V / np.outer(sd, sd)
    _, logdet_all = np.linalg.slogdet(R)
    rows = []
    for term, cols in term_columns.items():
        idx = [names.index(c) for c in cols]
        rest = [i for i in range(len(names)) if i not in idx]
        _, ld1 = np.linalg.slogdet(R[np.ix_(idx, idx)])
        _, ld2 = np.linalg.slogdet(R[np.ix_(rest, rest)]) if rest else (1.0, 0.0)
        gvif = float(np.exp(ld1 + ld2 - logdet_all))
        df = len(cols)
        rows.append(
            {
                "term": term,
                "vif": gvif,
                "tolerance": 1.0 / gvif,
                "df": df,
                "gvif_adj": gvif ** (1.0 / (2.0 * df)),
            }
        )
    return pd.DataFrame(rows)


def vif(
    data: pd.DataFrame | LogisticFit,
    predictors: Sequence[str] | None = None,
    *,
    outcome: str | None = None,
    nan_policy: str = "raise",
) -> VIF:
    """Variance inflation factors and tolerance; generalised VIF for factor terms.

    R equivalent: ``car::vif(lm(...))`` on the predictors (the default: depends on the
    predictors only, as SPSS's collinearity diagnostics), or ``car::vif(glm(...))`` when
    a fitted :class:`LogisticFit` is given (or ``outcome`` is named), which weights by the
    logistic fit's information. The intercept is left out as car does (VIFs from the
    correlation matrix of the coefficients).

    Parameters
    ----------
    data : DataFrame or LogisticFit
    predictors : sequence of str
        Columns (ignored when ``data`` is a LogisticFit: its terms are used).
    outcome : str, optional
        Binary outcome: compute ``car::vif`` of the logistic model instead of the linear one.
    nan_policy : {"raise", "omit"}

    Returns
    -------
    VIF
        ``.to_frame()``: columns term, vif (= GVIF, which equals VIF for one-column terms), tolerance
        (1 / vif), df (columns of the term), gvif_adj (GVIF^(1/(2 df)), car's
        "GVIF^(1/(2*Df))", comparable across terms of different df).

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> hs.vif(d, ["age", "mvi", "afp"])
    Variance inflation factors (car::vif of the lm model)
    <BLANKLINE>
    Term    VIF Tolerance
    age  1.0117    0.9884
    mvi  1.0073    0.9928
    afp  1.0061    0.9940
    """
    if isinstance(data, LogisticFit):
        fit = data
        if len(fit.terms) < 2:
            raise InputError("vif: the model needs at least two terms")
        return VIF(_gvif_table(fit.cov.to_numpy(), list(fit.coef.index), fit.term_columns), "glm")
    if predictors is None or isinstance(predictors, str) or len(predictors) < 2:
        raise InputError("predictors: give at least two predictor columns")
    if outcome is not None:
        from ._lrm import lrm

        fit = lrm(
            f"{quote_name(outcome)} ~ " + " + ".join(quote_name(p) for p in predictors),
            data,
            nan_policy=nan_policy,
        )
        return VIF(_by_predictor(vif(fit).table, predictors), "glm")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    # a linear model's covariance is proportional to (X'X)^-1 whatever the response; a
    # dummy binary response lets build_design do its checks (missing, constant, collinear)
    frame = data[list(predictors)].copy()
    frame["__vif_y__"] = np.arange(len(frame)) % 2
    d = build_design(
        "__vif_y__ ~ " + " + ".join(quote_name(p) for p in predictors),
        frame,
        nan_policy=nan_policy,
        firth=True,
    )
    cov = np.linalg.inv(d.X.T @ d.X)
    table = _gvif_table(cov, d.columns, d.term_columns)
    return VIF(_by_predictor(table, predictors), "lm")


def _by_predictor(table: pd.DataFrame, predictors: Sequence[str]) -> pd.DataFrame:
    """The table's terms as the predictors' names (patsy's ``Q('BCLC stage')`` too), in their order."""
    names = {quote_name(p): p for p in predictors}
    table = table.assign(term=[names.get(t, t) for t in table["term"]])
    order = {p: i for i, p in enumerate(predictors)}
    table = table.sort_values("term", key=lambda s: s.map(order), kind="stable")
    return table.reset_index(drop=True)
