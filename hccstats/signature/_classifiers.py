"""The five classifiers of the study, configured explicitly and reproducibly.

Every estimator that draws random numbers gets ``random_state=seed``; the same seed gives
the same probabilities. Penalisation is stated for each one.
"""

from __future__ import annotations

from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from .._errors import InputError
from ._ensembles import AdaBoostStumps, RandomForest
from ._gp import GaussianProcess
from ._lasso import L1LogisticCV
from ._platt import PlattCalibrated

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
        "LASSO logistic regression: L1 penalty (intercept penalised too, as liblinear does), "
        "C chosen from 10 values (1e-4..1e4, log grid) by 3-fold stratified cross-validated "
        "log-loss (seeded folds); solved along the C grid with warm starts by proximal Newton "
        "steps with coordinate descent (glmnet / liblinear's newGLMNET, tolerance 1e-8)"
    ),
    "adaboost": "AdaBoost (SAMME): 50 decision stumps, learning rate 1",
    "gp": (
        "Gaussian process classifier: kernel ConstantKernel(1.0) * RBF(length_scale=1.0) "
        "(isotropic), hyper-parameters by maximising the Laplace-approximated log marginal "
        "likelihood (L-BFGS-B, no restarts)"
    ),
}


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
        return PlattCalibrated(
            SVC(kernel="rbf", C=1.0, gamma="scale"),
            method="sigmoid",
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
            ensemble=False,
        )
    if name == "lasso":
        return L1LogisticCV(Cs=10, cv=3, random_state=seed)
    if name == "adaboost":
        return AdaBoostStumps(n_estimators=50, learning_rate=1.0, random_state=seed)
    if name == "gp":
        return GaussianProcess(
            kernel=ConstantKernel(1.0) * RBF(length_scale=1.0),
            n_restarts_optimizer=0,
            random_state=seed,
        )
    raise InputError(f"classifiers: unknown classifier {name!r}; choose from {sorted(CLASSIFIERS)}")
