"""Benchmark: the signature search's Gaussian-process fits, hccstats's ``GaussianProcess``
against scikit-learn's ``GaussianProcessClassifier`` (no R counterpart).

The fits are shaped like the search's: ``bench_signature.py``'s VGG-like tables (195 patients,
54 events), 5-fold stratified outer folds (156 training patients) and 3-fold inner folds of
each (104), min-max scaled on the training rows, the ANOVA top-k columns (k = 5, 10, 20, 40),
kernel ``ConstantKernel(1.0) * RBF(1.0)``, BLAS on one thread; each fit is followed by
``predict_proba`` on its held-out rows. For each fit the two estimators run alternately,
``--repeats`` times each, and the smallest CPU time of each counts (the machine is shared);
the fitted hyper-parameters, log marginal likelihood and probabilities must be equal
(``numpy.array_equal``), which the benchmark checks and reports.

Run:  .venv/bin/python benchmarks/bench_gp.py [--phases AP PVP HBP] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from bench_signature import vgg_like  # benchmarks/bench_signature.py, beside this script


def fits(phases):
    """(X_train, y_train, X_test, seed) of the search-like fits."""
    from sklearn.feature_selection import f_classif
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import MinMaxScaler

    tables, y = vgg_like()
    y = y.to_numpy()
    out = []
    for phase in phases:
        X = tables[phase].to_numpy()
        outer = StratifiedKFold(5, shuffle=True, random_state=2023)
        for tr, te in outer.split(X, y):
            splits = [(tr, te)]
            inner = StratifiedKFold(3, shuffle=True, random_state=2023)
            splits += [(tr[a], tr[b]) for a, b in inner.split(X[tr], y[tr])]
            for a, b in splits:
                scaler = MinMaxScaler().fit(X[a])
                Xa, Xb = scaler.transform(X[a]), scaler.transform(X[b])
                order = np.argsort(-np.nan_to_num(f_classif(Xa, y[a])[0]), kind="stable")
                for k in (5, 10, 20, 40):
                    out.append((Xa[:, order[:k]], y[a], Xb[:, order[:k]], 2023))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phases", nargs="+", default=["AP", "PVP", "HBP"])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from hccstats.signature._cv import single_threaded
    from hccstats.signature._gp import GaussianProcess

    jobs = fits(args.phases)
    print(f"load average {os.getloadavg()[0]:.1f}; {len(jobs)} fits")
    best = {"hccstats": 0.0, "sklearn": 0.0}
    differ = 0
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore")
        for X, y, Xt, seed in jobs:
            times, results = {}, {}
            for _ in range(args.repeats):
                for name, cls in (
                    ("hccstats", GaussianProcess),
                    ("sklearn", GaussianProcessClassifier),
                ):
                    t = time.process_time()
                    gp = cls(
                        kernel=ConstantKernel(1.0) * RBF(1.0),
                        n_restarts_optimizer=0,
                        random_state=seed,
                    ).fit(X, y)
                    p = gp.predict_proba(Xt)
                    times[name] = min(times.get(name, np.inf), time.process_time() - t)
                    results[name] = (gp.kernel_.theta, gp.log_marginal_likelihood_value_, p)
            for name in best:
                best[name] += times[name]
            a, b = results["hccstats"], results["sklearn"]
            differ += not (
                np.array_equal(a[0], b[0]) and a[1] == b[1] and np.array_equal(a[2], b[2])
            )
    n = len(jobs)
    for name, total in best.items():
        print(f"{name:9s} {total:7.2f} CPU s  {1000 * total / n:6.1f} ms per fit + predict")
    print(f"ratio {best['hccstats'] / best['sklearn']:.3f}; fits whose results differ: {differ}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
