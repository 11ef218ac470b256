"""Detection of complete and quasi-complete separation by linear programming.

The maximum-likelihood estimate of a logistic model is finite if and only if no
direction ``d != 0`` has ``s_i x_i'd >= 0`` for every row (``s_i = +1`` for events,
``-1`` otherwise) with at least one inequality strict (Albert & Anderson 1984). Following
Konis (2007, the method of ``safeBinaryRegression`` / ``detectseparation``), the linear
programme ``max sum_i s_i x_i'd  s.t.  s_i x_i'd >= 0, -1 <= d <= 1`` has a positive
optimum exactly when such a direction exists; its non-zero components name the
variables whose estimates diverge. The separation is complete when a direction makes
every inequality strict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

__all__ = ["Separation", "detect_separation"]

TOL = 1e-7  # on the standardised scale of the LP (columns scaled to unit max-abs)


@dataclass(frozen=True)
class Separation:
    kind: str  # "complete" or "quasi-complete"
    columns: list[str]  # design columns (not the intercept) in the separating direction
    n_separated: int  # rows with s_i x_i'd > 0 (their fitted probabilities go to 0 or 1)


def detect_separation(X: np.ndarray, y: np.ndarray, columns: list[str]) -> Separation | None:
    """None when the ML estimate exists; otherwise the kind and the offending columns."""
    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1.0
    A = X / scale * np.where(y > 0.5, 1.0, -1.0)[:, None]
    n, k = A.shape
    res = linprog(
        c=-A.sum(axis=0),
        A_ub=-A,
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * k,
        method="highs",
    )
    if res.status != 0 or -res.fun <= TOL * n:
        return None
    d = res.x
    margin = A @ d
    sep_rows = int(np.sum(margin > TOL))
    if sep_rows == 0:
        return None
    # complete separation: maximise t subject to A d >= t, t <= 1
    res2 = linprog(
        c=np.r_[np.zeros(k), -1.0],
        A_ub=np.c_[-A, np.ones(n)],
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * k + [(None, 1.0)],
        method="highs",
    )
    complete = res2.status == 0 and -res2.fun > TOL
    sparse = _sparsest_direction(A, margin > TOL, columns)
    if sparse is not None:
        d = sparse
    names = [c for c, v in zip(columns, d) if abs(v) > TOL and c != "Intercept"]
    return Separation("complete" if complete else "quasi-complete", names, sep_rows)


def _sparsest_direction(
    A: np.ndarray, separated: np.ndarray, columns: list[str]
) -> np.ndarray | None:
    """A separating direction with the smallest L1 norm over the non-intercept columns.

    The first LP's vertex can mix in variables that merely ride along; this one keeps the
    same separated rows (``A_S d >= 1``, the rest ``>= 0``) with as few variables as it can.
    """
    n, k = A.shape
    weight = np.array([0.0 if c == "Intercept" else 1.0 for c in columns])
    # d = u - v, u, v >= 0
    res = linprog(
        c=np.r_[weight, weight],
        A_ub=np.c_[-A, A],
        b_ub=-separated.astype(float),
        bounds=[(0, None)] * (2 * k),
        method="highs",
    )
    if res.status != 0:
        return None
    d = res.x[:k] - res.x[k:]
    return d / max(np.max(np.abs(d)), 1e-300)
