"""From an R-style formula and a DataFrame to a checked design matrix (patsy).

``rhs_matrix`` evaluates a formula's right-hand side for every model family (lrm here, coxph in
``hccstats.survival``), with R's names available (``rcs``, ``pol``, ``log``, ``exp``, ``sqrt``,
``factor``: ``_terms.py``).

All input checks of the logistic tools happen here, once: the outcome is binary, the
referenced columns exist, missing values are raised or omitted (and counted), no
predictor is constant, the design has full rank (collinear columns named), and no
factor level lacks events.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import linalg

from .._errors import InputError
from .._validation import as_binary
from ._terms import FORMULA_NAMESPACE, check_formula_names

__all__ = [
    "Design",
    "build_design",
    "referenced_columns",
    "check_rank",
    "term_columns",
    "rhs_matrix",
    "drop_missing",
    "new_design_matrix",
]


@dataclass(frozen=True)
class Design:
    formula: str
    outcome: str
    data: pd.DataFrame  # rows used, original columns
    X: np.ndarray
    y: np.ndarray
    columns: list[str]
    design_info: patsy.DesignInfo
    terms: list[str]
    term_columns: dict[str, list[str]]
    omitted: pd.Index  # index labels of rows dropped for missing values


def _names_in(code: str) -> set[str]:
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return set()
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    for node in ast.walk(tree):  # Q('BCLC stage'): a column quoted for patsy
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Q"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def referenced_columns(desc: patsy.ModelDesc, data: pd.DataFrame) -> list[str]:
    """Data columns that the right-hand side of the formula refers to, in formula order."""
    check_formula_names(desc, data.columns)
    out: list[str] = []
    for term in desc.rhs_termlist:
        for factor in term.factors:
            code = factor.code
            found = (
                [code]
                if code in data.columns
                else sorted(n for n in _names_in(code) if n in data.columns)
            )
            if not found and code not in data.columns:
                raise InputError(
                    f"formula: unknown column or expression {code!r} (columns: {list(data.columns)[:10]})"
                )
            out.extend(c for c in found if c not in out)
    return out


def term_columns(design_info: patsy.DesignInfo) -> dict[str, list[str]]:
    """Model term name -> its design-matrix column names (Intercept left out)."""
    out: dict[str, list[str]] = {}
    for name, sl in design_info.term_name_slices.items():
        if name == "Intercept":
            continue
        out[name] = design_info.column_names[sl]
    return out


def _outcome(desc: patsy.ModelDesc, formula: str) -> str:
    if len(desc.lhs_termlist) != 1 or len(desc.lhs_termlist[0].factors) != 1:
        raise InputError(f"formula {formula!r}: give one outcome column on the left of '~'")
    return desc.lhs_termlist[0].factors[0].code


def drop_missing(
    data: pd.DataFrame, used: list[str], nan_policy: str
) -> tuple[pd.DataFrame, pd.Index]:
    """Rows without missing values in ``used`` and the index labels left out; with
    ``nan_policy="raise"`` an InputError naming the columns and first rows instead."""
    miss = data[used].isna().any(axis=1).to_numpy()
    omitted = data.index[miss]
    if miss.any():
        if nan_policy == "raise":
            counts = data[used].isna().sum()
            worst = ", ".join(f"{c!r} ({int(k)})" for c, k in counts.items() if k)
            raise InputError(
                f"data: missing values in column(s) {worst}; first row(s) {list(omitted[:5])}; "
                "drop them or pass nan_policy='omit'"
            )
        data = data.loc[~miss]
    return data, omitted


def new_design_matrix(design_info: patsy.DesignInfo, new_data: pd.DataFrame) -> pd.DataFrame:
    """Design rows of a fitted model for ``new_data`` (NaN predictors give NaN rows)."""
    if not isinstance(new_data, pd.DataFrame):
        raise InputError(f"new_data: expected a pandas DataFrame, got {type(new_data).__name__}")
    try:
        (mat,) = patsy.build_design_matrices(
            [design_info], new_data, NA_action=patsy.NAAction(NA_types=[]), return_type="dataframe"
        )
    except patsy.PatsyError as exc:
        raise InputError(f"new_data: {exc.message}") from None
    return mat


def build_design(
    formula: str, data: pd.DataFrame, *, nan_policy: str = "raise", firth: bool = False
) -> Design:
    """Parse ``formula`` (patsy, R-style) on ``data`` and check the model can be fitted."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if nan_policy not in ("raise", "omit"):
        raise InputError(f"nan_policy: expected 'raise' or 'omit', got {nan_policy!r}")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as exc:
        raise InputError(f"formula {formula!r}: {exc.message}") from None
    outcome = _outcome(desc, formula)
    if outcome not in data.columns:
        raise InputError(f"formula: outcome column {outcome!r} not in data")
    cols = referenced_columns(desc, data)
    used = [outcome, *cols]
    data, omitted = drop_missing(data, used, nan_policy)
    y = as_binary(data[outcome].to_numpy(), name=outcome).astype(float)
    X = rhs_matrix(formula, desc, data)
    info = X.design_info
    if "Intercept" not in info.column_names:
        raise InputError(f"formula {formula!r}: models without an intercept are not supported")
    columns = list(info.column_names)
    Xa = X.to_numpy(dtype=float)
    tcols = term_columns(info)
    _check_columns(Xa, y, columns, tcols, data, firth)
    check_rank(Xa, columns)
    return Design(
        formula=formula,
        outcome=outcome,
        data=data,
        X=Xa,
        y=y,
        columns=columns,
        design_info=info,
        terms=list(tcols),
        term_columns=tcols,
        omitted=omitted,
    )


def rhs_matrix(formula: str, desc: patsy.ModelDesc, data: pd.DataFrame) -> pd.DataFrame:
    """Design matrix (patsy DataFrame, Intercept column included) of the formula's right-hand side.

    Shared by every model family (lrm, coxph) so that a term means the same in each; formulas
    may call ``np`` and R's ``rcs``, ``pol``, ``log``, ``exp``, ``sqrt`` and ``factor``.
    """
    rhs = patsy.ModelDesc([], desc.rhs_termlist)
    env = patsy.EvalEnvironment([FORMULA_NAMESPACE])
    try:
        return patsy.dmatrix(rhs, data, eval_env=env, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise InputError(f"formula {formula!r}: {exc.message}") from None


def _check_columns(X, y, columns, tcols, data, firth) -> None:
    col_term = {c: t for t, cs in tcols.items() for c in cs}
    for j, name in enumerate(columns):
        if name == "Intercept":
            continue
        x = X[:, j]
        if np.all(x == x[0]):
            term = col_term.get(name, name)
            if x[0] == 0 and name != term:
                raise InputError(f"predictor {term!r}: level column {name!r} has no observations")
            raise InputError(f"predictor {term!r} is constant ({x[0]:g}) in the {len(x)} rows used")
        if firth:
            continue
        values = np.unique(x)
        if name != col_term.get(name, name) and len(values) == 2 and set(values) == {0.0, 1.0}:
            ev = y[x == 1]
            if ev.sum() == 0 or ev.sum() == len(ev):
                what = "no events" if ev.sum() == 0 else "only events"
                raise InputError(
                    f"predictor {col_term[name]!r}: level {name!r} has {what} ({int(ev.sum())} of {len(ev)}); "
                    "its odds ratio is not estimable: merge levels or use firth=True"
                )


def check_rank(X: np.ndarray, columns: list[str]) -> None:
    """InputError naming the collinear columns when the design is rank-deficient."""
    scale = np.sqrt((X**2).sum(axis=0))
    scale[scale == 0] = 1.0
    Xs = X / scale
    _, r, piv = linalg.qr(Xs, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    tol = d[0] * max(X.shape) * np.finfo(float).eps * 1e3 if d.size else 0.0
    rank = int(np.sum(d > tol))
    if rank == X.shape[1]:
        return
    indep = piv[:rank]
    dep = piv[rank]
    coef, *_ = np.linalg.lstsq(Xs[:, indep], Xs[:, dep], rcond=None)
    partners = [columns[indep[i]] for i in np.argsort(-np.abs(coef)) if abs(coef[i]) > 1e-8]
    raise InputError(
        f"rank-deficient design: column {columns[dep]!r} is a linear combination of "
        f"{', '.join(repr(p) for p in partners)}; drop one of these predictors"
    )
