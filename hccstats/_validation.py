"""Input checks shared by the public functions (done once, at the edge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import InputError, listed, short_repr

__all__ = [
    "as_binary",
    "as_finite",
    "check_B",
    "check_conf_level",
    "check_same_length",
    "check_seed",
    "describe_values",
]


def describe_values(values: Sequence[Any], limit: int = 5) -> str:
    """A short text listing the first distinct values, for error messages."""
    uniq = list(dict.fromkeys(np.asarray(values, dtype=object).ravel().tolist()))
    return f"[{listed(uniq, limit)}]"


def as_finite(x: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """``x`` as a 1-D float64 array; InputError naming ``name`` if it is not numeric or finite."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{name}: expected numbers, got non-numeric values {describe_values(x)}"
        ) from None
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.size == max(arr.shape, default=0) else arr
        if arr.ndim != 1:
            raise InputError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        idx = np.flatnonzero(bad)
        kind = "infinite" if allow_nan else "NaN or infinite"
        raise InputError(
            f"{name}: {bad.sum()} {kind} value(s), first at position(s) {idx[:5].tolist()}"
        )
    return arr


def as_binary(y: Any, name: str = "y_true", *, positive: Any = None) -> np.ndarray:
    """``y`` as a 0/1 int array.

    Accepts 0/1, booleans or any two labels. With ``positive`` given, that label is 1;
    otherwise the larger of the two sorted labels is 1 (so 0/1 and False/True map as
    expected). Raises InputError for NaN, more than two labels, or a single label.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InputError(f"{name}: {int(np.isnan(arr).sum())} missing value(s)")
    if arr.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in arr):
            raise InputError(f"{name}: missing value(s)")
    labels = np.unique(arr)
    if len(labels) > 2:
        raise InputError(
            f"{name}: expected a binary outcome, got {len(labels)} distinct values "
            f"{describe_values(labels)}"
        )
    if positive is not None:
        if positive not in labels.tolist():
            raise InputError(
                f"{name}: positive level {positive!r} not among the values {describe_values(labels)}"
            )
        out = (arr == positive).astype(np.int64)
    else:
        if len(labels) == 2:
            out = (arr == labels[1]).astype(np.int64)
        else:
            out = np.zeros(arr.shape, dtype=np.int64)
            if len(labels) == 1 and labels[0] in (1, True):
                out[:] = 1
    if out.min(initial=1) == out.max(initial=0) or len(out) == 0:
        raise InputError(
            f"{name}: only one class present ({describe_values(labels)}); "
            "both events and non-events are needed"
        )
    return out


def check_same_length(**arrays: Any) -> int:
    """All arrays have the same length; returns it, InputError naming them otherwise."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise InputError(f"mismatched lengths: {desc}")
    return next(iter(lengths.values()), 0)


def check_conf_level(conf_level: Any, name: str = "conf_level") -> float:
    """``conf_level`` as a float strictly between 0 and 1, InputError otherwise."""
    try:
        value = float(conf_level)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number between 0 and 1, got {conf_level!r}") from None
    if isinstance(conf_level, bool) or not 0.0 < value < 1.0:
        raise InputError(f"{name}: expected a number between 0 and 1, got {conf_level!r}")
    return value


def check_seed(seed: Any, what: str = "the bootstrap", *, name: str = "seed") -> int:
    """``seed`` as an int >= 0 (numpy's seeds); InputError naming ``name`` otherwise.

    ``what`` is the step that draws random numbers from it (a missing seed is refused: every
    random step is repeatable); ``name`` is how the user wrote it (``--seed``,
    ``study.yaml: split.seed``).
    """
    is_int = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    if not is_int or seed < 0:
        raise InputError(
            f"{name}: expected an integer >= 0 ({what} draws random numbers from an explicit "
            f"seed, so that it can be repeated), got {short_repr(seed)}"
        )
    return int(seed)


def check_B(B: Any, minimum: int = 1) -> int:
    """The number of bootstrap resamples ``B`` as an int >= ``minimum``, InputError otherwise."""
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < minimum:
        raise InputError(f"B: expected an integer >= {minimum} (bootstrap resamples), got {B!r}")
    return int(B)
