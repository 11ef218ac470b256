"""extract's command line on bad input and faults: one line and a truthful exit code.

Every run is a real ``python -m extract`` subprocess on synthetic studies in tmp_path,
with seeded random weights and small crops.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("torch")

from extract.synthetic import make_study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--random-weights", "--size", "32", "--quiet"]


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _extract(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "extract", *map(str, args)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line(r) -> str:
    """The run's stderr, asserted to be one line and no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("study"), n=2, shape=(6, 40, 40), seed=3)


@pytest.mark.slow
def test_demo_study_excluded_patient_not_extracted_against_clinical_exclude(tmp_path):
    from hccstats.demo import make_study as make_demo

    yaml_path = make_demo(tmp_path / "d", n=20)
    clinical = pd.read_csv(tmp_path / "d" / "clinical.csv")
    excluded = clinical.loc[clinical["exclusion_reason"].notna(), "patient_id"].astype(str)
    assert len(excluded) >= 1  # the demo screens out round(0.06 * 20) = 1 patient
    r = _extract("--study", yaml_path, "--out", tmp_path / "f", "--random-weights", "--size", 64)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert manifest["n_patients"] == 20 and manifest["failed"] == {}
    assert set(manifest["patients"]).isdisjoint(excluded)
    table = pd.read_parquet(next((tmp_path / "f").glob("*.parquet")))
    assert len(table) == 20 and not set(table["patient_id"]) & set(excluded)


def test_unknown_template_placeholder_one_line_exit_2(study, tmp_path):
    text = study.read_text()
    bad = tmp_path / "study.yaml"
    bad.write_text(text.replace("{patient_id}/", "{patient_id}/{phase}_", 1))
    assert bad.read_text() != text
    for name in ("clinical.csv",):
        (tmp_path / name).write_bytes((study.parent / name).read_bytes())
    r = _extract("--study", bad, "--out", tmp_path / "f", *FAST)
    assert r.returncode == 2
    line = _one_line(r)
    assert "{phase}" in line and "{patient_id}" in line
