"""Benchmark: paired DeLong test of two correlated scores, hccstats vs pROC, same run.

n = 1,000,000 patients (prevalence 0.3), two correlated scores. Timed:
  * construction: two ROC curves (hccstats.roc / pROC::roc);
  * test: the paired DeLong test on the built curves (hccstats.roc_test / pROC::roc.test);
  * total: both (what a user runs).
pROC is timed inside R (``proc.time``), after the data were copied into R once, so the rpy2
transfer is not counted. The two alternate, one hccstats run then one pROC run, ``--repeats``
times, so that both see the same load on a shared machine; each timing is the best of the
runs (the median is printed too). The ratio is hccstats / pROC (below 1: hccstats is
faster); the headline ratio is the best-of-N total. The load average is printed at the
start and the end.
Peak memory: tracemalloc peak of hccstats's allocations (numpy reports to tracemalloc) and
R's "max used" memory (``gc``) during pROC's run, for context.

Usage:  .venv/bin/python benchmarks/bench_delong.py [--n 1000000] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

import hccstats as hs
from hccstats import rbridge

R_CODE = """
suppressPackageStartupMessages(library(pROC))
t0 <- proc.time()[["elapsed"]]
r1 <- roc(d$y, d$s1, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(d$y, d$s2, levels = c(0, 1), direction = "<", quiet = TRUE)
t1 <- proc.time()[["elapsed"]]
tt <- roc.test(r1, r2, method = "delong")
t2 <- proc.time()[["elapsed"]]
rm(r1, r2)
g <- gc()
list(build = t1 - t0, test = t2 - t1, z = unname(tt$statistic), p = tt$p.value,
     max_mb = sum(g[, ncol(g)]), version = as.character(packageVersion("pROC")))
"""


def run_hccstats(y, s1, s2):
    t0 = time.perf_counter()
    r1 = hs.roc(y, s1, direction="<")
    r2 = hs.roc(y, s2, direction="<")
    t1 = time.perf_counter()
    t = hs.roc_test(r1, r2, method="delong")
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    y = (rng.random(args.n) < 0.3).astype(np.int64)
    s1 = y + rng.normal(size=args.n)
    s2 = 0.8 * s1 + 0.6 * rng.normal(size=args.n)  # correlated with s1 (r ~ 0.8)

    t0 = time.perf_counter()
    run_hccstats(y[:1000], s1[:1000], s2[:1000])  # numba's compiled loops load from disk
    print(f"warm-up (1,000 patients, first call in the process): {time.perf_counter() - t0:.2f} s")
    load_start = os.getloadavg()
    data = rbridge.run("list(y = y, s1 = s1, s2 = s2)", convert=False, y=y, s1=s1, s2=s2)
    rbridge.run("invisible(gc(reset = TRUE))")
    builds, tests, r_builds, r_tests = [], [], [], []
    for _ in range(args.repeats):
        b, t, result = run_hccstats(y, s1, s2)
        builds.append(b)
        tests.append(t)
        r = rbridge.run(R_CODE, d=data)
        r_builds.append(float(r["build"]))
        r_tests.append(float(r["test"]))
    load_end = os.getloadavg()
    tracemalloc.start()
    run_hccstats(y, s1, s2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    h_build, h_test = min(builds), min(tests)
    r_build, r_test = min(r_builds), min(r_tests)
    h_total = min(b + t for b, t in zip(builds, tests))
    r_total = min(b + t for b, t in zip(r_builds, r_tests))

    print(
        f"Paired DeLong test, n = {args.n:,} (prevalence 0.3), best of {args.repeats} "
        "alternating runs"
    )
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, "
        f"pROC {r['version']}"
    )
    print(f"{'step':<28}{'hccstats (s)':>14}{'pROC (s)':>12}{'ratio':>9}")
    for name, h, rr in (
        ("roc() x 2 (construction)", h_build, r_build),
        ("roc_test / roc.test", h_test, r_test),
        ("total (compared)", h_total, r_total),
    ):
        print(f"{name:<28}{h:>14.3f}{rr:>12.3f}{h / rr:>9.3f}")
    print(
        f"Z: hccstats {result.statistic:.10g}, pROC {r['z']:.10g} (rel. diff "
        f"{abs(result.statistic - r['z']) / abs(r['z']):.1e})"
    )
    print(
        f"peak memory: hccstats {peak / 2**20:.1f} MiB (tracemalloc, roc x 2 + roc_test); "
        f"R max used {r['max_mb']:.1f} MiB (gc, whole R session)"
    )
    h_med = statistics.median(b + t for b, t in zip(builds, tests))
    r_med = statistics.median(b + t for b, t in zip(r_builds, r_tests))
    print(
        f"total, median of {args.repeats}: hccstats {h_med:.3f} s, pROC {r_med:.3f} s, "
        f"ratio {h_med / r_med:.3f}"
    )
    start, end = (" ".join(f"{v:.2f}" for v in load) for load in (load_start, load_end))
    print(f"load average (1, 5, 15 min): start {start}, end {end}")
    print(f"ratio (total, best of {args.repeats}, hccstats / pROC): {h_total / r_total:.3f}")


if __name__ == "__main__":
    main()
