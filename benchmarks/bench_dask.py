"""Benchmark: feature extraction and the signature search, one process vs a Dask cluster.

A local ``distributed.LocalCluster`` of 2 worker processes x 1 thread stands in for a
cluster (on this 2-core machine it can only show the overhead and that the results are the
same; the speed-up comes from more workers). Both comparisons check that the tables are
identical.

1. Extraction (``run_study``) of a synthetic cohort (``extract.synthetic.make_study``,
   12 x 96 x 96 volumes, 3 phases, random weights, size 64, N4 shrink 8 with 20,20
   iterations): one process (``jobs=1``, and ``jobs=2`` joblib workers) vs
   ``scheduler=<local cluster>`` (the shards as Dask tasks, then merged), with N4 on the
   one-process run's ITK threads and on one thread (``itk_threads=1``, as jobs=2's
   workers); the parquet files are compared byte for byte with the matching one-process run.
2. The signature search on ``bench_signature.py``'s VGG-like data (195 patients x 1472
   features): ``n_jobs=2`` vs ``scheduler=<local cluster>``; the tables, fold tables and
   out-of-fold predictions are compared as CSV text.

Run:  .venv/bin/python benchmarks/bench_dask.py [--patients 48] [--presets fast]
      [--phases AP PVP HBP] [--skip-extraction] [--skip-signature]

Wall time is noisy on a shared machine: the CPU seconds of this process and of all its
child processes (joblib's and the cluster's workers) are printed too.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from _cpu import cpu_seconds  # benchmarks/_cpu.py, beside this script
from bench_signature import vgg_like

EXTRACT = {
    "random_weights": True,
    "size": 64,
    "n4_shrink": 8,
    "n4_iterations": (20, 20),
    "quiet": True,
}


def _timed(fn):
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - t0, cpu_seconds() - c0


def _digest(tables: dict) -> str:
    h = hashlib.sha256()
    for phase in sorted(tables):
        h.update(Path(tables[phase]).read_bytes())
    return h.hexdigest()


def bench_extract(n_patients: int, scheduler: str, root: Path) -> list[dict]:
    from extract import run_study
    from extract.synthetic import make_study

    study = make_study(root / "study", n=n_patients, shape=(12, 96, 96), seed=7)
    # label: (arguments, the run whose parquet files it must equal); N4's round-off depends
    # on ITK's thread count: jobs=1 uses the cores, jobs=2's worker processes one thread each
    runs = {
        "one process, jobs=1": ({"jobs": 1}, None),
        "one process, jobs=2 (joblib)": ({"jobs": 2}, None),
        "LocalCluster 2 workers x 1 thread": ({"scheduler": scheduler}, "one process, jobs=1"),
        "LocalCluster, --itk-threads 1": (
            {"scheduler": scheduler, "itk_threads": 1},
            "one process, jobs=2 (joblib)",
        ),
    }
    rows, digests = [], {}
    for k, (label, (kw, reference)) in enumerate(runs.items()):
        summary, wall, cpu = _timed(
            lambda kw=kw, k=k: run_study(study, root / f"out{k}", **EXTRACT, **kw)
        )
        digests[label] = _digest(summary.tables)
        rows.append(
            {
                "extraction": label,
                "patients": summary.n_patients,
                "failed": summary.n_failed,
                "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "parquet files identical to": (
                    f"{reference}: {digests[label] == digests[reference]}" if reference else ""
                ),
            }
        )
    return rows


def _same(a, b) -> bool:
    return all(
        a[p].table.to_csv() == b[p].table.to_csv()
        and a[p].fold_table.to_csv() == b[p].fold_table.to_csv()
        and a[p].oof_predictions.to_csv() == b[p].oof_predictions.to_csv()
        for p in a.table["phase"].unique()
    )


def bench_signature(presets, phases, scheduler: str) -> list[dict]:
    from hccstats.signature import signature_search

    tables, y = vgg_like(phases=tuple(phases))
    rows = []
    for preset in presets:
        results = {}
        for label, kw in (("n_jobs=2", {"n_jobs": 2}), ("LocalCluster", {"scheduler": scheduler})):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res, wall, cpu = _timed(
                    lambda kw=kw, preset=preset: signature_search(
                        tables, y, preset=preset, seed=2023, **kw
                    )
                )
            results[label] = res
            rows.append(
                {
                    "signature search": f"{preset}, {len(phases)} phase(s)",
                    "run": label,
                    "wall_s": round(wall, 1),
                    "cpu_s": round(cpu, 1),
                }
            )
        same = _same(results["n_jobs=2"], results["LocalCluster"])
        for row in rows[-2:]:
            row["tables identical"] = same
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=48)
    ap.add_argument("--presets", nargs="+", default=["fast"])
    ap.add_argument("--phases", nargs="+", default=["AP", "PVP", "HBP"])
    ap.add_argument("--skip-signature", action="store_true")
    ap.add_argument("--skip-extraction", action="store_true")
    args = ap.parse_args()
    from distributed import LocalCluster

    print(
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        tempfile.TemporaryDirectory() as tmp,
    ):
        address = cluster.scheduler_address
        if not args.skip_extraction:
            rows = bench_extract(args.patients, address, Path(tmp))
            print(pd.DataFrame(rows).to_string(index=False))
            print(f"load average: {os.getloadavg()[0]:.1f}\n")
        if not args.skip_signature:
            rows = bench_signature(args.presets, args.phases, address)
            print(pd.DataFrame(rows).to_string(index=False))
            print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
