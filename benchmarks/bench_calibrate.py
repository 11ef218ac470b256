"""Benchmark: hccstats.calibrate / validate against rms::calibrate / validate, B = 1000.

Cases: (a) MASS::birthwt, 189 patients, 5 predictors; (b) 5,000 simulated patients, 10 predictors.
Both sides fit the same model to the same data in the same run; R's time is measured inside R
(``system.time`` around the call only). hccstats is timed after a small warm-up call (numba's
compiled loops are cached on disk after the first use; the warm-up time is printed too).

    .venv/bin/python benchmarks/bench_calibrate.py [--B 1000] [--n-jobs 1]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

import hccstats as hs
from hccstats.rbridge import r_versions, run


def _data():
    bw = run("MASS::birthwt")[["low", "age", "lwt", "smoke", "ptl", "ht"]]
    rng = np.random.default_rng(2023)
    X = rng.normal(size=(5000, 10))
    lp = -1.0 + X @ np.linspace(0.8, -0.4, 10)
    sim = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 11)])
    sim.insert(0, "y", (rng.random(5000) < 1 / (1 + np.exp(-lp))).astype(int))
    return {
        "(a) birthwt 189 x 5": ("low ~ age + lwt + smoke + ptl + ht", bw),
        "(b) simulated 5000 x 10": ("y ~ " + " + ".join(sim.columns[1:]), sim),
    }


def _r_time(what: str, formula: str, data: pd.DataFrame, B: int) -> float:
    code = f"""suppressMessages(library(rms))
    f <- lrm({formula}, data = d, x = TRUE, y = TRUE)
    set.seed(1)
    invisible(capture.output(t <- system.time(r <- {what}(f, B = {B}))))
    unname(t["elapsed"])"""
    return float(run(code, d=data))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--B", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for case, (formula, data) in _data().items():
        fit = hs.lrm(formula, data)
        for what, func in (("calibrate", hs.calibrate), ("validate", hs.validate)):
            t0 = time.perf_counter()
            func(fit, B=10, seed=1, n_jobs=args.n_jobs)
            warm = time.perf_counter() - t0
            t0 = time.perf_counter()
            res = func(fit, B=args.B, seed=1, n_jobs=args.n_jobs)
            ours = time.perf_counter() - t0
            r = _r_time(what, formula, data, args.B)
            rows.append(
                {
                    "case": case,
                    "function": what,
                    "B": args.B,
                    "n_jobs": args.n_jobs,
                    "hccstats_s": round(ours, 2),
                    "rms_s": round(r, 2),
                    "speed-up": round(r / ours, 1),
                    "warm-up_s": round(warm, 2),
                    "failed_fits": res.n_failed,
                }
            )
    table = pd.DataFrame(rows)
    versions = r_versions("rms")
    print(
        f"{platform.node()} {platform.machine()} Python {platform.python_version()}  "
        f"R {versions['R']}  rms {versions['rms']}  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
