"""Compiled pieces of the forward-LR selection of a resample (``_select_compiled.py``): the
weighted Newton fit and its one pass over the rows per iterate, small Cholesky algebra, and the
chi-squared upper tail for integer df.

``evaluate`` gives, at one estimate, the weighted log-likelihood, the probabilities, the linear
predictor, the scores ``X' C (y - p)`` of all columns and the cross-products ``X' W X`` of the
model's columns (or of all columns); ``newton`` is
:func:`~hccstats.logistic._select_fit.fit_weighted`'s iteration on those passes. Without numba
these run as plain Python (``_jit.njit``), and the selection takes the numpy path instead.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit
from .._vmath import vdot, vexp
from ._fit import MAX_ITER
from ._select_fit import NEAR

__all__ = [
    "chi2_sf",
    "cholesky",
    "forward_solve",
    "chol_solve",
    "inverse",
    "submatrix",
    "axpy",
    "evaluate",
    "newton",
    "fit_from",
]

_LN2 = math.log(2.0)
_MAXLOG = 7.09782712893383996843e2  # log(DBL_MAX), cephes' MAXLOG


@njit
def chi2_sf(df, x):  # pragma: no cover - compiled
    """P(chi2_df > x) for an integer df >= 1 (closed forms of the regularised upper gamma)."""
    if not x > 0.0:
        return 1.0 if x == x else math.nan
    h = 0.5 * x
    k = int(df)
    if h > 1.0 and h > 0.5 * k and 0.5 * k * math.log(h) - h - math.lgamma(0.5 * k) < -_MAXLOG:
        return 0.0  # cephes' igamc (chdtrc) flushes to 0 where its prefactor underflows
    if k % 2 == 0:
        term = math.exp(-h)
        total = term
        for j in range(1, k // 2):
            term *= h / j
            total += term
        return total
    total = math.erfc(math.sqrt(h))
    term = math.exp(-h) * math.sqrt(h) * 2.0 / math.sqrt(math.pi)  # e^-h h^(1/2) / G(3/2)
    for j in range(1, (k - 1) // 2 + 1):
        total += term
        term *= h / (j + 0.5)
    return total


@njit
def cholesky(A):  # pragma: no cover - compiled
    """Lower Cholesky factor of A, and whether A is (numerically) positive definite."""
    m = A.shape[0]
    L = np.zeros((m, m))
    for j in range(m):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0.0:
            return L, False
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, m):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / L[j, j]
    return L, True


@njit
def forward_solve(L, B):  # pragma: no cover - compiled
    """L^-1 B (B: m x q)."""
    m, q = B.shape
    T = np.empty((m, q))
    for c in range(q):
        for i in range(m):
            s = B[i, c]
            for k in range(i):
                s -= L[i, k] * T[k, c]
            T[i, c] = s / L[i, i]
    return T


@njit
def chol_solve(L, b):  # pragma: no cover - compiled
    """(L L')^-1 b."""
    m = len(b)
    z = forward_solve(L, b.reshape(m, 1))[:, 0]
    x = np.empty(m)
    for i in range(m - 1, -1, -1):
        s = z[i]
        for k in range(i + 1, m):
            s -= L[k, i] * x[k]
        x[i] = s / L[i, i]
    return x


@njit
def evaluate(Xt, y, c, cols, beta, full, group):  # pragma: no cover - compiled
    """One pass over the rows at ``beta`` (coefficients of columns ``cols`` of ``Xt``, the
    design transposed): the weighted log-likelihood, the probabilities, the linear predictor,
    the scores X' C (y - p) of all columns, and X' W X (W = C p (1 - p)) over ``cols`` only
    (the others left 0) or, with ``full``, every entry the selection reads: those with a
    column of ``cols``, and those of two columns of one term (``group``: each column's term)
    for the score tests of multi-column terms; the cross-products of two terms out of the
    model are never read, and left 0."""
    K, n = Xt.shape
    eta = np.zeros(n)
    for a in range(len(cols)):
        axpy(beta[a], Xt[cols[a]], eta)
    e = _exp_neg_abs(eta)
    p, w, r, lin = _weights(eta, e, y, c)
    ll = lin - _log1p_sum(e, c)
    g = np.empty(K)
    for a in range(K):
        g[a] = vdot(r, Xt[a])
    M = np.zeros((K, K))
    inm = np.zeros(K, dtype=np.bool_)
    inm[cols] = True
    _gram(Xt, w, np.arange(K) if full else cols, inm, group, M)
    return ll, p, eta, M, g


@njit(vectorize=True)
def _exp_neg_abs(eta):  # pragma: no cover - compiled
    """exp(-|eta|) per row, vectorised (``vexp``, within 1 ulp of libm's); below e^-700
    (1e-304, nothing next to 1 in the probabilities and the log-likelihood) it stays e^-700."""
    e = np.empty(len(eta))
    for i in range(len(eta)):
        e[i] = vexp(max(-abs(eta[i]), -700.0))
    return e


@njit(reassoc=True)
def _weights(eta, e, y, c):  # pragma: no cover - compiled
    """p, W = c p (1 - p), c (y - p), and sum(c (y eta - max(eta, 0))) (vectorised)."""
    n = len(eta)
    p = np.empty(n)
    w = np.empty(n)
    r = np.empty(n)
    lin = 0.0
    for i in range(n):
        pos = eta[i] >= 0.0
        pi = (1.0 if pos else e[i]) / (1.0 + e[i])
        lin += c[i] * (y[i] * eta[i] - (eta[i] if pos else 0.0))
        p[i] = pi
        w[i] = c[i] * pi * (1.0 - pi)
        r[i] = c[i] * (y[i] - pi)
    return p, w, r, lin


@njit
def _log1p_sum(e, c):  # pragma: no cover - compiled
    """sum(c log(1 + e)) as the logarithm of a running product of (1 + e)^c (whole counts up
    to 8; other counts by log1p), rescaled every 64 rows: no logarithm per row. (1 + e) is
    rounded once per row, an error of 1e-16 per count, as a log1p summed in floating point.)"""
    logs = 0.0
    prod = 1.0
    scale = 0
    for i in range(len(e)):
        ci = c[i]
        if ci == 1.0:
            prod *= 1.0 + e[i]
        elif ci >= 0.0 and ci <= 8.0 and ci == math.floor(ci):
            for _ in range(int(ci)):
                prod *= 1.0 + e[i]
        else:
            logs += ci * math.log1p(e[i])
        if i & 63 == 63:
            prod, ex = math.frexp(prod)
            scale += ex
    return math.log(prod) + scale * _LN2 + logs


_BLOCK = 256  # rows per block of the cross-products (the block's columns stay in cache)


@njit(reassoc=True)
def _gram(Xt, w, use, inm, group, M):  # pragma: no cover - compiled
    """M[a, b] = X[:, a]' W X[:, b] (symmetric) for the columns ``use``, by blocks of rows;
    only the entries with a column in the model (``inm``) or of two columns of one term
    (``group``), the others left 0."""
    n = Xt.shape[1]
    m = len(use)
    wx = np.empty((m, _BLOCK))
    for i0 in range(0, n, _BLOCK):
        i1 = min(i0 + _BLOCK, n)
        for a in range(m):
            xa = Xt[use[a]]
            for i in range(i0, i1):
                wx[a, i - i0] = w[i] * xa[i]
        for a in range(m):
            for b in range(a, m):
                ua, ub = use[a], use[b]
                if not (inm[ua] or inm[ub] or group[ua] == group[ub]):
                    continue
                xb = Xt[ub]
                s = 0.0
                for i in range(i0, i1):
                    s += wx[a, i - i0] * xb[i]
                M[ua, ub] += s
    for a in range(m):
        for b in range(a + 1, m):
            M[use[b], use[a]] = M[use[a], use[b]]


@njit
def axpy(a, x, out):  # pragma: no cover - compiled
    for i in range(len(x)):
        out[i] += a * x[i]


@njit
def submatrix(M, rows, cols):  # pragma: no cover - compiled
    out = np.empty((len(rows), len(cols)))
    for i in range(len(rows)):
        for j in range(len(cols)):
            out[i, j] = M[rows[i], cols[j]]
    return out


@njit
def newton(X, y, c, cols, beta, ll, p, eta, M, g, full, group):  # pragma: no cover - compiled
    """fit_weighted's iteration from ``beta`` (its evaluation ll, p, eta, M, g given);
    ``full``: the converged estimate's pass gives the cross-products of all columns.

    Returns (beta, ll, p, eta, M, g, converged, n_iter, ok); ok False where an information
    matrix is not positive definite to rounding."""
    m = len(cols)
    converged = False
    n_iter = 0
    for _ in range(MAX_ITER):
        n_iter += 1
        L, ok = cholesky(submatrix(M, cols, cols))
        if not ok:
            return beta, ll, p, eta, M, g, False, n_iter, False
        score = np.empty(m)
        for a in range(m):
            score[a] = g[cols[a]]
        step = chol_solve(L, score)
        new = beta + step
        final = full  # a step this small ends the fit: its pass gives all cross-products
        for a in range(m):
            if abs(step[a]) > NEAR * max(1.0, abs(new[a])):
                final = False
        nll, np_, neta, nM, ng = evaluate(X, y, c, cols, new, final, group)
        halvings = 0
        while not (nll >= ll - 1e-12 * (abs(ll) + 1.0)) and halvings < 30:
            step = step / 2.0
            new = beta + step
            nll, np_, neta, nM, ng = evaluate(X, y, c, cols, new, False, group)
            halvings += 1
        beta, ll, p, eta, M, g = new, nll, np_, neta, nM, ng
        if halvings == 0:
            small = True
            for a in range(m):
                if abs(step[a]) > NEAR * max(1.0, abs(beta[a])):
                    small = False
            if small:
                converged = True
                break
    if full and not converged:  # the last pass gave the model's cross-products only
        ll, p, eta, M, g = evaluate(X, y, c, cols, beta, True, group)
    return beta, ll, p, eta, M, g, converged, n_iter, True


@njit
def inverse(L):  # pragma: no cover - compiled
    m = L.shape[0]
    inv = np.empty((m, m))
    e = np.zeros(m)
    for j in range(m):
        e[:] = 0.0
        e[j] = 1.0
        inv[:, j] = chol_solve(L, e)
    return inv


@njit
def fit_from(X, y, c, cols, start, full, group):  # pragma: no cover - compiled
    ll, p, eta, M, g = evaluate(X, y, c, cols, start, False, group)
    return newton(X, y, c, cols, start, ll, p, eta, M, g, full, group)
