"""Benchmark: forward_lr (SPSS Forward: LR) on 10,000 patients x 50 candidates vs R.

R runs the same procedure: a loop of add1(test = "Rao") / drop1(test = "LRT") on glm
(hccstats/rbridge/stats_forward_lr.R, glm's default control), timed inside R with
system.time so that the data transfer is not counted. Both must select the same terms.

Usage: .venv/bin/python benchmarks/bench_stepwise.py [--n 10000] [--p 50] [--repeat 3]
"""

from __future__ import annotations

import os

# one BLAS thread for both sides (R's reference BLAS is single-threaded; on a shared
# 2-core machine OpenBLAS threads only contend)
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

import hccstats as hs
from hccstats import rbridge

ROOT = Path(__file__).resolve().parents[1]


def cohort(n: int, p: int, seed: int = 2023) -> tuple[pd.DataFrame, list[str]]:
    """p candidates: continuous ones (correlated in pairs) and 4 three-level factors; 8 matter."""
    rng = np.random.default_rng(seed)
    n_fac = 4
    n_num = p - n_fac
    z = rng.normal(size=(n, n_num))
    z[:, 1::2] = 0.5 * z[:, 0::2][:, : z[:, 1::2].shape[1]] + np.sqrt(0.75) * z[:, 1::2]
    d = pd.DataFrame(z, columns=[f"x{i:02d}" for i in range(n_num)])
    for k in range(n_fac):
        d[f"f{k}"] = pd.Categorical(
            rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]), ["a", "b", "c"]
        )
    lp = (
        -1.0
        + 0.4 * d["x00"]
        - 0.3 * d["x01"]
        + 0.25 * d["x05"]
        + 0.2 * d["x10"]
        - 0.15 * d["x17"]
        + 0.1 * d["x30"]
        + 0.35 * (d["f0"] == "c")
        - 0.2 * (d["f2"] == "b")
    )
    d["y"] = (rng.random(n) < 1 / (1 + np.exp(-lp.to_numpy()))).astype(int)
    return d, [c for c in d.columns if c != "y"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--p", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    d, cands = cohort(args.n, args.p)

    py_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sw = hs.forward_lr(d, "y", cands)
        py_times.append(time.perf_counter() - t0)

    src = (ROOT / "hccstats" / "rbridge" / "stats_forward_lr.R").read_text()
    r = rbridge.run(
        src
        + f"""
        times <- numeric(0)
        for (i in seq_len({args.repeat})) {{
          times[i] <- system.time(res <- forward_lr_r(d, "y", cands, exact = FALSE))[["elapsed"]]
        }}
        list(times = times, steps = res$steps)""",
        d=d,
        cands=np.asarray(cands, dtype=object),
    )
    r_times = np.atleast_1d(r["times"])
    same = list(r["steps"]["term"]) == list(sw.steps["term"]) and list(
        r["steps"]["action"]
    ) == list(sw.steps["action"])
    py, rt = min(py_times), float(min(r_times))
    print(
        f"forward_lr, {args.n} patients x {args.p} candidates, {len(sw.steps)} steps, selected {sw.selected}"
    )
    print(
        f"same steps as R: {same}; max |stat diff| rel = "
        f"{np.max(np.abs(sw.steps['statistic'].to_numpy() / r['steps']['statistic'].to_numpy() - 1)):.1e}"
    )
    print(f"{'':<28}{'best of ' + str(args.repeat) + ' (s)':>18}")
    print(f"{'hccstats.forward_lr':<28}{py:>18.3f}")
    print(f"{'R add1/drop1 loop (glm)':<28}{rt:>18.3f}")
    print(
        f"ratio hccstats / R = {py / rt:.3f}  ({rt / py:.1f}x faster)"
        if py < rt
        else f"ratio hccstats / R = {py / rt:.3f}"
    )
    print(
        f"machine: {platform.machine()}, {platform.python_version()}, {rbridge.r_versions()['R']}"
    )
    if not same:
        raise SystemExit("the step sequences differ")


if __name__ == "__main__":
    main()
