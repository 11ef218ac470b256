"""Newton-Raphson maximum likelihood (and Firth's penalised likelihood) for logistic regression.

Plain numpy on a design matrix; no formula handling here (see ``_design.py``). For the
canonical logit link Newton-Raphson is R's IRLS (``glm.fit``); iterations stop only when
the step is at rounding level, so estimates agree with ``glm(..., control =
glm.control(epsilon = 1e-14))`` to about 1e-10 relative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.special import expit

__all__ = ["CoreFit", "fit_logistic", "loglik", "hat_diagonal", "penalised_hessian"]

STEP_TOL = 1e-11  # converged when every |step| <= STEP_TOL * max(1, |beta|)
MAX_ITER = 60
MAX_STEP_FIRTH = 5.0  # logistf's maxstep


@dataclass(frozen=True)
class CoreFit:
    coef: np.ndarray
    cov: np.ndarray
    loglik: float  # unpenalised log-likelihood at coef
    penalised_loglik: float  # = loglik for ML; loglik + 0.5 log|I| for Firth
    fitted: np.ndarray  # probabilities
    converged: bool
    n_iter: int
    score: np.ndarray  # (modified) score at coef; max |score| is rms's "Max Deriv"


def loglik(eta: np.ndarray, y: np.ndarray) -> float:
    """Binomial log-likelihood sum(y log p + (1 - y) log(1 - p)) = sum(y eta - log(1 + e^eta))."""
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _info(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return (X * w[:, None]).T @ X


def _inv_pd(a: np.ndarray) -> np.ndarray:
    try:
        c = linalg.cho_factor(a, lower=True, check_finite=False)
        return linalg.cho_solve(c, np.eye(a.shape[0]), check_finite=False)
    except linalg.LinAlgError:
        return linalg.pinvh(a)


def _cov_qr(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(X'WX)^-1 from the QR decomposition of W^1/2 X (as R's glm): its accuracy follows
    cond(X), not cond(X)^2 as the Cholesky route's does."""
    r = linalg.qr(X * np.sqrt(w)[:, None], mode="r", check_finite=False)[0][: X.shape[1]]
    try:
        rinv = linalg.solve_triangular(r, np.eye(X.shape[1]), check_finite=False)
    except linalg.LinAlgError:
        return linalg.pinvh(_info(X, w))
    if not np.all(np.isfinite(rinv)):
        return linalg.pinvh(_info(X, w))
    return rinv @ rinv.T


def _logdet(a: np.ndarray) -> float:
    sign, val = np.linalg.slogdet(a)
    return float(val) if sign > 0 else -np.inf


def hat_diagonal(X: np.ndarray, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Diagonal of W^1/2 X (X'WX)^-1 X' W^1/2."""
    return w * np.einsum("ij,jk,ik->i", X, cov, X)


def penalised_hessian(X: np.ndarray, p: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Exact Hessian of Firth's penalised log-likelihood l(b) + log|X'WX|/2 (W = p(1 - p)).

    With A = X'WX, q_i = x_i'A^-1 x_i, w' = w(1 - 2p) and w'' = w(1 - 6w) (derivatives of w in
    the linear predictor): -A + X' diag(w'' q / 2) X - (1/2) X' D (Q o Q) D X, with D = diag(w')
    and Q = X A^-1 X'. The last term is computed as T T' with T_r = L' diag(w' x_r) L, L = X C,
    C C' = A^-1 (n k^3 operations, no n x n matrix).
    """
    w = p * (1.0 - p)
    q = np.einsum("ij,jk,ik->i", X, cov, X)
    try:
        c = linalg.cholesky(cov, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return np.full(cov.shape, np.nan)
    L = X @ c
    k = X.shape[1]
    t = np.einsum("ir,ia,ib->rab", X * (w * (1.0 - 2.0 * p))[:, None], L, L).reshape(k, -1)
    return -_info(X, w) + 0.5 * _info(X, w * (1.0 - 6.0 * w) * q) - 0.5 * t @ t.T


def _firth_step(X, p, w, cov, score, free):
    """Newton's step on the penalised log-likelihood, with the Hessian's eigenvalues taken in
    absolute value where it is not negative definite ("saddle-free" Newton: an ascent direction
    that also leaves a saddle or a flat region quickly along its direction of upward curvature).
    Where the Hessian is not finite: the step of the data augmentation with the hat values held
    fixed (X'W(1 + h)X s = U*)."""
    free = np.ones(X.shape[1], dtype=bool) if free is None else free
    step = np.zeros(X.shape[1])
    neg = -penalised_hessian(X, p, cov)[np.ix_(free, free)]
    if np.all(np.isfinite(neg)):
        lam, vec = np.linalg.eigh(neg)
        lam = np.maximum(np.abs(lam), 1e-10 * max(np.max(np.abs(lam)), 1e-300))
        step[free] = vec @ ((vec.T @ score[free]) / lam)
        if np.all(np.isfinite(step)):
            return step
    h = hat_diagonal(X, w, cov)
    aug = _info(X, w * (1.0 + h))[np.ix_(free, free)]
    step[free] = linalg.lstsq(aug, score[free], check_finite=False)[0]
    return step


def _objective(X, y, off, beta, firth):
    eta = X @ beta + off
    ll = loglik(eta, y)
    if not firth:
        return ll, ll
    p = expit(eta)
    return ll + 0.5 * _logdet(_info(X, p * (1.0 - p))), ll


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    firth: bool = False,
    start: np.ndarray | None = None,
    max_iter: int = MAX_ITER,
    free: np.ndarray | None = None,
) -> CoreFit:
    """Maximise the (Firth-penalised) logistic log-likelihood by Newton-Raphson with step halving.

    Firth's modified score is U*(b) = X'(y - p + h (1/2 - p)) with h the hat diagonal
    (Firth 1993; Heinze & Schemper 2002), the gradient of l*(b) = l(b) + log|I(b)|/2. Its
    steps are Newton's on l* (:func:`penalised_hessian`), with the Hessian's eigenvalues in
    absolute value where l* is not concave (it need not be, under separation). The step of the
    equivalent data augmentation (X'W(1 + h)X s = U*, each row also counted h/2 times with y and
    h/2 times with 1 - y, h held fixed) converges only linearly, slowly under separation where
    h is near 1; plain Fisher scoring (logistf's I(b) s = U*) overshoots by up to a factor 2
    there.

    ``free`` (boolean mask) maximises over those coefficients only, the others held at
    ``start``: the restricted fits of penalised profile likelihood (the penalty keeps the
    full design's information, as logistf does).

    The penalised likelihood can have more than one maximum under separation. A Firth fit
    without ``start`` starts twice: at zero and where brglm2 starts (the ML fit to the
    responses adjusted towards 1/2, ``(y + a/2) / (1 + a)`` with ``a = k / n``), and keeps the
    higher maximum.
    """
    if firth and start is None and free is None:
        a = X.shape[1] / X.shape[0]
        adjusted = _newton(X, (y + a / 2.0) / (1.0 + a), offset, False, None, max_iter, None)
        fits = [_newton(X, y, offset, True, s, max_iter, None) for s in (None, adjusted.coef)]
        return max(fits, key=lambda f: (f.converged, f.penalised_loglik))
    return _newton(X, y, offset, firth, start, max_iter, free)


def _newton(X, y, offset, firth, start, max_iter, free) -> CoreFit:
    n, k = X.shape
    off = np.zeros(n) if offset is None else offset
    if start is not None:
        beta = np.asarray(start, dtype=float).copy()
    else:
        beta = np.zeros(k)
    obj, _ = _objective(X, y, off, beta, firth)
    converged = False
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        eta = X @ beta + off
        p = expit(eta)
        w = p * (1.0 - p)
        info = _info(X, w)
        cov = _inv_pd(info)
        resid = y - p
        if firth:
            resid = resid + hat_diagonal(X, w, cov) * (0.5 - p)
        score = X.T @ resid
        if firth:
            step = _firth_step(X, p, w, cov, score, free)
        elif free is None:
            step = cov @ score
        else:
            step = np.zeros(k)
            step[free] = linalg.solve(
                info[np.ix_(free, free)], score[free], assume_a="pos", check_finite=False
            )
        if firth:
            big = np.max(np.abs(step))
            if big > MAX_STEP_FIRTH:
                step = step * (MAX_STEP_FIRTH / big)
        new = beta + step
        new_obj, _ = _objective(X, y, off, new, firth)
        halvings = 0
        while not (new_obj >= obj - 1e-12 * (abs(obj) + 1.0)) and halvings < 30:
            step = step / 2.0
            new = beta + step
            new_obj, _ = _objective(X, y, off, new, firth)
            halvings += 1
        beta, obj = new, new_obj
        if np.all(np.abs(step) <= STEP_TOL * np.maximum(1.0, np.abs(beta))):
            converged = True
            break
    eta = X @ beta + off
    p = expit(eta)
    w = p * (1.0 - p)
    cov = _cov_qr(X, w)
    resid = y - p
    if firth:
        resid = resid + hat_diagonal(X, w, cov) * (0.5 - p)
    obj, ll = _objective(X, y, off, beta, firth)
    return CoreFit(
        coef=beta,
        cov=cov,
        loglik=ll,
        penalised_loglik=obj,
        fitted=p,
        converged=converged,
        n_iter=n_iter,
        score=X.T @ resid,
    )
