"""Benchmark: paired DeLong test of two correlated scores, hccstats vs pROC, same run.

n = 1,000,000 patients (prevalence 0.3), two correlated scores. Timed:
  * construction: two ROC curves (hccstats.roc / pROC::roc);
  * test: the paired DeLong test on the built curves (hccstats.roc_test / pROC::roc.test);
  * total: both (what a user runs).
pROC is timed inside R (``proc.time``), after the data were copied into R, so the rpy2
transfer is not counted. Each timing is the median of ``--repeats`` runs. The ratio is
hccstats / pROC (below 1: hccstats is faster); the headline ratio is the total.
Peak memory: tracemalloc peak of hccstats's allocations (numpy reports to tracemalloc) and
R's "max used" memory (``gc``) during pROC's run, for context.

Usage:  .venv/bin/python benchmarks/bench_delong.py [--n 1000000] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np

import hccstats as hs
from hccstats import rbridge

R_CODE = """
suppressPackageStartupMessages(library(pROC))
res <- matrix(NA_real_, nrow = reps, ncol = 2)
invisible(gc(reset = TRUE))
for (i in seq_len(reps)) {
  t0 <- proc.time()[["elapsed"]]
  r1 <- roc(y, s1, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(y, s2, levels = c(0, 1), direction = "<", quiet = TRUE)
  t1 <- proc.time()[["elapsed"]]
  tt <- roc.test(r1, r2, method = "delong")
  t2 <- proc.time()[["elapsed"]]
  res[i, ] <- c(t1 - t0, t2 - t1)
}
g <- gc()
list(build = res[, 1], test = res[, 2], z = unname(tt$statistic), p = tt$p.value,
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

    builds, tests = [], []
    for _ in range(args.repeats):
        b, t, result = run_hccstats(y, s1, s2)
        builds.append(b)
        tests.append(t)
    tracemalloc.start()
    run_hccstats(y, s1, s2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    r = rbridge.run(R_CODE, y=y, s1=s1, s2=s2, reps=args.repeats)
    r_build = statistics.median(np.atleast_1d(r["build"]))
    r_test = statistics.median(np.atleast_1d(r["test"]))
    h_build, h_test = statistics.median(builds), statistics.median(tests)

    print(f"Paired DeLong test, n = {args.n:,} (prevalence 0.3), median of {args.repeats} runs")
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, "
        f"pROC {r['version']}"
    )
    print(f"{'step':<28}{'hccstats (s)':>14}{'pROC (s)':>12}{'ratio':>9}")
    for name, h, rr in (
        ("roc() x 2 (construction)", h_build, r_build),
        ("roc_test / roc.test", h_test, r_test),
        ("total (compared)", h_build + h_test, r_build + r_test),
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
    print(f"ratio (total, hccstats / pROC): {(h_build + h_test) / (r_build + r_test):.3f}")


if __name__ == "__main__":
    main()
