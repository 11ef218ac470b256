"""Shared test set-up.

Tests that need R carry ``@pytest.mark.r``. Without R they are skipped, except when
``HCCSTATS_REQUIRE_R=1`` (as in CI), where a missing R, rpy2 or R package fails the test.

The suite runs in parallel under pytest-xdist (``make test``: ``-n auto``; setup.cfg:
``--dist loadfile``). Each test file is one unit of work, so a module-scoped fixture runs
once; a session fixture that runs a report runs once for all workers (:func:`run_once`); the
files with the most slow tests are handed out first, so that the longest runs start at once.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest
from filelock import FileLock
from hypothesis import settings

matplotlib.use("Agg")

# Property tests: random exploration when run locally; in CI (.ci/run sets
# HCCSTATS_HYPOTHESIS_PROFILE=ci) a fixed seed, so that CI's verdict on a commit is reproducible and a failure
# there is re-run as it was. Tests that set their own @settings keep them.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HCCSTATS_HYPOTHESIS_PROFILE", "dev"))

R_PACKAGES = ("stats", "rms", "pROC", "car", "vcd", "brglm2")


def run_once(tmp_path_factory, name: str, make: Callable[[Path], list[Path]]) -> list[str]:
    """``make(folder)`` once per test session, in whichever process asks first, the paths it
    returns shared by every process: under pytest-xdist the other workers wait on a file lock
    and read them back (the folder lies beside the workers' own temporary folders). A ``make``
    that raised is tried again by the next process that asks."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each worker's popen-gw<N>
    folder = base / name
    done = base / f"{name}.json"
    with FileLock(base / f"{name}.lock"):
        if done.exists():
            return json.loads(done.read_text())
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        paths = [str(p) for p in make(folder)]
        done.write_text(json.dumps(paths))
    return paths


@pytest.fixture(scope="session")
def demo_clinical_report(tmp_path_factory):
    """One report run on the clinical-only demo study (200 patients, 20 bootstrap resamples),
    read by every module that checks such a report: (study.yaml, output folder)."""

    def make(root: Path) -> list[Path]:
        from hccstats.demo import make_study
        from hccstats.report import run_report

        study = make_study(root / "study", n=200, seed=2023, images=False)
        return [study, run_report(study, out=root / "out", options={"B": 20}, quiet=True)]

    study, out = run_once(tmp_path_factory, "demo-clinical-report", make)
    return Path(study), Path(out)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker: the test files with the most slow tests first (a stable sort,
    so that every worker collects the same order). Under ``--dist loadfile
    --no-loadscope-reorder`` (setup.cfg) the files are handed out in this order, so the
    longest runs start at once rather than last."""
    if not hasattr(config, "workerinput"):
        return
    slow = Counter(i.path for i in items if i.get_closest_marker("slow") is not None)
    items.sort(key=lambda i: -slow[i.path])


def _r_problem() -> str | None:
    try:
        from hccstats.rbridge import require_r

        require_r(*R_PACKAGES)
    except Exception as exc:  # RNotAvailableError or anything rpy2 raises at start-up
        return str(exc)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("r") is None:
        return
    problem = _r_problem()
    if problem is None:
        return
    if os.environ.get("HCCSTATS_REQUIRE_R") == "1":
        pytest.fail(f"HCCSTATS_REQUIRE_R=1 but R is not usable: {problem}", pytrace=False)
    pytest.skip(f"R not usable: {problem}")
