"""rms's ``lrm.fit`` for a stack of bootstrap resamples at once (numpy, B x n weights).

A bootstrap resample is a vector of frequency weights on the original rows, so the
B fits share the design matrix ``X`` (n x p) and differ only in their weights ``W``
(B x n): the score is ``(W * (y - p)) @ X`` and the information ``(W * p(1-p)) @ (X x X)``,
two matrix products for all resamples together.

The iterations copy rms's Fortran ``lrmfit`` (rms 6.5) so that each fit ends where rms's
does: start at the intercept-only solution (slopes 0), Newton-Raphson steps, step-halving
when -2 log L rises, convergence when -2 log L changed by at most ``eps`` (0.025) between two
iterations (the step just computed is still applied), ``maxit`` (12) giving 11 Newton steps,
failure when they do not converge or the information matrix is singular (rank tolerance
``tol``), linear predictors clipped to [-30, 30] in the likelihood.

With numba, the per-patient terms of each evaluation (the risk, its log-likelihood, the
weighted residual and variance) come from one compiled, vectorised pass (``exp`` and ``log``
from ``hccstats._vmath``, within 1 ulp of libm's); the score and the information stay matrix
products (BLAS), the information over the p(p+1)/2 distinct cross-products only. Without
numba the same quantities come from numpy; both agree to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import HAVE_NUMBA, njit
from .._vmath import vdot, vexp, vlog

__all__ = ["BatchFit", "lrm_fit_batch", "lrm_fit_rows", "null_deviance", "loglik2", "risk_rows"]


@dataclass(frozen=True)
class BatchFit:
    """Results of B logistic fits: ``coef`` (B, p), ``deviance`` (-2 log L at coef, B),
    ``null_deviance`` (B), ``fail`` (B, bool), ``iterations`` (B)."""

    coef: np.ndarray
    deviance: np.ndarray
    null_deviance: np.ndarray
    fail: np.ndarray
    iterations: np.ndarray

    @property
    def lr(self) -> np.ndarray:
        """Model likelihood-ratio chi-square (rms ``stats["Model L.R."]``)."""
        return self.null_deviance - self.deviance


def _prob(eta: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(eta, -30.0, 30.0)))


def loglik2(eta: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """-2 log-likelihood (rms's ``deviance``) of linear predictors ``eta`` (..., n)."""
    p = _prob(eta)
    ll = np.log(np.where(y > 0, p, 1.0 - p))
    if w is not None:
        ll = ll * w
    return -2.0 * ll.sum(axis=-1)


def null_deviance(y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """-2 log L of the intercept-only model: ``-2 * sum(n_k * log(n_k / N))``."""
    if w is None:
        w = np.ones((1, len(y)))
    n1 = w @ y
    n = w.sum(axis=-1)
    n0 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(n1 > 0, n1 * np.log(n1 / n), 0.0)
        t0 = np.where(n0 > 0, n0 * np.log(n0 / n), 0.0)
    return -2.0 * (t0 + t1)


def risk_rows(beta: np.ndarray, X: np.ndarray, *, compiled: bool = HAVE_NUMBA) -> np.ndarray:
    """Risks ``1 / (1 + exp(-beta_b . x_i))`` (B, n) of each row of coefficients ``beta``.

    Compiled: ``vexp`` (within 1 ulp of numpy's ``exp``) in one vectorised pass, the linear
    predictors clipped to [-700, 700] (below -700 the risk is ~1e-304 where numpy's is 0).
    """
    eta = np.ascontiguousarray(beta @ X.T)
    if not compiled:
        return 1.0 / (1.0 + np.exp(-eta))
    _logistic_inplace(eta)
    return eta


@njit(vectorize=True)
def _logistic_inplace(eta):
    for a in range(eta.shape[0]):
        row = eta[a]
        for i in range(row.size):
            row[i] = 1.0 / (1.0 + vexp(min(max(-row[i], -700.0), 700.0)))


def _singular(info: np.ndarray, tol: float) -> np.ndarray:
    """Rank deficiency of each information matrix (scaled to unit diagonal)."""
    d = np.sqrt(np.clip(np.einsum("bii->bi", info), 1e-300, None))
    scaled = info / d[:, :, None] / d[:, None, :]
    ev = np.linalg.eigvalsh(scaled)
    return ~np.isfinite(ev).all(axis=1) | (ev[:, 0] <= tol * np.maximum(ev[:, -1], 1e-300))


def _newton(B, p, beta, fail, evaluate, *, maxit, eps, tol):
    """rms's Fortran iteration for B problems at once.

    ``evaluate(idx, beta_idx)`` returns (-2 log L, score, information) of the problems ``idx``.
    Returns (beta, fail, iterations).
    """
    delta = np.zeros((B, p))
    oldl = np.full(B, 1e30)
    curstp = np.ones(B)
    iters = np.zeros(B, dtype=np.int64)
    active = ~fail
    for it in range(1, maxit):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        ll, score, info = evaluate(idx, beta[idx])
        iters[idx] = it
        worse = (ll > oldl[idx]) | ~np.isfinite(ll)
        if worse.any():
            wi = idx[worse]
            if it == 1:
                fail[wi] = True
                active[wi] = False
            else:  # step-halving
                curstp[wi] /= 2.0
                beta[wi] -= curstp[wi, None] * delta[wi]
        good = ~worse
        if not good.any():
            continue
        gi, score, info, llg = idx[good], score[good], info[good], ll[good]
        curstp[gi] = 1.0
        sing = _singular(info, tol)
        if sing.any():
            fail[gi[sing]] = True
            active[gi[sing]] = False
            ok = ~sing
            gi, score, info, llg = gi[ok], score[ok], info[ok], llg[ok]
        if gi.size == 0:
            continue
        step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
        delta[gi] = step
        beta[gi] += step
        conv = np.abs(oldl[gi] - llg) <= eps
        active[gi[conv]] = False
        oldl[gi] = llg
    if maxit > 2:
        fail |= active
    return beta, fail, iters


@njit(vectorize=True)
def _risks_and_logs(eta, y, risk, logq):
    """Per patient, at the linear predictor ``eta`` clipped to [-30, 30] as rms does: the
    risk ``p`` and its log-likelihood term ``log(p)`` or ``log(1 - p)`` (rms's naive
    ``log(1 - p)`` of the rounded risk), vectorised."""
    for i in range(eta.size):
        e = min(max(eta[i], -30.0), 30.0)
        pr = 1.0 / (1.0 + vexp(-e))
        risk[i] = pr
        logq[i] = vlog(pr if y[i] > 0 else 1.0 - pr)


@njit(vectorize=True)
def _rows_terms(x, y, idx, b, ll, score, info):
    """-2 log L, score and information of ``y ~ x[a]`` at ``b[k]`` for each ``a = idx[k]``,
    the linear predictor clipped to [-30, 30] as rms does: the risks and log-likelihood terms
    in one vectorised pass, then the sums in the patients' order."""
    n = y.size
    eta = np.empty(n)
    pr = np.empty(n)
    lt = np.empty(n)
    for k in range(idx.size):
        a = idx[k]
        b0 = b[k, 0]
        b1 = b[k, 1]
        for i in range(n):
            eta[i] = b0 + b1 * x[a, i]
        _risks_and_logs(eta, y, pr, lt)
        lsum = 0.0
        r0 = 0.0
        r1 = 0.0
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        for i in range(n):
            xi = x[a, i]
            p = pr[i]
            r = y[i] - p
            v = p * (1.0 - p)
            lsum += lt[i]
            r0 += r
            r1 += r * xi
            s0 += v
            s1 += v * xi
            s2 += v * xi * xi
        ll[k] = -2.0 * lsum
        score[k, 0] = r0
        score[k, 1] = r1
        info[k, 0, 0] = s0
        info[k, 0, 1] = s1
        info[k, 1, 0] = s1
        info[k, 1, 1] = s2


WARM_ITERATIONS = 5  # most evaluations a fit from a given start may take (lrm_fit_batch)


def _start(sy, sw):
    """rms's start: intercept = logit of the event rate, slopes 0; no events (or all) fails."""
    fail = (sy <= 0) | (sy >= sw)
    with np.errstate(divide="ignore", invalid="ignore"):
        b0 = np.where(fail, 0.0, np.log(sy / (sw - sy)))
    return b0, fail


def lrm_fit_batch(
    X: np.ndarray,
    y: np.ndarray,
    W: np.ndarray | None = None,
    *,
    maxit: int = 12,
    eps: float = 0.025,
    tol: float = 1e-7,
    deviance: bool = True,
    compiled: bool = HAVE_NUMBA,
    start: np.ndarray | None = None,
) -> BatchFit:
    """Fit ``y ~ X`` (X with its intercept column first) once per row of weights ``W``.

    ``W`` (B, n) holds frequency weights (bootstrap counts); ``None`` fits once with unit
    weights. Rows without events or without non-events fail (rms cannot fit them either).
    ``deviance=False`` leaves the deviances at the final coefficients uncomputed (nan), for
    callers that use the coefficients only. ``compiled=False`` evaluates with numpy even where
    numba is installed (for the tests).

    ``start`` (p,): coefficients to start every fit from instead of rms's start (intercept
    only), e.g. the fit on all the rows for bootstrap resamples of them. The same iterations
    and convergence rule then reach the same maximum in fewer steps (3-4 instead of 5 for a
    resample of a well-determined fit), to within the criterion's precision (1e-10 on the
    coefficients of a 5000-patient resample, 1e-6 on those of a 189-patient one). A fit that fails from ``start`` (singular, not converged) or needs more
    than ``WARM_ITERATIONS`` evaluations (a flat or separated likelihood, where the point
    at which the iterations stop depends on the path) is fitted again from rms's start, so
    it ends, or fails, where rms's fit does.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    n, p = X.shape
    W = np.ones((1, n)) if W is None else np.ascontiguousarray(W, dtype=np.float64)
    B = W.shape[0]
    beta = np.zeros((B, p))
    beta[:, 0], no_fit = _start(W @ y, W.sum(axis=1))
    if start is not None:
        beta[~no_fit] = np.asarray(start, dtype=np.float64)
    evaluate = _compiled_evaluation(X, y, W) if compiled else _numpy_evaluation(X, y, W)
    fail = no_fit.copy()
    beta, fail, iters = _newton(B, p, beta, fail, evaluate, maxit=maxit, eps=eps, tol=tol)
    retry = (fail | (iters > WARM_ITERATIONS)) & ~no_fit
    if start is not None and retry.any():  # those fits again, from rms's start
        again = lrm_fit_batch(
            X, y, W[retry], maxit=maxit, eps=eps, tol=tol, deviance=False, compiled=compiled
        )
        beta[retry] = again.coef
        fail[retry] = again.fail
        iters[retry] = again.iterations
    dev = np.full(B, np.nan)
    okf = ~fail
    if deviance and okf.any():
        if compiled:
            dev[okf] = evaluate(np.flatnonzero(okf), beta[okf], terms=False)[0]
        else:
            dev[okf] = loglik2(beta[okf] @ X.T, y, W[okf])
    beta[fail] = np.nan
    return BatchFit(beta, dev, null_deviance(y, W), fail, iters)


def _numpy_evaluation(X, y, W):
    n, p = X.shape
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)

    def evaluate(idx, b):
        Wa = W[idx]
        pr = _prob(b @ X.T)
        ll = -2.0 * (Wa * np.log(np.where(y > 0, pr, 1.0 - pr))).sum(axis=1)
        score = (Wa * (y - pr)) @ X
        info = ((Wa * pr * (1.0 - pr)) @ XX).reshape(-1, p, p)
        return ll, score, info

    return evaluate


def _compiled_evaluation(X, y, W):
    n, p = X.shape
    rows, cols = np.triu_indices(p)
    XX = np.ascontiguousarray(X[:, rows] * X[:, cols])  # the distinct cross-products
    # work arrays reused by every evaluation (fresh ones would be page-faulted in each time)
    risk = np.empty(n)
    logq = np.empty(n)
    work = np.empty((3, W.shape[0], n))

    def evaluate(idx, b, terms=True):
        m = len(idx)
        # every problem at the same coefficients (the first step from a given start): the
        # risks are computed once
        same = m > 1 and bool((b == b[0]).all())
        eta, r, v = work[0, : 1 if same else m], work[1, :m], work[2, :m]
        np.matmul(b[: 1 if same else m], X.T, out=eta)
        ll = np.empty(m)
        _patient_terms(eta, y, W, idx, r, v, ll, risk, logq)
        if not terms:
            return ll, None, None
        info = np.empty((len(idx), p, p))
        upper = v @ XX
        info[:, rows, cols] = upper
        info[:, cols, rows] = upper
        return ll, r @ X, info

    return evaluate


@njit(vectorize=True)
def _patient_terms(eta, y, W, idx, r, v, ll, risk, logq):
    """For each problem a (resample ``idx[a]``) and patient i: ``r = w (y - p)``,
    ``v = w p (1 - p)`` with ``p`` the risk at ``eta`` clipped to [-30, 30]; ``ll[a]`` =
    -2 log L, the log-likelihood of each patient taken as rms does (``log(p)`` or
    ``log(1 - p)`` of the rounded risk). ``eta`` has one row per problem, or a single row
    when all the problems are at the same coefficients (risks then computed once).
    ``risk``, ``logq`` (n): work arrays.

    ``vexp`` / ``vlog`` instead of libm's scalar calls and no branch on the weight, so the
    loops over patients vectorise: the patients a resample leaves out (weight 0, a third)
    are computed and multiplied by 0, which is cheaper than a branch per patient.
    """
    n = eta.shape[1]
    for a in range(idx.shape[0]):
        if a < eta.shape[0]:
            _risks_and_logs(eta[a], y, risk, logq)
        wrow = W[idx[a]]
        ra = r[a]
        va = v[a]
        for i in range(n):
            w = wrow[i]
            pr = risk[i]
            ra[i] = w * (y[i] - pr)
            va[i] = w * pr * (1.0 - pr)
        ll[a] = -2.0 * vdot(wrow, logq)


def lrm_fit_rows(
    x: np.ndarray,
    y: np.ndarray,
    *,
    maxit: int = 12,
    eps: float = 0.025,
    tol: float = 1e-7,
    compiled: bool = HAVE_NUMBA,
) -> BatchFit:
    """Fit ``y ~ x_b`` (intercept and one slope) for every row ``x_b`` of ``x`` (B, n).

    rms's logistic recalibration of each bootstrap model's linear predictor on the
    original data (``lrm.fit(x, y)`` in ``validate.lrm``'s ``discrim``). Compiled (numba),
    each evaluation is one pass over a row's patients (``vexp``/``vlog``, sums in the
    patients' order); ``compiled=False`` evaluates with numpy, the same to rounding.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    B, n = x.shape
    beta = np.zeros((B, 2))
    sy = np.full(B, y.sum())
    beta[:, 0], fail = _start(sy, np.full(B, float(n)))
    fail |= ~np.isfinite(x).all(axis=1)

    def evaluate_compiled(idx, b):
        ll = np.empty(idx.size)
        score = np.empty((idx.size, 2))
        info = np.empty((idx.size, 2, 2))
        _rows_terms(x, y, idx, np.ascontiguousarray(b), ll, score, info)
        return ll, score, info

    def evaluate(idx, b):
        xa = x[idx]
        pr = _prob(b[:, :1] + b[:, 1:] * xa)
        ll = -2.0 * np.log(np.where(y > 0, pr, 1.0 - pr)).sum(axis=1)
        r = y - pr
        v = pr * (1.0 - pr)
        score = np.column_stack([r.sum(axis=1), (r * xa).sum(axis=1)])
        s0, s1, s2 = v.sum(axis=1), (v * xa).sum(axis=1), (v * xa * xa).sum(axis=1)
        info = np.stack([np.column_stack([s0, s1]), np.column_stack([s1, s2])], axis=1)
        return ll, score, info

    step = evaluate_compiled if compiled else evaluate
    beta, fail, iters = _newton(B, 2, beta, fail, step, maxit=maxit, eps=eps, tol=tol)
    dev = np.full(B, np.nan)
    okf = ~fail
    if okf.any():
        oki = np.flatnonzero(okf)
        dev[oki] = (
            evaluate_compiled(oki, beta[oki])[0]
            if compiled
            else loglik2(beta[oki, :1] + beta[oki, 1:] * x[oki], y)
        )
    beta[fail] = np.nan
    return BatchFit(beta, dev, np.repeat(null_deviance(y)[0], B), fail, iters)
