"""The three selectors of the study: ANOVA F, recursive feature elimination, ReliefF.

Each keeps the ``k`` best features by a score computed in ``fit``; the score does not
depend on ``k``, so ``k`` can be changed after fitting (the search tunes it inside each
cross-validation fold without refitting the selector).
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectKBest, SelectorMixin, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.svm import _liblinear as liblinear
from sklearn.svm._base import _get_liblinear_solver_type
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._relief import ReliefF, top_k_mask

__all__ = [
    "AnovaSelector",
    "RFESelector",
    "ReliefF",
    "lean_l2_logistic",
    "make_selector",
    "SELECTORS",
]


class AnovaSelector(SelectKBest):
    """``SelectKBest(f_classif, k)`` with ``k`` clipped to the number of features.

    R equivalent: ``oneway.test(x ~ y, var.equal = TRUE)$statistic`` per column
    (``summary(aov(x ~ y))`` F), keep the ``k`` largest.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> X = np.c_[[1., 2, 3, 4, 5, 6], [3., 1, 2, 2, 3, 1]]
    >>> AnovaSelector(k=5).fit(X, y).get_support().tolist()
    [True, True]
    """

    def __init__(self, k: int = 10):
        super().__init__(score_func=f_classif, k=k)

    def _check_params(self, X, y):  # k larger than the number of features: keep all, silently
        pass

    def _get_support_mask(self):
        check_is_fitted(self, "scores_")
        return top_k_mask(np.nan_to_num(self.scores_, nan=-np.inf), self.k)


_MAX_ITER = 1000  # liblinear's iteration limit in the elimination's logistic fits
_TOL = 1e-4  # LogisticRegression's default tolerance


def lean_l2_logistic(X: np.ndarray, y: np.ndarray, C):
    """The coefficients of ``LogisticRegression(C=C, solver="liblinear", max_iter=1000)
    .fit(Xr, y)`` for column subsets ``Xr`` of ``X``, as a function that hands each fit
    straight to scikit-learn's liblinear with the arguments ``_fit_liblinear`` passes
    (label codes as float64, unit class weights and sample weights, intercept as a unit
    column (bias 1, penalised), a seed drawn from the global random state, the same
    tolerance, iteration limit and convergence warning), skipping the estimator's per-fit
    validation; the coefficients are bit-identical. ``None`` where scikit-learn's own
    checks must decide (not two classes, an infinite C, values above 1e30)."""
    classes, codes = np.unique(y, return_inverse=True)
    if (
        len(classes) != 2
        or type_of_target(y) != "binary"
        or not (isinstance(C, Real) and not isinstance(C, bool) and 0 < C < np.inf)
        or not np.isfinite(X).all()
        or np.max(X) > 1e30
    ):
        return None
    y_ind = np.require(np.asarray(codes, dtype=np.float64).ravel(), requirements="W")
    class_weight = np.ones(2, dtype=np.float64)  # compute_class_weight(None, ...)
    sample_weight = np.ones(X.shape[0], dtype=np.float64)  # _check_sample_weight(None, X)
    solver = _get_liblinear_solver_type("ovr", "l2", "logistic_regression", False)

    def coef(Xr: np.ndarray) -> np.ndarray:
        liblinear.set_verbosity_wrap(0)
        raw, n_iter = liblinear.train_wrap(
            np.ascontiguousarray(Xr),
            y_ind,
            False,
            solver,
            _TOL,
            1.0,  # bias = intercept_scaling
            C,
            class_weight,
            _MAX_ITER,
            check_random_state(None).randint(np.iinfo("i").max),
            0.1,  # epsilon (unused by logistic regression)
            sample_weight,
        )
        if max(n_iter) >= _MAX_ITER:
            warnings.warn(
                "Liblinear failed to converge, increase the number of iterations.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return raw[0, :-1]

    return coef


class RFESelector(SelectorMixin, BaseEstimator):
    """Recursive feature elimination with an L2 logistic model; keep the last ``k`` standing.

    The model (``LogisticRegression(C=C, solver="liblinear")``, L2-penalised so that it
    exists under separation) is refitted on the remaining features and those with the
    smallest ``|coef|`` are removed: 10 % of the remaining ones at a time while more than
    ``fine_below`` remain, then one at a time. The elimination order is recorded in
    ``ranking_`` (1 = survived longest), so ``k`` only slices it. With ``fine_below >=
    n_features`` this is ``sklearn.feature_selection.RFE(LogisticRegression(C=C,
    solver="liblinear"), n_features_to_select=k, step=1)``. R equivalent: ``caret::rfe``
    with ``lrFuncs`` (ranking by |coefficient|).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = np.c_[rng.normal(size=(80, 4)), y + 0.5 * rng.normal(size=80)]
    >>> RFESelector(k=1).fit(X, y).get_support().tolist()
    [False, False, False, False, True]
    """

    def __init__(self, k: int = 10, C: float = 1.0, fine_below: int = 50):
        self.k = k
        self.C = C
        self.fine_below = fine_below

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        lean = lean_l2_logistic(X, y, self.C)
        model = LogisticRegression(C=self.C, solver="liblinear", max_iter=_MAX_ITER)
        p = X.shape[1]
        remaining = np.arange(p)
        eliminated: list[int] = []  # worst first
        while len(remaining) > 1:
            Xr = X[:, remaining]
            coef = lean(Xr) if lean else model.fit(Xr, y).coef_.ravel()
            n = len(remaining)
            drop = 1 if n <= self.fine_below else max(1, int(0.1 * n))
            worst = np.argsort(np.abs(coef), kind="stable")[:drop]
            eliminated.extend(remaining[worst].tolist())
            remaining = np.delete(remaining, worst)
        order = remaining.tolist() + eliminated[::-1]  # best first
        self.ranking_ = np.empty(p, dtype=np.int64)
        self.ranking_[order] = np.arange(1, p + 1)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "ranking_")
        return top_k_mask(-self.ranking_.astype(float), self.k)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


SELECTORS = {
    "anova": "ANOVA F test (SelectKBest(f_classif)), k largest F",
    "rfe": "recursive feature elimination with an L2 logistic model (C=1), |coef| ranking",
    "relief": "ReliefF (k=10 nearest hits and misses, Manhattan distance), k largest weights",
}


def make_selector(name: str, k: int = 10):
    """A fresh selector by name: ``"anova"``, ``"rfe"`` or ``"relief"``."""
    if name == "anova":
        return AnovaSelector(k=k)
    if name == "rfe":
        return RFESelector(k=k)
    if name == "relief":
        return ReliefF(k=k)
    from .._errors import InputError

    raise InputError(f"selectors: unknown selector {name!r}; choose from {sorted(SELECTORS)}")
