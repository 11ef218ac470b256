"""Benchmark: the forward-LR selection repeated in bootstrap resamples, as the 20,000-patient
report runs it (``validate(stepwise, B=1000)``), compiled (numba) against the numpy path.

The report's selection and training patients are captured from a run of ``python -m
hccstats.report`` on ``hccstats.demo.make_study(n, images=False)`` (clinical-only, as
``bench_report.py``), stopped when the internal validation starts. Then ``R`` of its 1000
resamples are repeated by ``_selected_chunk`` (the selection and the resample's indices, 10
resamples a chunk as ``validate`` does), alternating the compiled routine and the numpy path
(``hccstats.logistic._stepwise.COMPILED``), on one thread and on two; BLAS on one thread. It
prints CPU and wall milliseconds per resample, and checks that both paths keep the same
candidates and give the same training and test indices (to 1e-12).

Run:  .venv/bin/python benchmarks/bench_select_resamples.py [--n 20000] [--R 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _cpu import cpu_seconds  # benchmarks/_cpu.py, beside this script
from bench_report import _clinical_only


class _Captured(BaseException):  # not caught by the report as a failed stage
    pass


def capture(n: int, seed: int):
    """(the report's Stepwise, its training patients' design and outcome, B, seed)."""
    import hccstats.report._calib as perf  # the internal validations start there
    from hccstats.demo import make_study
    from hccstats.report.__main__ import main as report_main

    got = {}

    def stop(fit, B, seed, selection=None, n_jobs=None):
        if selection is None or getattr(selection, "direction", None) != "forward":
            return original(fit, B, seed, selection, n_jobs)
        got["args"] = (selection, B, seed)
        raise _Captured

    original = perf.internal_validation
    perf.internal_validation = stop
    try:
        with tempfile.TemporaryDirectory() as tmp:
            study = make_study(Path(tmp) / "study", n=n, seed=seed, images=False)
            _clinical_only(Path(study))
            argv = ["--config", str(study), "--out", str(Path(tmp) / "r"), "--no-r", "--quiet"]
            try:
                report_main(argv)
            except _Captured:
                pass
    finally:
        perf.internal_validation = original
    if "args" not in got:
        sys.exit("the report ran no internal validation with a forward selection")
    return got["args"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--R", type=int, default=200, help="resamples timed (of the report's B)")
    args = ap.parse_args()
    from hccstats.calibration import _validate
    from hccstats.calibration._resample import bootstrap_indices, run_chunks
    from hccstats.logistic import _stepwise

    selection, B, seed = capture(args.n, args.seed)
    design, blocks = selection.candidate_design()
    X, y = design.X, design.y
    idx = bootstrap_indices(len(y), B, seed, None)[: args.R]
    print(
        f"{len(y)} training patients, {X.shape[1]} design columns, candidates "
        f"{selection.candidates}; {args.R} of B = {B} resamples"
    )

    def run(compiled: bool, n_jobs: int):
        _stepwise.COMPILED = compiled

        def chunk(ix):
            return _validate._selected_chunk(selection, X, y, blocks, ix)

        t0, c0 = time.perf_counter(), cpu_seconds()
        parts = run_chunks(chunk, idx, n_jobs, chunk=10)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        return parts, 1e3 * wall / args.R, 1e3 * cpu / args.R

    run(True, 1)  # compile (or load the cache)
    results = {}
    for _ in range(2):
        for compiled in (True, False):
            for n_jobs in (1, 2):
                parts, wall, cpu = run(compiled, n_jobs)
                results[compiled] = parts
                name = "compiled" if compiled else "numpy   "
                print(
                    f"{name} n_jobs={n_jobs}: {cpu:5.1f} ms CPU, {wall:5.1f} ms wall per resample"
                    f" (load average {os.getloadavg()[0]:.1f})"
                )
    a, b = results[True], results[False]
    for k in (0, 1):
        x, z = np.vstack([p[k] for p in a]), np.vstack([p[k] for p in b])
        np.testing.assert_allclose(x, z, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.vstack([p[3] for p in a]), np.vstack([p[3] for p in b]))
    print("both paths: the same candidates kept, the same indices to 1e-12")


if __name__ == "__main__":
    main()
