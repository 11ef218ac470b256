"""Shared test set-up.

Tests that need R carry ``@pytest.mark.r``. Without R they are skipped, except when
``HCCSTATS_REQUIRE_R=1`` (as in CI), where a missing R, rpy2 or R package fails the test.
"""

from __future__ import annotations

import os

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# Property tests: random exploration when run locally; in CI (.ci/run sets
# HCCSTATS_HYPOTHESIS_PROFILE=ci) a fixed seed, so that CI's verdict on a commit is reproducible and a failure
# there is re-run as it was. Tests that set their own @settings keep them.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HCCSTATS_HYPOTHESIS_PROFILE", "dev"))

R_PACKAGES = ("stats", "rms", "pROC", "car", "vcd", "brglm2")


@pytest.fixture(scope="session")
def demo_clinical_report(tmp_path_factory):
    """One report run on the clinical-only demo study (200 patients, 20 bootstrap resamples),
    read by every module that checks such a report: (study.yaml, output folder)."""
    from hccstats.demo import make_study
    from hccstats.report import run_report

    root = tmp_path_factory.mktemp("demo-clinical-report")
    study = make_study(root / "study", n=200, seed=2023, images=False)
    return study, run_report(study, out=root / "out", options={"B": 20}, quiet=True)


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
