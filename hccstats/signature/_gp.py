"""The search's Gaussian process classifier, its hyper-parameters found without per-step
overhead.

scikit-learn's ``GaussianProcessClassifier`` (binary, Laplace approximation; Rasmussen &
Williams 2006, algorithms 3.1, 3.2 and 5.1) maximises the approximate log marginal
likelihood over the kernel's log hyper-parameters with L-BFGS-B. On the search's small folds
(about 130 patients) each of the ~14 evaluations per fit (each ~8 Newton steps) spent much of
its time outside the arithmetic: the kernel objects rebuild their parameters, every SciPy
call re-checks and converts its input, ``solve`` also detects the matrix's structure and
estimates its condition, ``minimize`` wraps the objective twice. ``GaussianProcess`` is the
same estimator (a subclass, same parameters, same fitted attributes, scikit-learn's own
``_BinaryGaussianProcessClassifierLaplace`` inside) whose fit and predictions, for the
search's kernel ``ConstantKernel * RBF`` (isotropic), run exactly scikit-learn's operations in
the same order on the same values: the kernel from the same NumPy operations, the LAPACK
routines SciPy calls (``_gp_linalg``), SciPy's L-BFGS-B loop (``_lbfgsb``), the final
posterior mode reused from the optimiser's last evaluation. Elementwise results do not depend
on the memory order they are written in, so matrices are built where LAPACK reads them; where
the order decides how NumPy later sums (``dot``, ``einsum``), SciPy's order is kept. The
hyper-parameters, the posterior and the probabilities are bit-identical (checked in
``tests/test_signature_ensembles.py``), which matters: the marginal likelihood is flat on
these data, and a change in the last bits moves the fitted hyper-parameters. Any other
kernel or setting uses scikit-learn's code unchanged.

R equivalent: ``kernlab::gausspr`` (a different approximation, so different numbers).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import clone
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process._gpc import _BinaryGaussianProcessClassifierLaplace
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Product
from sklearn.utils import check_random_state
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import check_is_fitted, validate_data

from ._gp_linalg import (
    cdist_sqeuclidean,
    cho_solve_lower,
    cholesky_lower,
    kernel_and_gradient,
    solve_cholesky_factor,
    weigh_kernel,
)
from ._lbfgsb import minimize_lbfgsb

__all__ = ["GaussianProcess"]


class _LeanLaplace(_BinaryGaussianProcessClassifierLaplace):
    """scikit-learn's binary Laplace GPC for ``ConstantKernel * RBF``: the log marginal
    likelihood and its gradient, the fit and the latent mean and variance computed without
    the kernel objects and SciPy's wrappers; ``warm_start`` and other optimisers run the
    parent's code."""

    _last_mode = None

    def log_marginal_likelihood(self, theta=None, eval_gradient=False, clone_kernel=True):
        if theta is None or not eval_gradient or self.warm_start:
            return super().log_marginal_likelihood(theta, eval_gradient, clone_kernel)
        K, dK_length = kernel_and_gradient(self.X_train_, theta)
        mode = self._newton(K)
        self._last_mode = (theta, mode, self.f_cached)
        Z, (pi, W_sr, L, _, a) = mode
        # the parent's gradient (Algorithm 5.1 of GPML), operation for operation; the
        # diagonal right-hand side is symmetric, so its transpose is the same matrix already
        # in the order LAPACK takes
        d_Z = np.empty(theta.shape[0])
        W_col = W_sr.reshape(-1, 1)
        R = W_col * cho_solve_lower(L, np.diag(W_sr).T, overwrite_b=True)
        C = solve_cholesky_factor(L, np.multiply(W_col, K, order="F"))
        s_2 = (
            -0.5 * (K.diagonal() - np.einsum("ij, ij -> j", C, C)) * (pi * (1 - pi) * (1 - 2 * pi))
        )
        R_flat = R.T.ravel()
        resid = self.y_train_ - pi
        for j, C in enumerate((K, dK_length)):
            s_1 = 0.5 * a.T.dot(C).dot(a) - 0.5 * R_flat.dot(C.ravel())
            b = C.dot(resid)
            s_3 = b - K.dot(R.dot(b))
            d_Z[j] = s_1 + s_2.T.dot(s_3)
        return Z, d_Z

    def _posterior_mode(self, K, return_temporaries=False):
        if self.warm_start:
            return super()._posterior_mode(K, return_temporaries)
        result = self._newton(K)
        return result if return_temporaries else result[0]

    def _newton(self, K):
        """The parent's Newton iteration (Algorithm 3.1 of GPML) from ``f = 0``, without the
        input checks; ``B = I + W_sr K W_sr`` and its Cholesky factor in one buffer."""
        f = np.zeros_like(self.y_train_, dtype=np.float64)
        neg_sign = -(self.y_train_ * 2 - 1)
        W_sr_K = np.empty_like(K)
        B = np.zeros(K.shape, order="F")  # each step's B, then its factor L, in place
        log_marginal_likelihood = -np.inf
        for _ in range(self.max_iter_predict):
            pi = expit(f)
            W = pi * (1 - pi)
            W_sr = np.sqrt(W)
            weigh_kernel(K, W_sr, W_sr_K, B)
            L = cholesky_lower(B)
            b = W * f + (self.y_train_ - pi)
            a = b - W_sr * cho_solve_lower(L, W_sr_K.dot(b))
            f = K.dot(a)
            lml = (
                -0.5 * a.T.dot(f)
                - np.log1p(np.exp(neg_sign * f)).sum()
                - np.log(L.diagonal()).sum()
            )
            if lml - log_marginal_likelihood < 1e-10:
                break
            log_marginal_likelihood = lml
        self.f_cached = f
        return log_marginal_likelihood, (pi, W_sr, L, b, a)

    def fit(self, X, y):
        """The parent's ``fit`` (scikit-learn 1.9) for the L-BFGS-B optimiser, step for step,
        with three shortcuts that change no number: integer labels coded by ``np.unique``
        (what ``LabelEncoder`` does for them), the bounds warning looked for only where a
        hyper-parameter lies near its bound, and the final posterior mode taken from the
        last likelihood evaluation where that was at the optimum (the kernel matrix there is
        the one the kernel object would build: the same parameters, the same operations)."""
        self._last_mode = None
        y = np.asarray(y)
        if self.optimizer != "fmin_l_bfgs_b" or self.warm_start or y.dtype.kind not in "biu":
            try:
                return super().fit(X, y)
            finally:
                self._last_mode = None
        self.kernel_ = clone(self.kernel)
        self.rng = check_random_state(self.random_state)
        self.X_train_ = np.copy(X) if self.copy_X_train else X
        self.classes_, self.y_train_ = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            return super().fit(X, y)  # scikit-learn's error

        def obj_func(theta, eval_gradient=True):
            if eval_gradient:
                lml, grad = self.log_marginal_likelihood(theta, True, clone_kernel=False)
                return -lml, -grad
            return -self.log_marginal_likelihood(theta, clone_kernel=False)

        bounds = self.kernel_.bounds
        optima = [self._constrained_optimization(obj_func, self.kernel_.theta, bounds)]
        if self.n_restarts_optimizer > 0:
            if not np.isfinite(bounds).all():
                raise ValueError(
                    "Multiple optimizer restarts (n_restarts_optimizer>0) "
                    "requires that all bounds are finite."
                )
            for _ in range(self.n_restarts_optimizer):
                theta_initial = np.exp(self.rng.uniform(bounds[:, 0], bounds[:, 1]))
                optima.append(self._constrained_optimization(obj_func, theta_initial, bounds))
        lml_values = [optimum[1] for optimum in optima]
        theta = optima[np.argmin(lml_values)][0]
        self.kernel_.theta = theta
        # the parent's check warns where theta is np.isclose to a bound; looser tolerances
        # here only decide whether to run it
        if np.isclose(bounds, theta[:, np.newaxis], rtol=1e-3, atol=1e-6).any():
            self.kernel_._check_bounds_params()
        self.log_marginal_likelihood_value_ = -np.min(lml_values)
        last, self._last_mode = self._last_mode, None
        if last is not None and np.array_equal(last[0], theta):
            _, mode, self.f_cached = last
        else:
            mode = self._newton(self.kernel_(self.X_train_))
        _, (self.pi_, self.W_sr_, self.L_, _, _) = mode
        return self

    def _constrained_optimization(self, obj_func, initial_theta, bounds):
        if self.optimizer != "fmin_l_bfgs_b":
            return super()._constrained_optimization(obj_func, initial_theta, bounds)
        opt_res = minimize_lbfgsb(obj_func, initial_theta, bounds)
        _check_optimize_result("lbfgs", opt_res)
        return opt_res.x, opt_res.fun

    def latent_mean_and_variance(self, X):
        """The parent's (Algorithm 3.2 of GPML) with the kernel's values computed as its
        objects compute them (``Product``: ``full(c) * exp(-0.5 * cdist(...))``, the diagonal
        ``c * 1``) and the solve with the Cholesky factor as ``scipy.linalg.solve`` does it."""
        check_is_fitted(self)
        c = self.kernel_.k1.constant_value
        length = np.squeeze(self.kernel_.k2.length_scale).astype(float)
        dists = cdist_sqeuclidean(self.X_train_ / length, X / length)
        K_star = np.multiply(np.exp(-0.5 * dists), c)
        latent_mean = K_star.T.dot(self.y_train_ - self.pi_)
        v = solve_cholesky_factor(
            self.L_, np.multiply(self.W_sr_.reshape(-1, 1), K_star, order="F")
        )
        diag = np.full(X.shape[0], c, dtype=np.array(c).dtype) * np.ones(X.shape[0])
        latent_var = diag - np.einsum("ij,ij->j", v, v)
        return latent_mean, latent_var


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
