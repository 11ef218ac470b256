"""The search's SVM probabilities: Platt scaling on out-of-fold decision values, without the
cross-validation machinery's and the estimators' per-call overhead.

scikit-learn's ``CalibratedClassifierCV(ensemble=False, method="sigmoid")`` gets the
out-of-fold decision values through ``cross_val_predict`` (joblib, cloning, parameter
routing, index bookkeeping), and each ``SVC.fit`` / ``decision_function`` validates its
input, encodes its labels and checks its parameters again; on the search's small folds
this costs several times the SVM fits themselves. ``PlattCalibrated`` is the same estimator
(a subclass, same parameters, same fitted attributes) whose ``fit`` runs the same fits in a
plain loop, each handed straight to scikit-learn's compiled libsvm
(``sklearn.svm._libsvm.fit`` / ``decision_function``) with exactly the arguments
``SVC.fit`` passes: float64 C-ordered rows, label codes as float64, the class-weight array
of ``compute_class_weight``, ``gamma = 1 / (p var(X))`` for ``"scale"``, a seed drawn from
the estimator's random state as ``SVC.fit`` draws it, and the decision values' sign flipped
for two classes. Each fold's decision values are placed at the fold's rows, the estimator is
refitted on all rows (a real, fitted ``SVC``: the same attributes ``SVC.fit`` sets), and
scikit-learn's own ``_sigmoid_calibration`` is fitted on those values. ``predict_proba``
computes the decision values and the sigmoid the same way. The probabilities are
bit-identical (``tests/test_signature_svm_rfe.py``). Any other setting (ensemble, isotonic,
weights, fit parameters, metadata routing, classes too small for the folds, another
estimator or SVC setting, input that is not a finite float array) uses the parent's
methods.

R equivalent: ``e1071::svm`` + ``glm(y ~ f, family = binomial)`` on out-of-fold ``f``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.calibration import (
    CalibratedClassifierCV,
    _CalibratedClassifier,
    _sigmoid_calibration,
    _SigmoidCalibration,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.svm import _libsvm as libsvm
from sklearn.utils import check_random_state

__all__ = ["PlattCalibrated", "lean_svc", "stratified_test_folds"]

_C_SVC = 0  # libsvm's svm_type of SVC (sklearn.svm._base.LIBSVM_IMPL.index("c_svc"))
_KERNELS = ("linear", "poly", "rbf", "sigmoid")


def lean_svc(estimator) -> bool:
    """Whether ``estimator`` is an ``SVC`` whose fit the lean path reproduces exactly:
    a named kernel, unweighted classes, no probability refits, no iteration limit, no
    verbosity and the global random state (the search's ``SVC(kernel="rbf", C=1,
    gamma="scale")``)."""
    if type(estimator) is not SVC:
        return False
    gamma = estimator.gamma
    return (
        estimator.kernel in _KERNELS
        and (
            gamma in ("scale", "auto") or (isinstance(gamma, Real) and not isinstance(gamma, bool))
        )
        and estimator.class_weight is None
        and estimator.probability == "deprecated"
        and estimator.max_iter == -1
        and not estimator.verbose
        and estimator.random_state is None
    )


def _float_input(X) -> np.ndarray | None:
    """``X`` as ``SVC`` validates it (float64, C order), or ``None`` where the lean path
    should leave it to scikit-learn (not a 2-D numeric array; non-finite values unless
    ``assume_finite``)."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind not in "fiub":
        return None
    X = np.ascontiguousarray(X, dtype=np.float64)
    if not get_config()["assume_finite"] and not np.isfinite(X).all():
        return None
    return X


def stratified_test_folds(cv: StratifiedKFold, y: np.ndarray) -> np.ndarray:
    """Each row's test fold under ``cv.split(X, y)``: ``StratifiedKFold._make_test_folds``'s
    arithmetic (classes in order of first appearance, the sorted labels dealt round-robin
    to the folds, each class's fold labels shuffled by the splitter's random state) without
    its per-call target checks. ``y`` has two or more classes, each at least ``n_splits``
    rows; fold ``i`` is ``test_folds == i``, its training rows the others."""
    rng = check_random_state(cv.random_state)
    _, y_idx, y_inv = np.unique(y, return_index=True, return_inverse=True)
    _, class_perm = np.unique(y_idx, return_inverse=True)
    y_encoded = class_perm[y_inv]
    n_classes = len(y_idx)
    y_order = np.sort(y_encoded)
    allocation = np.asarray(
        [np.bincount(y_order[i :: cv.n_splits], minlength=n_classes) for i in range(cv.n_splits)]
    )
    test_folds = np.empty(len(y), dtype="i")
    for k in range(n_classes):
        folds_for_class = np.arange(cv.n_splits).repeat(allocation[:, k])
        if cv.shuffle:
            rng.shuffle(folds_for_class)
        test_folds[y_encoded == k] = folds_for_class
    return test_folds


def _gamma(estimator, X: np.ndarray) -> float:
    """``SVC.fit``'s kernel coefficient for dense ``X``."""
    if estimator.gamma == "scale":
        X_var = X.var()
        return 1.0 / (X.shape[1] * X_var) if X_var != 0 else 1.0
    if estimator.gamma == "auto":
        return 1.0 / X.shape[1]
    return estimator.gamma


def _kernel_args(estimator, gamma: float) -> dict:
    """The kernel settings ``SVC`` passes to both libsvm's ``fit`` and
    ``decision_function``."""
    return {
        "svm_type": _C_SVC,
        "kernel": estimator.kernel,
        "degree": estimator.degree,
        "cache_size": estimator.cache_size,
        "coef0": estimator.coef0,
        "gamma": gamma,
    }


def _libsvm_fit(estimator, X: np.ndarray, codes: np.ndarray, class_weight: np.ndarray):
    """One ``SVC.fit`` of dense float64 ``X`` on label codes 0/1 (float64): libsvm's outputs
    and the kernel coefficient, with the arguments ``SVC._dense_fit`` passes."""
    gamma = _gamma(estimator, X)
    seed = check_random_state(estimator.random_state).randint(np.iinfo("i").max)
    libsvm.set_verbosity_wrap(estimator.verbose)
    out = libsvm.fit(
        X,
        codes,
        sample_weight=np.asarray([], dtype=np.float64),
        class_weight=class_weight,
        C=estimator.C,
        nu=estimator.nu,
        probability=False,
        shrinking=estimator.shrinking,
        tol=estimator.tol,
        epsilon=estimator.epsilon,
        max_iter=estimator.max_iter,
        random_seed=seed,
        **_kernel_args(estimator, gamma),
    )
    _support, _sv, _n_sv, dual_coef, intercept = out[:5]
    if not (np.isfinite(intercept).all() and np.isfinite(dual_coef).all()):
        raise ValueError(
            "The dual coefficients or intercepts are not finite."
            " The input data may contain large values and need to be"
            " preprocessed."
        )
    return out, gamma


def _libsvm_decision(estimator, fitted, gamma: float, X: np.ndarray) -> np.ndarray:
    """``SVC.decision_function`` of a two-class fit (libsvm's values, sign flipped)."""
    support, sv, n_sv, dual_coef, intercept, prob_a, prob_b = fitted[:7]
    dec = libsvm.decision_function(
        X,
        support,
        sv,
        n_sv,
        dual_coef,
        intercept,
        prob_a,
        prob_b,
        **_kernel_args(estimator, gamma),
    )
    return -dec.ravel()


def _set_fitted(svc: SVC, X: np.ndarray, classes, class_weight, fitted, gamma: float) -> SVC:
    """Give an unfitted ``SVC`` the attributes ``SVC.fit`` sets for two classes."""
    (
        svc.support_,
        svc.support_vectors_,
        svc._n_support,
        dual_coef,
        intercept,
        svc._probA,
        svc._probB,
        svc.fit_status_,
        svc._num_iter,
    ) = fitted
    svc.n_features_in_ = X.shape[1]
    svc.class_weight_ = class_weight
    svc.classes_ = classes
    svc._sparse = False
    svc._effective_probability = False
    svc._gamma = gamma
    svc.shape_fit_ = X.shape
    svc._intercept_ = intercept.copy()
    svc._dual_coef_ = dual_coef
    svc.intercept_ = intercept * -1
    svc.dual_coef_ = -dual_coef
    svc.n_iter_ = svc._num_iter
    return svc


class PlattCalibrated(CalibratedClassifierCV):
    """``CalibratedClassifierCV`` whose binary, unweighted, non-ensemble sigmoid fit of a
    plain ``SVC`` with stratified folds runs its folds in a plain loop on libsvm (same
    numbers, less overhead)."""

    def _lean(self, X, y, sample_weight, fit_params) -> bool:
        if (
            self.ensemble is not False
            or self.method != "sigmoid"
            or sample_weight is not None
            or fit_params
            or get_config().get("enable_metadata_routing", False)
            or type(self.cv) is not StratifiedKFold  # every training fold holds both classes
            or not isinstance(X, np.ndarray)
            or not lean_svc(self.estimator)
        ):
            return False
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X) or y.dtype.kind not in "iubUO":
            return False
        _, counts = np.unique(y, return_counts=True)
        return len(counts) == 2 and counts.min() >= self.cv.n_splits

    def fit(self, X, y, sample_weight=None, **fit_params):
        Xf = _float_input(X) if self._lean(X, y, sample_weight, fit_params) else None
        if Xf is None:
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        codes = codes.astype(np.float64)
        weights = np.ones(2, dtype=np.float64)  # compute_class_weight(None, ...)
        svc = self.estimator
        predictions = np.empty(len(y))
        test_folds = stratified_test_folds(self.cv, y)
        for i in range(self.cv.n_splits):
            test = test_folds == i
            train = ~test
            fitted, gamma = _libsvm_fit(svc, Xf[train], codes[train], weights)
            predictions[test] = _libsvm_decision(svc, fitted, gamma, Xf[test])
        fitted, gamma = _libsvm_fit(svc, Xf, codes, weights)
        final = _set_fitted(clone(svc), Xf, self.classes_, weights, fitted, gamma)
        calibrator = _SigmoidCalibration()
        calibrator.a_, calibrator.b_ = _sigmoid_calibration(predictions, codes.astype(np.int64))
        self.calibrated_classifiers_ = [
            _CalibratedClassifier(final, [calibrator], method="sigmoid", classes=self.classes_)
        ]
        self.n_features_in_ = final.n_features_in_
        return self

    def _lean_model(self, X):
        """The fitted SVC and its calibrator where ``predict_proba(X)`` can skip the
        parent's checks, else ``None``."""
        models = getattr(self, "calibrated_classifiers_", None)
        if models is None or len(models) != 1 or models[0].method != "sigmoid":
            return None
        svc = models[0].estimator
        Xf = _float_input(X)
        if (
            Xf is None
            or Xf.shape[1] != getattr(self, "n_features_in_", None)
            or not lean_svc(svc)
            or getattr(svc, "_sparse", True)
            or hasattr(svc, "feature_names_in_")  # fitted on a data frame: its name checks
            or len(self.classes_) != 2
            or len(getattr(svc, "classes_", ())) != 2
        ):
            return None
        return svc, models[0].calibrators[0], Xf

    def predict_proba(self, X):
        lean = self._lean_model(X)
        if lean is None:
            return super().predict_proba(X)
        svc, calibrator, Xf = lean
        fitted = (
            svc.support_,
            svc.support_vectors_,
            svc._n_support,
            svc._dual_coef_,
            svc._intercept_,
            svc._probA,
            svc._probB,
        )
        proba = np.zeros((Xf.shape[0], 2))
        proba[:, 1] = calibrator.predict(_libsvm_decision(svc, fitted, svc._gamma, Xf))
        proba[:, 0] = 1.0 - proba[:, 1]
        proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba
