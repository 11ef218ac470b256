"""Indices shared by val_prob, validate and calibrate, computed as rms/Hmisc compute them."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .._jit import njit

__all__ = [
    "somers_c",
    "somers_c_counts",
    "gini_md",
    "gini_md_rows",
    "gini_md_counts",
    "gini_md_weights",
    "nagelkerke",
    "lrm_binned_c",
]


def somers_c(x: np.ndarray, y: np.ndarray) -> float:
    """Hmisc ``somers2(x, y)["C"]``: mid-ranks, ``(mean rank of events - (n1+1)/2) / n0``."""
    n1 = float(np.sum(y))
    n = len(y)
    if n1 == 0 or n1 == n:
        return float("nan")
    mr = rankdata(x)[y > 0].mean()
    return float((mr - (n1 + 1.0) / 2.0) / (n - n1))


@njit
def somers_c_counts(xmat, order, y, counts, out):
    """``somers2(rep(x_b, counts_b), rep(y, counts_b))["C"]`` for each row b without expanding:
    tied values share the mid-rank of their block; ``order[b]`` sorts ``xmat[b]``."""
    n = xmat.shape[1]
    for b in range(xmat.shape[0]):
        o = order[b]
        x = xmat[b]
        c = counts[b]
        tot = 0.0
        for i in range(n):
            tot += c[i]
        s1 = 0.0
        n1 = 0.0
        cum = 0.0
        i = 0
        while i < n:
            j = i
            cw = 0.0
            ew = 0.0
            while j < n and x[o[j]] == x[o[i]]:
                cw += c[o[j]]
                ew += c[o[j]] * y[o[j]]
                j += 1
            s1 += ew * (cum + (cw + 1.0) / 2.0)
            n1 += ew
            cum += cw
            i = j
        if n1 == 0.0 or n1 == tot:
            out[b] = np.nan
        else:
            out[b] = (s1 / n1 - (n1 + 1.0) / 2.0) / (tot - n1)


def gini_md_counts(
    xmat: np.ndarray, order: np.ndarray, counts: np.ndarray, weights=None
) -> np.ndarray:
    """GiniMd of ``rep(x_b, counts_b)`` for each row b, from the sorted rows and their counts.

    ``weights``: :func:`gini_md_weights` of ``order`` and ``counts``, where several rows of
    values share them (computed here otherwise)."""
    c, N, w = gini_md_weights(order, counts) if weights is None else weights
    xs = np.take_along_axis(xmat, order, axis=1)
    mean = (c * xs).sum(axis=1, keepdims=True) / N
    return (w * (xs - mean)).sum(axis=1)


def gini_md_weights(order: np.ndarray, counts: np.ndarray):
    """(sorted counts, their totals, the weights of the sorted values) of
    :func:`gini_md_counts`, which depend on the order and the counts only."""
    c = np.take_along_axis(counts, order, axis=1)
    N = c.sum(axis=1, keepdims=True)
    cum = np.cumsum(c, axis=1) - c
    w = 4.0 * (c * (cum + (c + 1.0) / 2.0) - c * (N - 1.0) / 2.0) / N / (N - 1.0)
    return c, N, w


def gini_md(x: np.ndarray) -> float:
    """Hmisc ``GiniMd``: Gini's mean difference (mean |x_i - x_j| over pairs i != j)."""
    return float(gini_md_rows(np.asarray(x, dtype=np.float64)[None, :])[0])


def gini_md_rows(xmat: np.ndarray) -> np.ndarray:
    """GiniMd of each row: ``sum(w * sort(x - mean(x)))``, ``w = 4 (i - (n-1)/2) / (n (n-1))``."""
    n = xmat.shape[1]
    if n < 2:
        return np.full(xmat.shape[0], np.nan)
    w = 4.0 * (np.arange(1, n + 1) - (n - 1) / 2.0) / n / (n - 1)
    centred = np.sort(xmat - xmat.mean(axis=1, keepdims=True), axis=1)
    return centred @ w


def nagelkerke(lr, null_dev, n):
    """rms's R2 (Nagelkerke): ``(1 - exp(-LR/n)) / (1 - exp(-L0/n))``."""
    return (1.0 - np.exp(-np.asarray(lr) / n)) / (1.0 - np.exp(-np.asarray(null_dev) / n))


def lrm_binned_c(prob: np.ndarray, y: np.ndarray) -> float:
    """The C index that rms's Fortran ``lrm.fit`` reports: probabilities binned into 5001
    cells (``floor(5000 p) + 1``), pairs in one cell counted as ties. ``val.prob`` uses it."""
    return somers_c(np.floor(5000.0 * prob + 1.0), y)
