"""The fits and removal tests of the forward-LR selection, lean enough to repeat it in every
bootstrap resample.

``fit_weighted`` is :func:`~hccstats.logistic._fit.fit_logistic`'s maximum likelihood
iteration (Newton-Raphson, step halving; it stops one step earlier, see ``NEAR``) with
frequency weights,
so a bootstrap resample is fitted on its distinct rows and their counts (about 63% of the
rows), one linear predictor and one set of probabilities per iteration.

``removal_lr_bounds`` gives, for every term of a fitted model, a guaranteed lower bound on the
likelihood-ratio statistic of removing it, from the fit alone (no refit). Convex duality: for
any ``a`` in [0, 1], ``y eta - log(1 + e^eta) <= (y - a) eta - h(a)`` with ``h`` the binary
entropy, so for any ``alpha`` with ``X_r' C (y - alpha) = 0`` (C the counts) every reduced
model's log-likelihood is at most ``-sum(C h(alpha))``, and the LR statistic is at least
``2 (loglik + sum(C h(alpha)))``. ``alpha = p - t pi (X v)`` (``pi = p (1 - p)``,
``v = cov[:, s] cov[s, s]^-1 beta[s]``) satisfies the constraint for every ``t``; at ``t = 1``
the bound equals the Wald statistic up to third-order terms (``t`` is cut to keep ``alpha``
within [p / 2, (1 + p) / 2]); ``h`` is bounded below by its second-order expansion at ``p``, so
no logarithm is taken (one compiled pass over the rows with numba, the same sums vectorised
without it). A term whose bound already gives a
p-value below the removal threshold cannot be removed, and needs no refit; the others are
refitted exactly. The selection's decisions and its logged statistics are therefore those of
refitting every reduced model. (``cov`` is taken at the fit's last Newton iterate, so the
constraint holds up to the convergence tolerance; the margin of ``cannot_be_removed``, 1e-7 of
the log-likelihood, is orders of magnitude above what that and the sums' rounding can move.)
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.special import chdtrc

from .._jit import HAVE_NUMBA, njit
from ._fit import MAX_ITER, CoreFit

__all__ = [
    "fit_weighted",
    "removal_lr_bounds",
    "one_step_start",
    "cannot_be_removed",
    "bound_pass",
    "NEAR",
    "MARGIN",
]

#: Newton's convergence is quadratic: after a full step below 1e-7 (relative) the estimate is
#: within ~1e-14 of the maximum, where fit_logistic's rule (a step below 1e-11) would take one
#: more iteration to arrive
NEAR = 1e-7

#: LR units kept in hand per unit of |log-likelihood| when certifying with the bound (the sums'
#: rounding is ~1e-13 relative; the fits converge to ~1e-11)
MARGIN = 1e-7


def _prob_and_loglik(eta, y, c):
    """Probabilities and the weighted log-likelihood sum(c (y eta - log(1 + e^eta)))."""
    e = np.exp(-np.abs(eta))
    l1 = np.log1p(e) + np.maximum(eta, 0.0)  # log(1 + e^eta), stable
    p = np.where(eta >= 0.0, 1.0, e) / (1.0 + e)
    return p, float(c @ (y * eta - l1))


def _info(X, w):
    return (X.T * w) @ X


def _solve(info, score):
    try:
        return np.linalg.solve(info, score)
    except np.linalg.LinAlgError:
        return linalg.pinvh(info) @ score


def _inverse(info):
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return linalg.pinvh(info)


def fit_weighted(X: np.ndarray, y: np.ndarray, c: np.ndarray, start=None, at_start=None) -> CoreFit:
    """Maximum likelihood logistic fit with frequency weights ``c`` (fit_logistic's iteration).

    ``cov`` is the inverse information at the last Newton iterate, the step before the
    converged one (not the QR route of fit_logistic: the selection needs the coefficients,
    the log-likelihood, the fitted probabilities, and ``cov`` for starts and bounds only).
    ``at_start``: the probabilities and log-likelihood at ``start`` where they are known (a
    model grown from a fitted one, its new coefficients 0), so as not to compute them again."""
    k = X.shape[1]
    beta = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    p, obj = _prob_and_loglik(X @ beta, y, c) if at_start is None else at_start
    converged = False
    n_iter = 0
    info = np.full((k, k), np.nan)
    for _ in range(MAX_ITER):
        n_iter += 1
        info = _info(X, c * p * (1.0 - p))
        step = _solve(info, X.T @ (c * (y - p)))
        new = beta + step
        new_p, new_obj = _prob_and_loglik(X @ new, y, c)
        halvings = 0
        while not (new_obj >= obj - 1e-12 * (abs(obj) + 1.0)) and halvings < 30:
            step = step / 2.0
            new = beta + step
            new_p, new_obj = _prob_and_loglik(X @ new, y, c)
            halvings += 1
        beta, obj, p = new, new_obj, new_p
        if halvings == 0 and np.all(np.abs(step) <= NEAR * np.maximum(1.0, np.abs(beta))):
            converged = True  # a full Newton step this small lands within ~NEAR**2
            break
    return CoreFit(
        coef=beta,
        cov=_inverse(info),
        loglik=obj,
        penalised_loglik=obj,
        fitted=p,
        converged=converged,
        n_iter=n_iter,
        score=X.T @ (c * (y - p)),
    )


def _directions(cov: np.ndarray, beta: np.ndarray, positions: list[np.ndarray]) -> np.ndarray:
    """Columns v_s = cov[:, s] cov[s, s]^-1 beta[s], one per term (k x terms)."""
    V = np.empty((len(beta), len(positions)))
    for j, pos in enumerate(positions):
        if len(pos) == 1:
            i = pos[0]
            V[:, j] = cov[:, i] * (beta[i] / cov[i, i])
        else:
            V[:, j] = cov[:, pos] @ np.linalg.solve(cov[np.ix_(pos, pos)], beta[pos])
    return V


def one_step_start(cur: CoreFit, keep: list[int], drop: np.ndarray) -> np.ndarray:
    """Start of the reduced fit without the columns ``drop``: the full fit moved to the
    quadratic approximation's optimum with those coefficients at 0 (fastbw's approximation)."""
    v = _directions(cur.cov, cur.coef, [drop])[:, 0]
    start = (cur.coef - v)[keep]
    return start if np.all(np.isfinite(start)) else cur.coef[keep]


def removal_lr_bounds(
    X: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    cur: CoreFit,
    positions: list[np.ndarray],
    compiled: bool = HAVE_NUMBA,
) -> np.ndarray:
    """Lower bounds on the LR statistics of removing each term (columns ``positions`` of the
    model ``X``, fitted in ``cur``) from the model; 0 where no bound was found.

    The entropy at ``alpha = p - t U`` is bounded below by its second-order expansion at ``p``
    with the curvature's extreme on the segment (``h'(p) = -eta``, ``h'' = -1 / (a (1 - a))``,
    and ``a (1 - a)`` is concave, so its minimum on the segment is at an end), which needs no
    logarithm: ``loglik + sum(C h(alpha)) >= beta' score + t sum(C eta U) - t^2 sum(C U^2 / m)
    / 2`` (``loglik + sum(C h(p)) = sum(C eta (y - p)) = beta' score``)."""
    p = cur.fitted
    if not np.all(np.isfinite(cur.cov)) or not np.all((p > 0.0) & (p < 1.0)):
        return np.zeros(len(positions))
    XV = X @ _directions(cur.cov, cur.coef, positions)
    s0 = float(cur.coef @ cur.score)
    if compiled:
        out = np.empty(len(positions))
        bound_pass(p, X @ cur.coef, c, np.ascontiguousarray(XV.T), s0, out)
        return out
    return _bound_numpy(p, X @ cur.coef, c, XV, s0)


def _bound_numpy(p, eta, c, XV, s0):
    """The bounds from ``X v`` of every term (the vectorised form of ``bound_pass``)."""
    pi = p * (1.0 - p)
    U = pi[:, None] * XV
    # the largest t <= 1 that keeps every alpha within [p / 2, (1 + p) / 2], so that
    # alpha (1 - alpha) >= p (1 - p) / 4 (the bound is concave in t, its maximum near t = 1)
    reach = np.maximum(U / p[:, None], -U / (1.0 - p)[:, None]).max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.where(reach > 0.0, np.minimum(1.0, 0.5 / reach), 1.0)
        tU = U * t
        a = p[:, None] - tU
        m = np.minimum(pi[:, None], a * (1.0 - a))
        b = 2.0 * (s0 + (c * eta) @ tU - 0.5 * (c @ (tU * tU / m)))
    return np.where(np.isfinite(b), np.maximum(b, 0.0), 0.0)


@njit(reassoc=True)
def bound_pass(p, eta, c, XVt, s0, out):  # pragma: no cover - compiled
    """``_bound_numpy`` term by term (``XVt``: the terms' ``X v`` as rows), two passes over
    the rows each (the term's reach, then its sums), vectorised."""
    n = len(p)
    pi = np.empty(n)
    ce = np.empty(n)
    for i in range(n):
        pi[i] = p[i] * (1.0 - p[i])
        ce[i] = c[i] * eta[i]
    for j in range(XVt.shape[0]):
        xv = XVt[j]
        reach = 0.0
        for i in range(n):
            u = pi[i] * xv[i]
            reach = max(reach, max(u / p[i], -u / (1.0 - p[i])))
        t = min(1.0, 0.5 / reach) if reach > 0.0 else 1.0
        lin = 0.0
        quad = 0.0
        for i in range(n):
            tu = t * pi[i] * xv[i]
            a = p[i] - tu
            lin += ce[i] * tu
            quad += c[i] * tu * tu / min(pi[i], a * (1.0 - a))
        b = 2.0 * (s0 + lin - 0.5 * quad)
        out[j] = max(b, 0.0) if np.isfinite(b) else 0.0


def cannot_be_removed(
    bounds: np.ndarray, dfs: np.ndarray, loglik: float, removal: float
) -> np.ndarray:
    """Terms whose LR lower bound (less a rounding margin) gives a p-value below ``removal``."""
    margin = MARGIN * (1.0 + abs(loglik))
    return chdtrc(dfs, np.maximum(bounds - margin, 0.0)) < removal
