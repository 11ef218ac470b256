"""Arguments shared by the survival measures: the horizon ``times`` and renamed keywords.

One name for the horizon across ``hccstats.survival``: ``times`` (a positive time, or several
where a function evaluates more than one). Keywords renamed to the library's names
(``u`` → ``times``, ``x`` / ``marker`` → ``score``) keep working for one release with a
``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._errors import InputError
from .._validation import as_finite

__all__ = ["renamed", "check_times", "check_horizon", "NOT_GIVEN"]


class _NotGiven:
    def __repr__(self) -> str:
        return "<not given>"


NOT_GIVEN: Any = _NotGiven()


def renamed(func: str, new: str, new_value: Any, old: str, old_value: Any) -> Any:
    """The value of keyword ``new``, taking it from the deprecated ``old`` when only that is given."""
    if old_value is NOT_GIVEN:
        return new_value
    if new_value is not NOT_GIVEN and new_value is not None:
        raise InputError(f"{func}: give {new}= only ({old}= is its old name)")
    warnings.warn(
        f"{func}: the keyword {old}= is deprecated, use {new}=",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value


def check_times(times: Any, name: str = "times") -> np.ndarray:
    """One or more positive finite times as a 1-D float array."""
    if times is None or times is NOT_GIVEN:
        raise InputError(f"{name}: a time (the horizon) is needed")
    at = as_finite(np.atleast_1d(times), name)
    if at.size == 0 or np.any(at <= 0):
        raise InputError(f"{name}: need positive times, got {at.tolist()}")
    return at


def check_horizon(times: Any, last: float, name: str = "times") -> float:
    """One positive horizon, not after the last follow-up time ``last`` (equal is allowed)."""
    at = check_times(times, name)
    if at.size != 1:
        raise InputError(f"{name}: expected one horizon, got {at.size} times")
    t = float(at[0])
    if t > last:
        raise InputError(f"{name}: {t:g} is after the last follow-up time ({last:g})")
    return t
