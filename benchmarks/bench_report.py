"""Benchmark: a clinical-only report on a simulated 20,000-patient study (no R counterpart).

The study folder (study.yaml, clinical.csv, readers.csv; no images, so no deep-learning
signature) is simulated by ``hccstats.demo.make_study(n, images=False)`` into a temporary
folder, then ``python -m hccstats.report --config study.yaml --no-r`` runs on it; each
stage's wall time is printed by the report's progress lines, and the total wall and CPU
seconds at the end. ``--r`` runs the R cross-check too (timed separately, as its own stage).

Run:  .venv/bin/python benchmarks/bench_report.py [--n 20000] [--r]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from _cpu import cpu_seconds  # benchmarks/_cpu.py, beside this script


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--r", action="store_true", help="run the R cross-check too")
    args = ap.parse_args()
    from hccstats.demo import make_study
    from hccstats.report.__main__ import main as report_main

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        study = make_study(Path(tmp) / "study", n=args.n, seed=args.seed, images=False)
        _clinical_only(Path(study))
        print(f"simulated {args.n} patients in {time.perf_counter() - t0:.1f} s\n")
        argv = ["--config", str(study), "--out", str(Path(tmp) / "report")]
        if not args.r:
            argv.append("--no-r")
        t0, c0 = time.perf_counter(), cpu_seconds()
        code = report_main(argv)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(f"\nreport exit code {code}: {wall:.1f} s wall, {cpu:.1f} CPU s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def _clinical_only(study: Path) -> None:
    """Drop the study file's features section: no feature tables exist, and a study that asks
    for them would (rightly) get a partial report, exit code 3."""
    import yaml

    config = yaml.safe_load(study.read_text(encoding="utf-8"))
    config.pop("features", None)
    study.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main()
