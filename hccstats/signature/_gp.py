"""The search's Gaussian process classifier, its hyper-parameters found without per-step
overhead.

scikit-learn's ``GaussianProcessClassifier`` (binary, Laplace approximation; Rasmussen &
Williams 2006, algorithms 3.1 and 5.1) maximises the approximate log marginal likelihood
over the kernel's log hyper-parameters with L-BFGS-B. On the search's small folds (about
130 patients) each of the ~15 evaluations per fit spends much of its time outside the
arithmetic: the kernel objects rebuild their parameters, every SciPy call re-checks its
input for NaN. ``GaussianProcess`` is the same estimator (a subclass, same parameters, same
fitted attributes, scikit-learn's own ``_BinaryGaussianProcessClassifierLaplace`` inside)
whose evaluations, for the search's kernel ``ConstantKernel * RBF`` (isotropic), compute the
kernel, the Newton mode-finding and the gradient with exactly scikit-learn's operations in
the same order, minus that overhead: the hyper-parameters, the posterior and the
probabilities are bit-identical (checked in ``tests/test_signature_ensembles.py``). Any other
kernel or setting uses scikit-learn's code unchanged.

R equivalent: ``kernlab::gausspr`` (a different approximation, so different numbers).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve
from scipy.spatial.distance import pdist, squareform
from scipy.special import expit
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process._gpc import _BinaryGaussianProcessClassifierLaplace
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Product
from sklearn.utils.validation import validate_data

__all__ = ["GaussianProcess"]


def _kernel_and_gradient(X: np.ndarray, theta: np.ndarray):
    """``ConstantKernel(c) * RBF(l)`` at ``theta = log([c, l])`` on ``X`` and its gradient in
    ``theta``, as scikit-learn's kernel objects compute them (``Product.__call__``)."""
    c, length = np.exp(theta[0]), np.exp(theta[1])
    n = X.shape[0]
    dists = pdist(X / np.squeeze(length).astype(float), metric="sqeuclidean")
    rbf = squareform(np.exp(-0.5 * dists))
    np.fill_diagonal(rbf, 1)
    const = np.full((n, n), c, dtype=np.array(c).dtype)
    K = const * rbf
    grad = np.dstack(
        (
            np.full((n, n, 1), c, dtype=np.array(c).dtype) * rbf[:, :, np.newaxis],
            (rbf * squareform(dists))[:, :, np.newaxis] * const[:, :, np.newaxis],
        )
    )
    return K, grad


class _LeanLaplace(_BinaryGaussianProcessClassifierLaplace):
    """scikit-learn's binary Laplace GPC with its log marginal likelihood (and gradient)
    for ``ConstantKernel * RBF`` evaluated without the kernel objects and input checks."""

    def log_marginal_likelihood(self, theta=None, eval_gradient=False, clone_kernel=True):
        if theta is None or not eval_gradient:
            return super().log_marginal_likelihood(theta, eval_gradient, clone_kernel)
        K, K_gradient = _kernel_and_gradient(self.X_train_, theta)
        Z, (pi, W_sr, L, b, a) = self._posterior_mode(K, return_temporaries=True)
        # the parent's gradient (Algorithm 5.1 of GPML), operation for operation
        d_Z = np.empty(theta.shape[0])
        R = W_sr[:, np.newaxis] * cho_solve((L, True), np.diag(W_sr), check_finite=False)
        C = solve(L, W_sr[:, np.newaxis] * K, check_finite=False)
        s_2 = -0.5 * (np.diag(K) - np.einsum("ij, ij -> j", C, C)) * (pi * (1 - pi) * (1 - 2 * pi))
        for j in range(d_Z.shape[0]):
            C = K_gradient[:, :, j]
            s_1 = 0.5 * a.T.dot(C).dot(a) - 0.5 * R.T.ravel().dot(C.ravel())
            b = C.dot(self.y_train_ - pi)
            s_3 = b - K.dot(R.dot(b))
            d_Z[j] = s_1 + s_2.T.dot(s_3)
        return Z, d_Z

    def _posterior_mode(self, K, return_temporaries=False):
        if self.warm_start:
            return super()._posterior_mode(K, return_temporaries)
        # the parent's Newton iteration (Algorithm 3.1 of GPML), without the input checks
        f = np.zeros_like(self.y_train_, dtype=np.float64)
        eye = np.eye(K.shape[0])
        sign = self.y_train_ * 2 - 1
        log_marginal_likelihood = -np.inf
        for _ in range(self.max_iter_predict):
            pi = expit(f)
            W = pi * (1 - pi)
            W_sr = np.sqrt(W)
            W_sr_K = W_sr[:, np.newaxis] * K
            B = eye + W_sr_K * W_sr
            L = cholesky(B, lower=True, check_finite=False)
            b = W * f + (self.y_train_ - pi)
            a = b - W_sr * cho_solve((L, True), W_sr_K.dot(b), check_finite=False)
            f = K.dot(a)
            lml = -0.5 * a.T.dot(f) - np.log1p(np.exp(-sign * f)).sum() - np.log(np.diag(L)).sum()
            if lml - log_marginal_likelihood < 1e-10:
                break
            log_marginal_likelihood = lml
        self.f_cached = f
        if return_temporaries:
            return log_marginal_likelihood, (pi, W_sr, L, b, a)
        return log_marginal_likelihood


def _lean_kernel(kernel) -> bool:
    """``ConstantKernel * RBF`` with an isotropic length scale, both free."""
    return (
        isinstance(kernel, Product)
        and type(kernel.k1) is ConstantKernel
        and type(kernel.k2) is RBF
        and np.ndim(kernel.k2.length_scale) == 0
        and not kernel.k1.hyperparameter_constant_value.fixed
        and not kernel.k2.hyperparameter_length_scale.fixed
    )


class GaussianProcess(GaussianProcessClassifier):
    """``GaussianProcessClassifier`` whose binary fit with the search's kernel runs
    ``_LeanLaplace`` (the same numbers, less overhead); anything else runs the parent."""

    def fit(self, X, y):
        if not (_lean_kernel(self.kernel) and len(np.unique(y)) == 2):
            return super().fit(X, y)
        X, y = validate_data(self, X, y, multi_output=False, ensure_2d=True, dtype="numeric")
        self.base_estimator_ = _LeanLaplace(
            kernel=self.kernel,
            optimizer=self.optimizer,
            n_restarts_optimizer=self.n_restarts_optimizer,
            max_iter_predict=self.max_iter_predict,
            warm_start=self.warm_start,
            copy_X_train=self.copy_X_train,
            random_state=self.random_state,
        )
        self.classes_ = np.unique(y)
        self.n_classes_ = self.classes_.size
        self.base_estimator_.fit(X, y)
        self.log_marginal_likelihood_value_ = self.base_estimator_.log_marginal_likelihood()
        return self
