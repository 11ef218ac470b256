"""Benchmark: hccstats.coxph against survival::coxph on 100,000 patients x 20 covariates.

Both sides fit the same simulated data (Efron ties, integer follow-up months so that ties
occur) in the same run; R's time is measured inside R (``system.time`` around ``coxph`` only,
data already in R). Each side is timed ``--repeat`` times and the fastest run is reported;
hccstats is timed after a small warm-up call (numba's compiled concordance loop is cached on
disk after the first use). Both report coefficients, SEs, the three tests and the concordance
with its SE; the largest relative coefficient difference is printed as a check.

    .venv/bin/python benchmarks/bench_coxph.py [--n 100000] [--p 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np
import pandas as pd

import hccstats as hs
from hccstats.rbridge import r_versions, run


def simulate(n: int, p: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.linspace(0.5, -0.3, p)
    t_event = rng.exponential(24.0 * np.exp(-(X @ beta)))
    t_cens = rng.uniform(0, 60, n)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, p + 1)])
    data.insert(0, "time", np.ceil(np.minimum(t_event, t_cens)))  # whole months: many ties
    data.insert(1, "event", (t_event <= t_cens).astype(int))
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--p", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = simulate(args.n, args.p)
    rhs = " + ".join(data.columns[2:])
    formula = f"Surv(time, event) ~ {rhs}"

    hs.coxph(formula, data.iloc[:500])  # warm-up (numba compile or cache load)
    ours = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = hs.coxph(formula, data)
        ours.append(time.perf_counter() - t0)

    r = run(
        f"""suppressPackageStartupMessages(library(survival))
        best <- Inf
        for (i in seq_len(k)) {{
          tt <- system.time(f <- coxph(Surv(time, event) ~ {rhs}, data = d))["elapsed"]
          best <- min(best, tt)
        }}
        list(time = unname(best), coef = unname(coef(f)), conc = unname(f$concordance[6:7]))""",
        d=data,
        k=args.repeat,
    )
    diff = np.max(np.abs(fit.coef.to_numpy() - r["coef"]) / np.abs(r["coef"]))
    v = r_versions("survival")
    load = os.getloadavg()[0]
    print(f"coxph, {args.n:,} patients x {args.p} covariates, {fit.n_events:,} events, Efron ties")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {load:.1f}; "
        f"{datetime.date.today()}; R {v['R']}, survival {v['survival']}"
    )
    print(
        f"hccstats.coxph    best of {args.repeat}: {min(ours):7.3f} s  (all: "
        + ", ".join(f"{t:.3f}" for t in ours)
        + ")"
    )
    print(f"survival::coxph   best of {args.repeat}: {r['time']:7.3f} s")
    print(f"ratio hccstats / R: {min(ours) / r['time']:.2f}  (goal: <= 1)")
    print(
        f"check: max relative coefficient difference {diff:.1e}; "
        f"C {fit.concordance.concordance:.6f} vs R {r['conc'][0]:.6f}"
    )


if __name__ == "__main__":
    main()
