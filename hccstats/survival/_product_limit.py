"""Kaplan–Meier (product-limit) values at chosen times, for many weightings at once.

A small vectorised core for the estimators that need ``S(t)`` only at a few times: the
censoring distribution of inverse-probability-of-censoring weights (``G(t)``, ``G(t-)``) and the
event-free share of many patient subsets at one horizon (decision curves). Each column of
``weights`` is one weighting of the patients (0/1 masks for subsets, counts for bootstrap
resamples); the estimate is R's ``survfit(Surv(time, event) ~ 1, weights = w)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["km_steps", "km_at"]


def km_steps(time, event, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct observed times and the Kaplan–Meier estimate just after each (n_times × n_weightings).

    ``weights`` is ``None`` (every patient once), a vector, or an ``n × m`` matrix.
    """
    time = np.asarray(time, float)
    event = np.asarray(event, float)
    w = np.ones((len(time), 1)) if weights is None else np.asarray(weights, float)
    if w.ndim == 1:
        w = w[:, None]
    order = np.argsort(time, kind="stable")
    ts, es, ws = time[order], event[order], w[order]
    uniq, first = np.unique(ts, return_index=True)
    at_risk = np.cumsum(ws[::-1], axis=0)[::-1][first]
    deaths = np.add.reduceat(es[:, None] * ws, first, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
    return uniq, np.cumprod(factor, axis=0)


def km_at(time, event, at, weights=None, *, left: bool = False) -> np.ndarray:
    """Kaplan–Meier estimate at the times ``at`` (len(at) × n_weightings).

    ``left=True`` gives the left limits ``S(t-)`` (R: the value at the previous observed time,
    as ``pec::ipcw(..., subjectTimesLag = 1)`` weights cases with ``G(T_i-)``).
    """
    uniq, surv = km_steps(time, event, weights)
    at = np.asarray(at, float)
    pos = np.searchsorted(uniq, at, side="left" if left else "right")
    padded = np.vstack([np.ones((1, surv.shape[1])), surv])
    return padded[pos]
