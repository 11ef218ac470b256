"""The forward-LR selection of :func:`~hccstats.logistic.select_forward` as one compiled routine.

With numba the whole selection on one set of rows (score tests, weighted Newton fits, removal
bounds and refits, the step log) runs in one call compiled with ``nogil=True``, so bootstrap
resamples on several threads run in parallel. The steps are those of the numpy path in
``_stepwise.py`` / ``_select_fit.py``, with these changes of arithmetic only:

- one pass over the rows per Newton iterate gives the probabilities, the log-likelihood, the
  scores ``X' C (y - p)`` of all candidate columns and the model's cross-products ``X' W X``;
  the pass of the step that ends the fit (a full step below ``NEAR``) gives the
  cross-products of *all* candidate columns, so it also serves the score tests of the next
  entry step, the next model's first Newton step, and the removal bounds (whose covariance is
  then the inverse information at the converged estimate, not at the iterate before it);
- the sums over the rows in the compiler's order (vectorised), and the log-likelihood's
  ``sum(c log(1 + e^-|eta|))`` as the logarithm of a running product
  (the passes and fits in ``_select_newton.py``);
- linear systems by Cholesky factors (the matrices are positive definite); where one is not,
  the routine gives up (status 1) and the caller runs the numpy path, which has the pivoted
  fall-backs;
- the entry and removal decisions use closed forms of the chi-squared upper tail for integer
  df (equal to ``scipy.special.chdtrc`` to rounding); the logged p-values are chdtrc's.

A fitted model is kept by its set of terms, so a reduced model met again is not refitted.
The removal LR tests refit a reduced model only where the lower bound of ``removal_lr_bounds``
(``bound_pass``) cannot exclude the removal, as the numpy path does.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit
from ._fit import CoreFit
from ._select_fit import MARGIN, bound_pass
from ._select_newton import (
    axpy,
    chi2_sf,
    chol_solve,
    cholesky,
    evaluate,
    fit_from,
    forward_solve,
    inverse,
    newton,
    submatrix,
)

__all__ = ["select_rows", "run_selection", "STOP_CODES"]

#: stopped codes of ``select_rows`` (index) -> the reason in select_forward's words
STOP_CODES = (
    "all candidates entered",
    "no candidate left whose main effects are in the model",
    "max_steps ({max_steps}) reached",
    "no candidate with entry p below {entry}",
    "cycle: the model with {term!r} entered was visited before",
    "cycle: removing {term!r} gives a model visited before",
)


@njit
def _model_cols(inm, nm, bstart, bcols):  # pragma: no cover - compiled
    size = 1
    for k in range(nm):
        size += bstart[inm[k] + 1] - bstart[inm[k]]
    cols = np.empty(size, dtype=np.int64)
    cols[0] = 0
    pos = 1
    for k in range(nm):
        t = inm[k]
        for j in range(bstart[t], bstart[t + 1]):
            cols[pos] = bcols[j]
            pos += 1
    return cols


@njit
def _score_tests(M, g, cols, out, nout, bstart, bcols):  # pragma: no cover - compiled
    """score_tests from the cross-products M and scores g at the current fit; ok False where
    X1' W X1 or a block's efficient information is not positive definite."""
    m = len(cols)
    A = submatrix(M, cols, cols)
    d = np.empty(m)
    for a in range(m):
        d[a] = math.sqrt(A[a, a]) if A[a, a] > 0.0 else 1.0
    for a in range(m):
        for b in range(m):
            A[a, b] /= d[a] * d[b]
    stats = np.empty(nout)
    L, ok = cholesky(A)
    if not ok:
        return stats, False
    for k in range(nout):
        t = out[k]
        zc = bcols[bstart[t] : bstart[t + 1]]
        q = len(zc)
        B = submatrix(M, cols, zc)
        for a in range(m):
            for b in range(q):
                B[a, b] /= d[a]
        T = forward_solve(L, B)
        if q == 1:
            j = zc[0]
            zz = M[j, j]
            ss = zz
            for a in range(m):
                ss -= T[a, 0] * T[a, 0]
            stats[k] = g[j] * g[j] / ss if ss > 1e-12 * zz else 0.0
        else:
            V = submatrix(M, zc, zc)
            u = np.empty(q)
            for a in range(q):
                u[a] = g[zc[a]]
                for b in range(q):
                    for r in range(m):
                        V[a, b] -= T[r, a] * T[r, b]
            LV, okv = cholesky(V)
            if not okv:
                return stats, False
            sol = chol_solve(LV, u)
            st = 0.0
            for a in range(q):
                st += u[a] * sol[a]
            stats[k] = st
    return stats, True


@njit
def _direction(cov, beta, pos):  # pragma: no cover - compiled
    """v = cov[:, s] cov[s, s]^-1 beta[s] (``_select_fit._directions`` for one term)."""
    k = len(beta)
    v = np.zeros(k)
    if len(pos) == 1:
        i = pos[0]
        for a in range(k):
            v[a] = cov[a, i] * (beta[i] / cov[i, i])
        return v
    L, ok = cholesky(submatrix(cov, pos, pos))
    if not ok:
        v[:] = math.nan
        return v
    bs = np.empty(len(pos))
    for a in range(len(pos)):
        bs[a] = beta[pos[a]]
    z = chol_solve(L, bs)
    for a in range(k):
        for b in range(len(pos)):
            v[a] += cov[a, pos[b]] * z[b]
    return v


@njit
def _store(K, T, max_steps):  # pragma: no cover - compiled
    """Room for every fit of one selection: one per entry, at most T per removal round
    (terms as a bit mask, log-likelihood, coefficients by column, converged, iterations,
    and the number kept in ``count[0]``)."""
    cap = 2 + (2 * max_steps + 2) * (T + 1)
    return (
        np.zeros(cap, dtype=np.int64),
        np.zeros(cap),
        np.zeros((cap, K)),
        np.zeros(cap, dtype=np.bool_),
        np.zeros(cap, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
    )


@njit
def _keep(store, mask, cols, beta, ll, conv, n_iter):  # pragma: no cover - compiled
    """Keep a fit (its terms ``mask``) unless one of these terms is kept; returns its number."""
    masks, fit_ll, fit_coef, fit_conv, fit_iter, count = store
    f = _find(store, mask)
    if f >= 0:
        return f
    f = count[0]
    masks[f] = mask
    fit_ll[f] = ll
    fit_conv[f] = conv
    fit_iter[f] = n_iter
    for a in range(len(cols)):
        fit_coef[f, cols[a]] = beta[a]
    count[0] = f + 1
    return f


@njit
def _find(store, mask):  # pragma: no cover - compiled
    masks, count = store[0], store[5]
    for f in range(count[0]):
        if masks[f] == mask:
            return f
    return -1


@njit
def _seen(visited, nvis, mask):  # pragma: no cover - compiled
    for f in range(nvis):
        if visited[f] == mask:
            return True
    return False


@njit
def _eligible(mask, req, out):  # pragma: no cover - compiled
    """The terms not in the model whose required terms are (``out[:nout]``); returns nout."""
    T = req.shape[0]
    nout = 0
    for t in range(T):
        can = not (mask >> t) & 1
        for u in range(T):
            if req[t, u] and not (mask >> u) & 1:
                can = False
        if can:
            out[nout] = t
            nout += 1
    return nout


@njit
def _choose_entry(stats, out, nout, bstart):  # pragma: no cover - compiled
    """The smallest p-value (first among ties; the first nan, as numpy's argmin): (k, p)."""
    best = -1
    bestp = math.inf
    for k in range(nout):
        t = out[k]
        pk = chi2_sf(bstart[t + 1] - bstart[t], stats[k])
        if pk != pk:
            return k, pk
        if pk < bestp:
            best = k
            bestp = pk
    return best, bestp


@njit
def _log_row(log, nlog, action, t, stat, bstart):  # pragma: no cover - compiled
    log[nlog, 0] = action
    log[nlog, 1] = t
    log[nlog, 2] = stat
    log[nlog, 3] = bstart[t + 1] - bstart[t]
    return nlog + 1


@njit
def select_rows(X, y, c, bstart, bcols, req, entry, removal, max_steps):  # pragma: no cover
    """The forward-LR selection on the design X (transposed: one row per column, the
    intercept first), outcome y and counts c of its rows; the terms'
    columns ``bcols[bstart[t]:bstart[t + 1]]``, ``req[t, u]``: term t needs term u in the model.

    Returns (status, order, nm, coef, ll, converged, n_iter, log, nlog, stopped, stop_term, p,
    M, g): ``p``, ``M``, ``g`` the final fit's pass (probabilities, cross-products, scores);
    status 1 where a matrix was not positive definite (run the numpy path instead); ``order[:nm]``
    the terms in the final model in order of entry; ``coef`` its coefficients (its columns, in
    order); ``log[:nlog]`` rows (action 0 enter / 1 remove, term, statistic, df);
    ``stopped`` an index into STOP_CODES, ``stop_term`` the term it names (or -1)."""
    K, n = X.shape
    T = len(bstart) - 1
    store = _store(K, T, max_steps)
    visited = np.zeros(max_steps + 2, dtype=np.int64)  # visited[0]: the empty model
    nvis = 1
    log = np.zeros((max_steps + 1, 4))
    nlog = 0
    inm = np.zeros(T, dtype=np.int64)
    nm = 0
    mask = np.int64(0)
    rate = np.sum(c * y) / np.sum(c)  # the intercept-only model, started at its MLE
    cols = _model_cols(inm, nm, bstart, bcols)
    beta = np.zeros(1)
    if 0.0 < rate < 1.0:
        beta[0] = math.log(rate / (1.0 - rate))
    group = np.full(K, -1, dtype=np.int64)  # each column's term (-1: the intercept)
    for t in range(T):
        for j in range(bstart[t], bstart[t + 1]):
            group[bcols[j]] = t
    beta, ll, p, eta, M, g, conv, n_iter, ok = fit_from(X, y, c, cols, beta, True, group)
    _keep(store, mask, cols, beta, ll, conv, n_iter)
    stopped, stop_term = 0, -1
    out = np.empty(T, dtype=np.int64)
    while ok:
        nout = _eligible(mask, req, out)
        if nout == 0 or nlog >= max_steps:
            stopped = (0 if nm == T else 1) if nout == 0 else 2
            break
        stats, ok = _score_tests(M, g, cols, out, nout, bstart, bcols)
        best, bestp = _choose_entry(stats, out, nout, bstart)
        if not ok or not bestp < entry:
            stopped = 3
            break
        t = out[best]
        if _seen(visited, nvis, mask | (np.int64(1) << t)):
            stopped, stop_term = 4, t
            break
        inm[nm] = t
        nm += 1
        mask = mask | (np.int64(1) << t)
        visited[nvis] = mask
        nvis += 1
        nlog = _log_row(log, nlog, 0, t, stats[best], bstart)
        cols = _model_cols(inm, nm, bstart, bcols)
        start = np.zeros(len(cols))
        start[: len(beta)] = beta
        beta, ll, p, eta, M, g, conv, n_iter, ok = newton(
            X, y, c, cols, start, ll, p, eta, M, g, True, group
        )
        _keep(store, mask, cols, beta, ll, conv, n_iter)
        while ok and nm > 0 and nlog < max_steps:  # removal: LR tests while one qualifies
            worst, lr_w, ok = _removal(
                X, y, c, cols, beta, ll, p, eta, M, g, inm, nm, mask, bstart, bcols, req,
                removal, store, group,
            )  # fmt: skip
            if worst < 0:
                break
            term = inm[worst]
            if _seen(visited, nvis, mask & ~(np.int64(1) << term)):
                stopped, stop_term = 5, term
                return 0, inm, nm, beta, ll, conv, n_iter, log, nlog, stopped, stop_term, p, M, g
            mask = mask & ~(np.int64(1) << term)
            visited[nvis] = mask
            nvis += 1
            nlog = _log_row(log, nlog, 1, term, lr_w, bstart)
            inm[worst : nm - 1] = inm[worst + 1 : nm].copy()
            nm -= 1
            cols = _model_cols(inm, nm, bstart, bcols)
            f = _find(store, mask)
            beta = store[2][f][cols]
            # the kept fit of the reduced model: one pass at its estimate (not a refit)
            ll, p, eta, M, g = evaluate(X, y, c, cols, beta, True, group)
            ll, conv, n_iter = store[1][f], store[3][f], store[4][f]
    return 0 if ok else 1, inm, nm, beta, ll, conv, n_iter, log, nlog, stopped, stop_term, p, M, g


@njit
def _positions(inm, nm, bstart):  # pragma: no cover - compiled
    """Each model term's positions in the model's columns (``pos[pstart[k]:pstart[k + 1]]``)
    and df."""
    pstart = np.zeros(nm + 1, dtype=np.int64)
    dfs = np.empty(nm)
    for k in range(nm):
        q = bstart[inm[k] + 1] - bstart[inm[k]]
        dfs[k] = q
        pstart[k + 1] = pstart[k] + q
    return pstart + 1, dfs  # the intercept is column 0


@njit
def _safe(X, c, cols, beta, ll, p, eta, M, g, need, pstart, dfs, removal):  # pragma: no cover
    """Clear ``need[k]`` where the removal bound of term k excludes its removal; returns the
    covariance (nan where the information is not positive definite)."""
    m = len(cols)
    cov = np.full((m, m), math.nan)
    L, okc = cholesky(submatrix(M, cols, cols))
    if not okc or not np.all((p > 0.0) & (p < 1.0)):
        return cov
    cov = inverse(L)
    idx = np.flatnonzero(need)
    V = np.empty((m, len(idx)))
    for j in range(len(idx)):
        V[:, j] = _direction(cov, beta, np.arange(pstart[idx[j]], pstart[idx[j] + 1]))
    XV = np.zeros((len(idx), len(p)))  # the terms' X v, as rows
    for j in range(len(idx)):
        for a in range(m):
            axpy(V[a, j], X[cols[a]], XV[j])
    s0 = 0.0
    for a in range(m):
        s0 += beta[a] * g[cols[a]]
    bounds = np.empty(len(idx))
    bound_pass(p, eta, c, XV, s0, bounds)
    margin = MARGIN * (1.0 + abs(ll))
    for j in range(len(idx)):
        if chi2_sf(dfs[idx[j]], max(bounds[j] - margin, 0.0)) < removal:
            need[idx[j]] = False  # cannot be removed: no refit
    return cov


@njit
def _one_step(beta, cov, lo, hi):  # pragma: no cover - compiled
    """one_step_start: the start of the model without positions lo..hi-1."""
    v = _direction(cov, beta, np.arange(lo, hi))
    start = np.concatenate((beta[:lo] - v[:lo], beta[hi:] - v[hi:]))
    if np.all(np.isfinite(start)):
        return start
    return np.concatenate((beta[:lo], beta[hi:]))


@njit
def _worst(lr, dfs, inm, nm, req):  # pragma: no cover - compiled
    """The largest removal p-value (first among ties; 0 for a term that must stay): (k, p)."""
    worst = -1
    worst_p = -math.inf
    for k in range(nm):
        rp = 0.0 if lr[k] != lr[k] else chi2_sf(dfs[k], lr[k])
        for u in range(nm):
            if req[inm[u], inm[k]]:
                rp = 0.0  # an interaction with it is in the model
        if rp > worst_p:
            worst = k
            worst_p = rp
    return worst, worst_p


@njit
def _removal(
    X,
    y,
    c,
    cols,
    beta,
    ll,
    p,
    eta,
    M,
    g,
    inm,
    nm,
    mask,
    bstart,
    bcols,
    req,
    removal,
    store,
    group,
):  # pragma: no cover - compiled
    """The LR removal tests of the current model: (the term to remove or -1, its statistic,
    ok); a reduced model is refitted only where neither a kept fit nor the bound settles it."""
    pstart, dfs = _positions(inm, nm, bstart)
    need = np.zeros(nm, dtype=np.bool_)
    for k in range(nm):
        need[k] = _find(store, mask & ~(np.int64(1) << inm[k])) < 0
    cov = np.full((len(cols), len(cols)), math.nan)
    if np.any(need):
        cov = _safe(X, c, cols, beta, ll, p, eta, M, g, need, pstart, dfs, removal)
    lr = np.full(nm, math.nan)
    for k in range(nm):
        rmask = mask & ~(np.int64(1) << inm[k])
        f = _find(store, rmask)
        if f < 0 and need[k]:
            rest = np.concatenate((inm[:k], inm[k + 1 : nm]))
            rcols = _model_cols(rest, nm - 1, bstart, bcols)
            start = _one_step(beta, cov, pstart[k], pstart[k + 1])
            fit = fit_from(X, y, c, rcols, start, False, group)
            if not fit[8]:
                return -1, 0.0, False
            f = _keep(store, rmask, rcols, fit[0], fit[1], fit[6], fit[7])
        if f >= 0:
            d = 2.0 * (ll - store[1][f])
            lr[k] = d if d > 0.0 or d != d else 0.0
    worst, worst_p = _worst(lr, dfs, inm, nm, req)
    if not worst_p > removal:
        return -1, 0.0, True
    return worst, lr[worst], True


def run_selection(X, y, c, blocks, candidates, requires, entry, removal, max_steps):
    """``select_rows`` on the selection's arrays: (order, log, stopped, core, columns), or None
    where the numpy path must run (a matrix not positive definite, more than 62 candidates,
    an interaction whose main effect is no candidate). ``log`` rows: (action 0 enter /
    1 remove, candidate index, statistic, df)."""
    T = len(candidates)
    index = {t: i for i, t in enumerate(candidates)}
    if T > 62 or any(m not in index for t in candidates for m in requires.get(t, ())):
        return None
    req = np.zeros((T, T), dtype=np.bool_)
    for t in candidates:
        for m in requires.get(t, ()):
            req[index[t], index[m]] = True
    bstart = np.zeros(T + 1, dtype=np.int64)
    bstart[1:] = np.cumsum([len(blocks[t]) for t in candidates])
    bcols = np.concatenate([np.asarray(blocks[t], dtype=np.int64) for t in candidates])
    status, order, nm, coef, ll, conv, n_iter, log, nlog, stopped, term, p, M, g = select_rows(
        np.ascontiguousarray(np.asarray(X, dtype=np.float64).T),
        np.ascontiguousarray(y, dtype=np.float64),
        np.ascontiguousarray(c, dtype=np.float64),
        bstart, bcols, req, float(entry), float(removal), int(max_steps),
    )  # fmt: skip
    if status:
        return None
    order = [int(t) for t in order[:nm]]
    columns = [0] + [int(j) for t in order for j in blocks[candidates[t]]]
    info = M[np.ix_(columns, columns)]
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full(info.shape, np.nan)
    core = CoreFit(coef, cov, float(ll), float(ll), p, bool(conv), int(n_iter), g[columns])
    message = STOP_CODES[stopped].format(
        max_steps=max_steps, entry=entry, term=candidates[term] if term >= 0 else None
    )
    return order, log[:nlog], message, core, columns
