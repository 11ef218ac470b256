"""The five classifiers of the study, configured explicitly and reproducibly.

Every estimator that draws random numbers gets ``random_state=seed``; the same seed gives
the same probabilities. Penalisation is stated for each one.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy
from sklearn.calibration import CalibratedClassifierCV
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from .._errors import InputError
from ._ensembles import AdaBoostStumps, RandomForest

__all__ = ["CLASSIFIERS", "make_classifier"]

#: what each classifier is, in words (the report's methods section quotes these)
CLASSIFIERS = {
    "rf": "random forest: 100 trees, sqrt(p) features per split, fully grown trees (unpenalised)",
    "svm": (
        "support vector machine: RBF kernel, C = 1, gamma = 1/(p var(X)); probabilities by "
        "Platt sigmoid calibration on 5-fold stratified out-of-fold decision values "
        "(CalibratedClassifierCV, ensemble=False, seeded folds)"
    ),
    "lasso": (
        "LASSO logistic regression: L1 penalty, C chosen from 10 values (1e-4..1e4, log grid) "
        "by 3-fold stratified cross-validated log-loss (seeded folds), liblinear solver"
    ),
    "adaboost": "AdaBoost (SAMME): 50 decision stumps, learning rate 1",
    "gp": (
        "Gaussian process classifier: kernel ConstantKernel(1.0) * RBF(length_scale=1.0) "
        "(isotropic), hyper-parameters by maximising the Laplace-approximated log marginal "
        "likelihood (L-BFGS-B, no restarts)"
    ),
}


def neg_log_loss(estimator, X, y) -> float:
    """Minus the mean log-loss of ``estimator`` on ``(X, y)``, ``y`` in {0, 1}.

    The same number as ``sklearn.metrics.get_scorer("neg_log_loss")`` (probabilities clipped
    to ``[eps, 1 - eps]``, mean of ``-sum(t * log(p))`` over the one-hot labels ``t``),
    computed directly: the generic scorer's input checks cost more than the small fits
    it scores. R equivalent: ``-mean(y * log(p) + (1 - y) * log(1 - p))``.
    """
    proba = estimator.predict_proba(X)
    eps = np.finfo(proba.dtype).eps
    proba = np.clip(proba, eps, 1 - eps)
    onehot = (np.asarray(y)[:, None] == estimator.classes_[None, :]).astype(proba.dtype)
    return -float(np.average(-np.sum(xlogy(onehot, proba), axis=1)))


def make_classifier(name: str, seed: int = 0):
    """A fresh, seeded classifier by name: ``rf``, ``svm``, ``lasso``, ``adaboost``, ``gp``.

    Examples
    --------
    >>> make_classifier("gp").kernel
    1**2 * RBF(length_scale=1)
    """
    if name == "rf":
        return RandomForest(n_estimators=100, max_features="sqrt", random_state=seed, n_jobs=1)
    if name == "svm":
        return CalibratedClassifierCV(
            SVC(kernel="rbf", C=1.0, gamma="scale"),
            method="sigmoid",
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
            ensemble=False,
        )
    if name == "lasso":
        return LogisticRegressionCV(
            Cs=10,
            l1_ratios=(1.0,),
            solver="liblinear",
            cv=StratifiedKFold(3, shuffle=True, random_state=seed),
            scoring=neg_log_loss,
            max_iter=1000,
            random_state=seed,
            use_legacy_attributes=False,
        )
    if name == "adaboost":
        return AdaBoostStumps(n_estimators=50, learning_rate=1.0, random_state=seed)
    if name == "gp":
        return GaussianProcessClassifier(
            kernel=ConstantKernel(1.0) * RBF(length_scale=1.0),
            n_restarts_optimizer=0,
            random_state=seed,
        )
    raise InputError(f"classifiers: unknown classifier {name!r}; choose from {sorted(CLASSIFIERS)}")
