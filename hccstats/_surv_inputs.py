"""Checks of a right-censored outcome (follow-up time and event indicator), done once at the edge."""

from __future__ import annotations

import numpy as np

from ._errors import InputError
from ._validation import as_finite, check_same_length, describe_values

__all__ = ["check_surv", "check_times"]


def check_surv(time, event, *, time_name: str = "time", event_name: str = "event"):
    """``(time, event)`` as float arrays; InputError naming the argument for negative or missing
    times, or an event indicator that is not 0/1 (False/True)."""
    t = as_finite(time, time_name)
    e = np.asarray(event)
    if e.dtype.kind == "b":
        e = e.astype(float)
    e = as_finite(e, event_name)
    check_same_length(**{time_name: t, event_name: e})
    if len(t) == 0:
        raise InputError(f"{time_name}: no patients")
    if np.any(t < 0):
        first = int(np.flatnonzero(t < 0)[0])
        raise InputError(f"{time_name}: negative follow-up time {t[first]:g} at position {first}")
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"{event_name}: expected 0 (censored) or 1 (event), got {describe_values(e[bad])}"
        )
    return t, e


def check_times(times, name: str = "times") -> np.ndarray:
    """Evaluation times: finite, positive, at least one."""
    t = as_finite(np.atleast_1d(times), name)
    if len(t) == 0 or np.any(t <= 0):
        raise InputError(f"{name}: need positive times, got {t.tolist()}")
    return t
