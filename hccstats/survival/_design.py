"""From ``Surv(time, event) ~ predictors`` and a DataFrame to a checked Cox design.

The right-hand side is built exactly as for ``lrm`` (same patsy terms, factor coding and
checks), then the intercept column is dropped, as R's ``coxph`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy

from .._errors import InputError
from .._names import term_label, unquote_name
from ..logistic._design import (
    check_rank,
    drop_missing,
    referenced_columns,
    rhs_matrix,
    term_columns,
)
from ._surv import as_event, as_time, parse_surv, surv_columns

__all__ = ["CoxDesign", "build_cox_design"]


@dataclass(frozen=True)
class CoxDesign:
    formula: str
    data: pd.DataFrame  # rows used, original columns
    time: np.ndarray
    event: np.ndarray
    X: np.ndarray  # without intercept
    columns: list[str]
    design_info: patsy.DesignInfo
    terms: list[str]
    term_columns: dict[str, list[str]]
    omitted: pd.Index


def _check_full_rank(X: np.ndarray, columns: list[str]) -> None:
    """InputError naming collinear columns (with the intercept, which the baseline hazard absorbs).

    A cheap test on the correlation matrix first; the pivoted QR that names the columns runs
    only when that matrix is (nearly) singular.
    """
    Xc = X - X.mean(axis=0)
    scale = np.sqrt(np.einsum("ij,ij->j", Xc, Xc))
    gram = (Xc.T @ Xc) / np.outer(scale, scale)
    ev = np.linalg.eigvalsh(gram)
    if ev[0] > 1e-10 * max(ev[-1], 1.0):
        return
    check_rank(np.column_stack([np.ones(len(X)), X]), ["Intercept", *columns])


def build_cox_design(formula: str, data: pd.DataFrame, *, nan_policy: str = "raise") -> CoxDesign:
    """Parse the formula on ``data`` and check that a Cox model can be fitted."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if nan_policy not in ("raise", "omit"):
        raise InputError(f"nan_policy: expected 'raise' or 'omit', got {nan_policy!r}")
    texpr, eexpr, rhs = parse_surv(formula)
    try:
        desc = patsy.ModelDesc.from_formula(rhs)
    except patsy.PatsyError as exc:
        raise InputError(f"formula {formula!r}: {exc.message}") from None
    cols = referenced_columns(desc, data)
    tcol = surv_columns(texpr, data, "time")
    ecol = surv_columns(eexpr, data, "event")
    frame = data.assign(_hcc_time=tcol, _hcc_event=ecol)
    frame, omitted = drop_missing(frame, ["_hcc_time", "_hcc_event", *cols], nan_policy)
    tname, ename = unquote_name(texpr), unquote_name(eexpr)
    time = as_time(frame["_hcc_time"].to_numpy(), name=f"time column {tname!r}")
    event = as_event(frame["_hcc_event"].to_numpy(), name=f"event column {ename!r}")
    if event.sum() == 0:
        raise InputError(f"{ename}: no events in the {len(event)} rows used")
    used = frame.drop(columns=["_hcc_time", "_hcc_event"])
    Xf = rhs_matrix(formula, desc, used)
    info = Xf.design_info
    tcols = term_columns(info)
    columns = [c for c in info.column_names if c != "Intercept"]
    X = Xf[columns].to_numpy(dtype=float)
    if not columns:
        raise InputError(f"formula {formula!r}: no predictors on the right of '~'")
    col_term = {c: t for t, cs in tcols.items() for c in cs}
    for j, name in enumerate(columns):
        if np.all(X[:, j] == X[0, j]):
            term = col_term.get(name, name)
            raise InputError(
                f"predictor {term_label(term)!r}: column {term_label(name)!r} is constant "
                f"({X[0, j]:g}) in the "
                f"{len(X)} rows used"
            )
    _check_full_rank(X, columns)
    return CoxDesign(
        formula=formula,
        data=used,
        time=time,
        event=event,
        X=X,
        columns=columns,
        design_info=info,
        terms=list(tcols),
        term_columns=tcols,
        omitted=omitted,
    )
