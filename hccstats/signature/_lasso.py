"""The search's LASSO: L1-penalised logistic regression, C chosen by cross-validated log-loss.

The objective is liblinear's (scikit-learn's ``LogisticRegression(penalty="l1",
solver="liblinear")``, intercept scaling 1): with ``s_i = +1`` for events and ``-1`` for
non-events, ``b`` the intercept and ``w`` the coefficients,

    minimise  |b| + sum_j |w_j| + C * sum_i log(1 + exp(-s_i (x_i . w + b)))

(the intercept is penalised like the coefficients, as liblinear does). It is solved by
proximal Newton steps (Friedman, Hastie & Tibshirani 2010, glmnet; Yuan, Ho & Lin 2012,
liblinear's newGLMNET): each step minimises the quadratic model of the loss plus the L1
terms by cyclic coordinate descent, then a backtracking line search on the true objective
(Armijo, sigma = 0.01) makes it a descent step. Iteration stops when the largest violation
of the optimality conditions (the minimum-norm subgradient) is below ``tol`` times its value
at zero, ``tol = 1e-8``: far tighter than liblinear's ``1e-4``, so both reach the same optimum
within liblinear's own tolerance. At most 100 Newton steps of at most 100 sweeps are spent on
one C: that bound only binds on near-separable folds at large C (>= ~200 here), where
liblinear too stops unconverged at its iteration limit and whose log-loss is never the best.
The C values are solved in increasing order, each started from the previous solution (a
warm-started path); liblinear restarts from zero for each C, which is where most of its time
went on the search's small folds.

The loops are compiled with numba when it is installed; without it they run as plain Python
and give the same numbers, only slower. R equivalent: ``glmnet::cv.glmnet(family =
"binomial", alpha = 1, type.measure = "deviance")`` (glmnet scales the penalty by ``1/n``
and leaves the intercept unpenalised, so its numbers differ).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, xlogy
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from .._errors import InputError
from .._jit import njit

__all__ = ["L1LogisticCV", "l1_logistic_path", "neg_log_loss"]

_ARMIJO = 0.01  # sufficient decrease of the line search (liblinear's sigma)
_MAX_INNER = 100  # coordinate-descent sweeps per Newton step
_INNER_FRACTION = 0.1  # the model's violation sought, as a fraction of the problem's


@njit
def _log1pexp(z: float) -> float:
    """log(1 + exp(z)), without overflow."""
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


@njit
def _objective(beta, eta, s, C, t, delta, d) -> float:
    """The objective at ``beta + t * delta`` (linear predictor ``eta + t * d``)."""
    pen = 0.0
    for j in range(beta.shape[0]):
        pen += abs(beta[j] + t * delta[j])
    loss = 0.0
    for i in range(eta.shape[0]):
        loss += _log1pexp(-s[i] * (eta[i] + t * d[i]))
    return pen + C * loss


@njit
def _coordinate_violation(b: float, g: float) -> float:
    """How far coefficient ``b`` with loss gradient ``g`` is from optimal (0 at the optimum:
    the minimum-norm subgradient of ``g * b + |b|``)."""
    if b > 0.0:
        return abs(g + 1.0)
    if b < 0.0:
        return abs(g - 1.0)
    return max(abs(g) - 1.0, 0.0)


@njit
def _violation(beta, grad) -> float:
    """The largest entry of the minimum-norm subgradient (0 at the optimum)."""
    worst = 0.0
    for j in range(beta.shape[0]):
        worst = max(worst, _coordinate_violation(beta[j], grad[j]))
    return worst


@njit
def _coordinate_minimum(b: float, g: float, h: float) -> float:
    """The minimiser ``z`` of ``g (z - b) + h / 2 (z - b)^2 + |z|`` (soft thresholding)."""
    if g + 1.0 <= h * b:
        return b - (g + 1.0) / h
    if g - 1.0 >= h * b:
        return b - (g - 1.0) / h
    return 0.0


@njit
def _weighted_gram(XT, w) -> np.ndarray:
    """``X' W X`` (symmetric, p + 1 square)."""
    m, n = XT.shape
    H = np.empty((m, m))
    for j in range(m):
        for k in range(j, m):
            acc = 0.0
            for i in range(n):
                acc += w[i] * XT[j, i] * XT[k, i]
            H[j, k] = acc
            H[k, j] = acc
    return H


@njit
def _derivatives(XT, s, C, eta, grad, w) -> None:
    """Gradient of ``C * loss`` in ``beta`` (into ``grad``) and the Newton weights ``w``."""
    n = eta.shape[0]
    g = np.empty(n)
    for i in range(n):
        tau = 1.0 / (1.0 + math.exp(s[i] * eta[i]))  # P(wrong side) = sigmoid(-s eta)
        g[i] = -C * s[i] * tau
        w[i] = C * tau * (1.0 - tau)
    for j in range(XT.shape[0]):
        acc = 0.0
        for i in range(n):
            acc += XT[j, i] * g[i]
        grad[j] = acc


@njit
def _newton_direction(XT, beta, grad, w, delta, d, inner_tol) -> int:
    """Minimise the quadratic model plus the L1 terms over ``delta`` by cyclic coordinate
    descent, on the model's Hessian ``H = X' W X`` (formed once); then ``d = X delta``.
    Returns the number of sweeps."""
    m, n = XT.shape
    H = _weighted_gram(XT, w)
    Hd = np.zeros(m)  # H delta
    delta[:] = 0.0
    sweeps = _MAX_INNER
    for sweep in range(_MAX_INNER):
        biggest = 0.0  # the model's largest optimality violation, before this sweep's steps
        for j in range(m):
            gj = grad[j] + Hd[j]
            b = beta[j] + delta[j]
            biggest = max(biggest, _coordinate_violation(b, gj))
            step = _coordinate_minimum(b, gj, H[j, j] + 1e-12) - b
            if step != 0.0:
                delta[j] += step
                for k in range(m):
                    Hd[k] += step * H[k, j]
        if biggest <= inner_tol:
            sweeps = sweep
            break
    for i in range(n):
        acc = 0.0
        for j in range(m):
            acc += XT[j, i] * delta[j]
        d[i] = acc
    return sweeps


@njit
def _solve(XT, s, C, beta, eta, tol, max_iter) -> int:
    """Minimise the objective for one ``C`` from ``beta`` (updated in place, with ``eta``).
    Returns the number of Newton steps."""
    m, n = XT.shape
    grad, w = np.empty(m), np.empty(n)
    delta, d = np.empty(m), np.empty(n)
    zero_b, zero_e = np.zeros(m), np.zeros(n)
    # the stopping scale: the violation at beta = 0 (liblinear's reference point)
    _derivatives(XT, s, C, zero_e, grad, w)
    stop = tol * max(_violation(zero_b, grad), 1e-300)
    for it in range(max_iter):
        _derivatives(XT, s, C, eta, grad, w)
        worst = _violation(beta, grad)
        if worst <= stop:
            return it
        # the model solved to a fraction of the current violation (newGLMNET's rule)
        _newton_direction(XT, beta, grad, w, delta, d, max(_INNER_FRACTION * worst, stop / 2))
        decrease = 0.0
        for j in range(m):
            decrease += grad[j] * delta[j] + abs(beta[j] + delta[j]) - abs(beta[j])
        if decrease >= 0.0:
            return it  # no descent direction left at this precision
        f0 = _objective(beta, eta, s, C, 0.0, delta, d)
        t = 1.0
        while _objective(beta, eta, s, C, t, delta, d) - f0 > _ARMIJO * t * decrease:
            t *= 0.5
            if t < 1e-12:
                return it  # rounding: no further decrease possible
        for j in range(m):
            beta[j] += t * delta[j]
        for i in range(n):
            eta[i] += t * d[i]
    return max_iter


@njit
def _path(XT, s, Cs, beta0, tol, max_iter, coefs, n_iter) -> None:
    beta = beta0.copy()
    n = XT.shape[1]
    eta = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for j in range(XT.shape[0]):
            acc += XT[j, i] * beta[j]
        eta[i] = acc
    for c in range(Cs.shape[0]):
        n_iter[c] = _solve(XT, s, Cs[c], beta, eta, tol, max_iter)
        coefs[c] = beta


def l1_logistic_path(X, y, Cs, *, start=None, tol: float = 1e-8, max_iter: int = 100):
    """Solutions of the L1 logistic problem for each ``C`` in ``Cs`` (solved in the order
    given, each from the previous one; ``start`` is the first starting point, zero when not
    given). ``y`` in {0, 1}. Returns ``(coefs, n_iter)``: ``coefs[c]`` holds the
    coefficients of the columns of ``X`` then the intercept.
    """
    X = np.asarray(X, dtype=float)
    XT = np.ascontiguousarray(np.vstack([X.T, np.ones(X.shape[0])]))
    s = np.where(np.asarray(y) == 1, 1.0, -1.0)
    Cs = np.asarray(Cs, dtype=float)
    beta0 = np.zeros(XT.shape[0]) if start is None else np.asarray(start, dtype=float)
    coefs = np.empty((len(Cs), XT.shape[0]))
    n_iter = np.empty(len(Cs), dtype=np.int64)
    _path(XT, s, Cs, beta0, tol, max_iter, coefs, n_iter)
    return coefs, n_iter


def neg_log_loss(proba1: np.ndarray, y) -> float:
    """Minus the mean log-loss of event probabilities ``proba1`` for ``y`` in {0, 1}.

    The same number as ``sklearn.metrics.get_scorer("neg_log_loss")`` (probabilities clipped
    to ``[eps, 1 - eps]``, mean of ``-sum(t * log(p))`` over the one-hot labels ``t``).
    R equivalent: ``-mean(y * log(p) + (1 - y) * log(1 - p))``.
    """
    proba = np.column_stack([1.0 - proba1, proba1])
    eps = np.finfo(proba.dtype).eps
    proba = np.clip(proba, eps, 1 - eps)
    onehot = (np.asarray(y)[:, None] == np.arange(2)[None, :]).astype(proba.dtype)
    return -float(np.average(-np.sum(xlogy(onehot, proba), axis=1)))


class L1LogisticCV(ClassifierMixin, BaseEstimator):
    """LASSO logistic regression with ``C`` chosen from ``Cs`` log-spaced values in
    [1e-4, 1e4] by ``cv``-fold stratified cross-validated log-loss (folds seeded by
    ``random_state``; the highest summed score wins, ties to the smaller ``C``), then refitted
    on all data. Binary outcomes only.

    Fitted attributes as scikit-learn's ``LogisticRegressionCV``: ``classes_``, ``Cs_``,
    ``C_``, ``scores_`` (folds x Cs), ``coef_`` (1 x p), ``intercept_`` (1,), ``n_iter_``.
    """

    def __init__(self, Cs: int = 10, cv: int = 3, random_state=None, tol: float = 1e-8):
        self.Cs = Cs
        self.cv = cv
        self.random_state = random_state
        self.tol = tol

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) != 2:
            raise InputError(f"y: the LASSO needs two classes, got {list(self.classes_)}")
        self.Cs_ = np.logspace(-4, 4, self.Cs)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        scores, paths = [], []
        for tr, te in folds.split(X, codes):
            coefs, _ = l1_logistic_path(X[tr], codes[tr], self.Cs_, tol=self.tol)
            eta = X[te] @ coefs[:, :-1].T + coefs[:, -1]
            scores.append([neg_log_loss(expit(eta[:, c]), codes[te]) for c in range(len(coefs))])
            paths.append(coefs)
        self.scores_ = np.array(scores)
        best = int(self.scores_.sum(axis=0).argmax())
        self.C_ = float(self.Cs_[best])
        start = np.mean([p[best] for p in paths], axis=0)
        coef, self.n_iter_ = l1_logistic_path(X, codes, [self.C_], start=start, tol=self.tol)
        self.coef_ = coef[:, :-1]
        self.intercept_ = coef[:, -1]
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(X, dtype=float) @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
