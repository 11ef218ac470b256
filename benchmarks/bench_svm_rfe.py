"""Benchmark: the signature search's SVM (Platt) and RFE fits against scikit-learn's own
estimators on search-like data (no R counterpart).

SVM: ``make_classifier("svm", seed)`` (``PlattCalibrated`` on libsvm) against
``CalibratedClassifierCV(SVC(kernel="rbf", C=1, gamma="scale"), method="sigmoid",
cv=StratifiedKFold(5, shuffle=True, random_state=seed), ensemble=False)``, fit + predict_proba
on 104-156 patients x 5-40 min-max scaled features (the sizes of the search's inner and outer
folds and of its k grid). RFE: ``RFESelector(fine_below=p)`` (liblinear straight) against
``sklearn.feature_selection.RFE(LogisticRegression(solver="liblinear", max_iter=1000),
n_features_to_select=1, step=1)`` on 104-156 x 20-60 features. Both inside the search's
``single_threaded()`` context (one BLAS thread, scikit-learn's checks skipped), and the
outputs compared exactly (``numpy.array_equal``).

Run:  .venv/bin/python benchmarks/bench_svm_rfe.py
Prints CPU seconds (``time.process_time``, this process only): best of two rounds.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_selection import RFE
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC


def search_like(n: int, p: int, seed: int):
    """Min-max scaled, non-negative, correlated features; 28 % events."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.28).astype(int)
    y[:10] = [0, 1] * 5
    F = rng.normal(size=(n, 6))
    F[:, 0] += 0.6 * y
    X = np.maximum(F @ rng.normal(size=(6, p)) / 2 + rng.normal(size=(n, p)), 0)
    span = np.ptp(X, axis=0)
    return (X - X.min(axis=0)) / np.where(span > 0, span, 1), y


def _svm_round(make, sets) -> list:
    return [make(i).fit(X, y).predict_proba(X) for i, (X, y) in enumerate(sets)]


def _rfe_round(make, sets) -> list:
    return [make(X).fit(X, y).ranking_ for X, y in sets]


def _best_of_two(run, make, sets) -> tuple[float, list]:
    times, out = [], None
    for _ in range(2):
        t = time.process_time()
        out = run(make, sets)
        times.append(time.process_time() - t)
    return min(times), out


def main() -> None:
    from hccstats.signature import RFESelector, make_classifier
    from hccstats.signature._cv import single_threaded

    svm_sets = [
        search_like(n, p, 10 * i + j)
        for i, n in enumerate((104, 130, 156))
        for j, p in enumerate((5, 10, 20, 40))
    ] * 12
    rfe_sets = [
        search_like(n, p, 7 * i) for i, (n, p) in enumerate([(104, 20), (130, 40), (156, 60)] * 2)
    ]

    def sklearn_svm(seed):
        return CalibratedClassifierCV(
            SVC(kernel="rbf", C=1.0, gamma="scale"),
            method="sigmoid",
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
            ensemble=False,
        )

    def sklearn_rfe():
        model = LogisticRegression(solver="liblinear", max_iter=1000)
        return RFE(model, n_features_to_select=1, step=1)

    print(f"load average {os.getloadavg()[0]:.1f}")
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svm = [
            _best_of_two(_svm_round, make, svm_sets)
            for make in (lambda i: make_classifier("svm", i), sklearn_svm)
        ]
        rfe = [
            _best_of_two(_rfe_round, make, rfe_sets)
            for make in (lambda X: RFESelector(fine_below=X.shape[1]), lambda X: sklearn_rfe())
        ]
    for name, what, ((lean_s, lean), (ref_s, ref)) in (
        ("svm", f"{len(svm_sets)} fits + predict_proba", svm),
        ("rfe", f"{len(rfe_sets)} eliminations, one feature at a time", rfe),
    ):
        same = all(np.array_equal(a, b) for a, b in zip(lean, ref))
        print(
            f"{name}: {what}: hccstats {lean_s:.3f} CPU s, scikit-learn {ref_s:.3f} CPU s "
            f"({ref_s / lean_s:.1f}x); identical: {same}"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
