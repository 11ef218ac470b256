"""The search's SVM probabilities: Platt scaling on out-of-fold decision values, without the
cross-validation machinery's overhead.

scikit-learn's ``CalibratedClassifierCV(ensemble=False, method="sigmoid")`` gets the
out-of-fold decision values through ``cross_val_predict`` (joblib, cloning, parameter
routing, index bookkeeping), which on the search's small folds costs about as much as the
five SVM fits themselves. ``PlattCalibrated`` is the same estimator (a subclass, same
parameters, same fitted attributes) whose ``fit`` runs the same fits in a plain loop: each
fold's estimator fitted on the label codes ``cross_val_predict`` would give it, its decision
values placed at the fold's rows, the estimator refitted on all rows, and scikit-learn's own
``_fit_calibrator`` on those values. The probabilities are bit-identical (checked in
``tests/test_signature_ensembles.py``). Any other setting (ensemble, isotonic, weights, fit
parameters, metadata routing, classes too small for the folds) uses the parent's ``fit``.

R equivalent: ``e1071::svm`` + ``glm(y ~ f, family = binomial)`` on out-of-fold ``f``.
"""

from __future__ import annotations

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV, _fit_calibrator

__all__ = ["PlattCalibrated"]


class PlattCalibrated(CalibratedClassifierCV):
    """``CalibratedClassifierCV`` whose binary, unweighted, non-ensemble sigmoid fit with a
    seeded splitter runs its folds in a plain loop (same numbers, less overhead)."""

    def _lean(self, X, y, sample_weight, fit_params) -> bool:
        if (
            self.ensemble is not False
            or self.method != "sigmoid"
            or sample_weight is not None
            or fit_params
            or get_config().get("enable_metadata_routing", False)
            or not hasattr(self.cv, "split")
            or not isinstance(X, np.ndarray)
            or not hasattr(self.estimator, "decision_function")
        ):
            return False
        _, counts = np.unique(np.asarray(y), return_counts=True)
        n_folds = getattr(self.cv, "n_splits", None)
        return len(counts) == 2 and n_folds is not None and counts.min() >= n_folds

    def fit(self, X, y, sample_weight=None, **fit_params):
        if not self._lean(X, y, sample_weight, fit_params):
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        predictions = np.empty(len(y))
        for train, test in self.cv.split(X, y):
            fold = clone(self.estimator).fit(X[train], codes[train])
            predictions[test] = fold.decision_function(X[test])
        final = clone(self.estimator).fit(X, y)
        self.calibrated_classifiers_ = [
            _fit_calibrator(final, predictions.reshape(-1, 1), y, self.classes_, self.method, xp=np)
        ]
        self.n_features_in_ = final.n_features_in_
        return self
