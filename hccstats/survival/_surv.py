"""Survival outcomes: ``Surv(time, event)`` parsing and R's event coding, checked once."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from .._names import unquote_name
from .._validation import as_finite, describe_values

__all__ = ["as_event", "as_time", "parse_surv", "surv_columns"]

# a quoted column, Q('time, days'), may hold a comma
_QUOTED = r"""Q\(\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)"""
_SURV = re.compile(
    rf"^\s*Surv\s*\(\s*(?P<time>{_QUOTED}|[^,]+?)\s*,\s*(?P<event>.+?)\s*\)\s*~(?P<rhs>.*)$",
    re.S,
)


def parse_surv(formula: str) -> tuple[str, str, str]:
    """Split ``"Surv(time, event) ~ rhs"`` into (time expression, event expression, rhs)."""
    if not isinstance(formula, str):
        raise InputError(f"formula: expected a string, got {type(formula).__name__}")
    m = _SURV.match(formula)
    if m is None:
        raise InputError(
            f"formula {formula!r}: expected 'Surv(time, event) ~ predictors' on the left of '~'"
        )
    rhs = m.group("rhs").strip()
    if not rhs:
        raise InputError(f"formula {formula!r}: no predictors on the right of '~'")
    return m.group("time"), m.group("event"), rhs


def surv_columns(expr: str, data: pd.DataFrame, role: str) -> pd.Series:
    """The column (bare or quoted, ``Q('rfs months')``, or a pandas expression such as
    ``status == 2``) named by ``expr``."""
    if unquote_name(expr) in data.columns:
        return data[unquote_name(expr)]
    try:
        out = data.eval(expr)
    except Exception:
        raise InputError(
            f"Surv(): {role} {expr!r} is not a column of data (columns: {list(data.columns)[:10]})"
        ) from None
    return pd.Series(np.asarray(out), index=data.index)


def as_time(x: Any, name: str = "time") -> np.ndarray:
    """Follow-up times as float64; InputError for NaN, infinite or negative times."""
    t = as_finite(x, name)
    if (t < 0).any():
        idx = np.flatnonzero(t < 0)
        raise InputError(
            f"{name}: {idx.size} negative time(s), first at position(s) {idx[:5].tolist()}"
        )
    return t


def as_event(x: Any, name: str = "event") -> np.ndarray:
    """Event indicator coded as R's ``Surv`` does: logical, 0/1 (1 = event) or 1/2 (2 = event)."""
    arr = np.asarray(x)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    v = as_finite(arr, name)
    values = set(np.unique(v).tolist())
    if values <= {0.0, 1.0}:
        return v.astype(np.int64)
    if values <= {1.0, 2.0}:
        return (v == 2.0).astype(np.int64)
    raise InputError(
        f"{name}: expected 0/1 (1 = event), 1/2 (2 = event) or logical values, got "
        f"{describe_values(v)}"
    )
