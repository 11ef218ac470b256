"""Benchmark: the full DL-signature search of the study (no R counterpart).

3 phases x 3 selectors (ANOVA, RFE, ReliefF) x 5 classifiers (RF, SVM, LASSO, AdaBoost,
GP) on 195 patients x 1472 features per phase, 5-fold stratified CV with the number of
kept features tuned by 3-fold inner CV (preset "standard"), then the refit of the best
pipeline per phase and the stacked mp-MR fusion. The study did this in its own scripts;
there is no R package doing the same search, so only hccstats is timed (no ratio).

Data: VGG-like features (non-negative, correlated through 30 latent factors, two of
which carry the outcome), 54 events among 195 as in the study's training set.

Run:  .venv/bin/python benchmarks/bench_signature.py [--presets fast standard] [--n-jobs 2]
      [--scheduler ADDRESS]  (a Dask scheduler: the folds run on its workers)

Wall time is noisy on a shared machine, so the CPU seconds of this process and of its
joblib worker processes are reported too (``cpu_s``; the idle-machine estimate on ``n``
cores is about ``cpu_s / n``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
from _cpu import cpu_seconds  # benchmarks/_cpu.py, beside this script


def vgg_like(n=195, p=1472, events=54, seed=2023, phases=("AP", "PVP", "HBP")):
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    y = pd.Series(np.r_[np.ones(events, int), np.zeros(n - events, int)], index=ids)
    tables = {}
    for ph in phases:
        F = rng.normal(size=(n, 30))
        F[:, :2] += 0.6 * y.to_numpy()[:, None]
        L = rng.normal(size=(30, p)) * (rng.uniform(size=(1, p)) < 0.3)
        X = np.maximum(F @ L / 3 + rng.normal(size=(n, p)), 0)  # ReLU-like
        tables[ph] = pd.DataFrame(X, index=ids, columns=[f"vgg19_f{j}" for j in range(p)])
    return tables, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", nargs="+", default=["fast", "standard"])
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = ap.parse_args()
    from hccstats.signature import fuse_signatures, signature_search

    tables, y = vgg_like()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    print("data: 3 phases x 195 patients x 1472 features; 3 selectors x 5 classifiers\n")
    rows = []
    for preset in args.presets:
        t0, c0 = time.perf_counter(), cpu_seconds()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = signature_search(
                tables,
                y,
                preset=preset,
                seed=2023,
                n_jobs=args.n_jobs,
                scheduler=args.scheduler,
            )
            fuse_signatures(res)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        s = res.settings
        rows.append(
            {
                "preset": preset,
                "cv": f"{s['n_splits']}-fold x {s['n_repeats']}",
                "k_grid": str(s["k_grid"]),
                "pipelines": len(res.table),
                "n_jobs": args.n_jobs,
                "seconds": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "best": "; ".join(
                    f"{p}: {b[0]}+{b[1]} {res[p].table['mean_auc'].max():.3f}"
                    for p, b in res.best.items()
                ),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\nR: no counterpart (no R package runs this search); ratio not applicable.")


if __name__ == "__main__":
    main()
