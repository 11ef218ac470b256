"""Benchmark: hccstats.calibrate / validate against rms::calibrate / validate, B = 1000.

Cases: (a) MASS::birthwt, 189 patients, 5 predictors; (b) 5,000 simulated patients, 10 predictors.
Both sides fit the same model to the same data in the same run; R's time is measured inside R
(``system.time`` around the call only). hccstats is timed after a small warm-up call (numba's
compiled loops are cached on disk after the first use; the warm-up time is printed too). The
runs alternate (hccstats, R, hccstats, ...) so that both see the same load on a shared
machine; each side's figure is its best run (``--repeats`` for hccstats, ``--r-repeats`` for
R); both sides' CPU seconds (and their ratio, less sensitive to the load) and the load
average at the start and end are printed too.

    .venv/bin/python benchmarks/bench_calibrate.py [--B 1000] [--n-jobs 1] [--repeats 3]
        [--r-repeats 1] [--functions calibrate validate] [--cases a b]
"""

from __future__ import annotations

import argparse
import os
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


def _r_time(what: str, formula: str, data: pd.DataFrame, B: int) -> tuple[float, float]:
    """(elapsed, user + system CPU seconds) of R's call."""
    code = f"""suppressMessages(library(rms))
    f <- lrm({formula}, data = d, x = TRUE, y = TRUE)
    set.seed(1)
    invisible(capture.output(t <- system.time(r <- {what}(f, B = {B}))))
    c(unname(t["elapsed"]), unname(t["user.self"] + t["sys.self"]))"""
    elapsed, cpu = run(code, d=data)
    return float(elapsed), float(cpu)


def _time_ours(func, fit, B: int, n_jobs: int):
    t0, c0 = time.perf_counter(), time.process_time()
    res = func(fit, B=B, seed=1, n_jobs=n_jobs)
    return time.perf_counter() - t0, time.process_time() - c0, res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--B", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="hccstats runs (best is reported)")
    ap.add_argument("--r-repeats", type=int, default=1, help="R runs (best is reported)")
    ap.add_argument("--functions", nargs="+", default=["calibrate", "validate"])
    ap.add_argument("--cases", nargs="+", default=["a", "b"], help="a: birthwt, b: simulated")
    args = ap.parse_args()
    funcs = {"calibrate": hs.calibrate, "validate": hs.validate}
    rows = []
    for case, (formula, data) in _data().items():
        if case[1] not in args.cases:
            continue
        fit = hs.lrm(formula, data)
        for what in args.functions:
            func = funcs[what]
            t0 = time.perf_counter()
            func(fit, B=10, seed=1, n_jobs=args.n_jobs)
            warm = time.perf_counter() - t0
            load_start = os.getloadavg()[0]
            ours, cpu, r_times = [], [], []
            for i in range(max(args.repeats, args.r_repeats)):
                if i < args.repeats:
                    wall, c, res = _time_ours(func, fit, args.B, args.n_jobs)
                    ours.append(wall)
                    cpu.append(c)
                if i < args.r_repeats:
                    r_times.append(_r_time(what, formula, data, args.B))
            best, r = min(ours), min(t[0] for t in r_times)
            r_cpu = min(t[1] for t in r_times)
            rows.append(
                {
                    "case": case,
                    "function": what,
                    "B": args.B,
                    "n_jobs": args.n_jobs,
                    "hccstats_s": round(best, 3),
                    "cpu_s": round(min(cpu), 3),
                    "rms_s": round(r, 2),
                    "speed-up": round(r / best, 1),
                    "rms_cpu_s": round(r_cpu, 2),
                    "cpu speed-up": round(r_cpu / min(cpu), 1),
                    "warm-up_s": round(warm, 2),
                    "load": f"{load_start:.1f}-{os.getloadavg()[0]:.1f}",
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
