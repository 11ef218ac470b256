"""Input checks of the signature search, done once at the edge."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import HccstatsWarning, InputError
from .._validation import as_binary

__all__ = ["PhaseData", "align_phase", "check_folds", "as_table", "new_patient_features"]


@dataclass(frozen=True)
class PhaseData:
    X: np.ndarray
    y: np.ndarray
    ids: pd.Index
    columns: list
    notes: tuple


def _listing(values, limit: int = 10) -> str:
    values = list(values)
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(str(v) for v in values[:limit]) + more


def as_table(X: Any, name: str) -> pd.DataFrame:
    """``X`` as a numeric DataFrame indexed by patient id (a ``patient_id`` column is used)."""
    if isinstance(X, pd.DataFrame):
        df = X.set_index("patient_id") if "patient_id" in X.columns else X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(f"X[{name}]: expected a 2-D table, got shape {arr.shape}")
        df = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    nonnum = [
        c
        for c in df.columns
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])
    ]
    if nonnum:
        raise InputError(f"X[{name}]: non-numeric feature column(s) {_listing(nonnum)}")
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()].unique()
        raise InputError(f"X[{name}]: duplicated patient id(s) {_listing(dup)}")
    if df.shape[1] == 0:
        raise InputError(f"X[{name}]: no feature columns")
    return df


def align_phase(X: Any, y: Any, name: str) -> PhaseData:
    """Check one phase's table against the outcome; drop constant features with a note."""
    df = as_table(X, name)
    if isinstance(y, pd.Series) and isinstance(X, pd.DataFrame):
        if y.index.has_duplicates:
            raise InputError(
                f"y: duplicated patient id(s) {_listing(y.index[y.index.duplicated()])}"
            )
        only_x = df.index.difference(y.index)
        only_y = y.index.difference(df.index)
        if len(only_x) or len(only_y):
            parts = []
            if len(only_x):
                parts.append(f"in the {name} features but not the outcome: {_listing(only_x)}")
            if len(only_y):
                parts.append(f"in the outcome but not the {name} features: {_listing(only_y)}")
            raise InputError(
                f"X[{name}]: patients differ from the clinical table; " + "; ".join(parts)
            )
        y = y.loc[df.index]
    elif len(y) != len(df):
        raise InputError(f"X[{name}] has {len(df)} rows but y has {len(y)} values")
    yb = as_binary(np.asarray(y), "y")
    values = df.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        cols = df.columns[bad.any(axis=0)]
        rows = df.index[bad.any(axis=1)]
        raise InputError(
            f"X[{name}]: NaN or infinite values in {bad.sum()} cell(s): column(s) "
            f"{_listing(cols)}; patient(s) {_listing(rows)}"
        )
    const = np.ptp(values, axis=0) == 0
    notes: tuple = ()
    if const.all():
        raise InputError(f"X[{name}]: all {len(const)} features are constant")
    if const.any():
        dropped = list(df.columns[const])
        note = f"{name}: {len(dropped)} constant feature(s) dropped: {_listing(dropped)}"
        warnings.warn(note, HccstatsWarning, stacklevel=4)  # the caller of signature_search
        notes = (note,)
        values = values[:, ~const]
    return PhaseData(values, yb, df.index, list(df.columns[~const]), notes)


def check_folds(y: np.ndarray, n_splits: int, inner_splits: int) -> None:
    """Enough events and non-events for stratified outer and inner folds."""
    if n_splits < 2 or inner_splits < 2:
        raise InputError(
            f"n_splits/inner_splits: need at least 2 folds, got {n_splits}/{inner_splits}"
        )
    n_min = int(min(y.sum(), len(y) - y.sum()))
    need = max(n_splits, int(np.ceil(inner_splits * n_splits / (n_splits - 1))))
    if n_min < need:
        kind = "events" if y.sum() <= len(y) - y.sum() else "non-events"
        raise InputError(
            f"y: only {n_min} {kind}, fewer than the {need} needed for {n_splits}-fold CV "
            f"with {inner_splits}-fold inner tuning; use fewer folds (n_splits)"
        )


def new_patient_features(feature_names: list, X_new: Any, phase: str) -> pd.DataFrame:
    """The columns ``feature_names`` of new patients' table ``X_new`` (e.g. the validation
    set), checked: every column present, every value finite."""
    df = as_table(X_new, phase)
    missing = [c for c in feature_names if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, missing[:10]))
        raise InputError(f"X_new[{phase}]: missing feature column(s) {shown}")
    out = df[feature_names]
    bad = ~np.isfinite(out.to_numpy(dtype=np.float64))
    if bad.any():
        rows = ", ".join(map(str, out.index[bad.any(axis=1)][:10]))
        raise InputError(f"X_new[{phase}]: NaN or infinite feature values for patient(s) {rows}")
    return out
