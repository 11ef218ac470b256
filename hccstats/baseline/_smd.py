"""Standardized mean differences as R's tableone computes them (Yang & Dalton 2012)."""

from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["smd_continuous", "smd_categorical"]


def _mean_pairwise(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def smd_continuous(groups: list[np.ndarray]) -> float:
    """|mean1 - mean2| / sqrt((var1 + var2) / 2); with more groups the mean over pairs (tableone)."""
    out = []
    for a, b in combinations(groups, 2):
        pooled = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
        out.append(abs(np.mean(a) - np.mean(b)) / pooled if pooled > 0 else 0.0)
    return _mean_pairwise(out)


def smd_categorical(counts: np.ndarray) -> float:
    """Multinomial SMD sqrt((T-C)' S^-1 (T-C)) from a groups × levels count table (tableone)."""
    out = []
    props = counts / counts.sum(axis=1, keepdims=True)
    for a, b in combinations(range(len(props)), 2):
        t, c = props[a][1:], props[b][1:]
        if len(t) == 0:
            continue
        s = (np.diag(t) - np.outer(t, t) + np.diag(c) - np.outer(c, c)) / 2
        d = t - c
        try:
            out.append(float(np.sqrt(d @ np.linalg.solve(s, d))))
        except np.linalg.LinAlgError:
            out.append(float(np.sqrt(d @ np.linalg.pinv(s) @ d)))
    return _mean_pairwise(out)
