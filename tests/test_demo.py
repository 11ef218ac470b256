"""The synthetic demo cohort: marginals, determinism, truth recovery, reader agreement."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccstats.demo import make_study
from hccstats.study import load


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("demo"), n=285, seed=2023, images=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_make_study_writes_the_contract_files(demo):
    root = demo.parent
    for name in ("study.yaml", "clinical.csv", "readers.csv", "truth.json", "truth.csv"):
        assert (root / name).is_file(), name
    clinical = pd.read_csv(root / "clinical.csv")
    expected = [
        "patient_id", "center", "age", "sex", "etiology", "hbv_dna", "afp", "alt", "ast", "ggt",
        "neutrophil", "bclc", "tumour_size", "tumour_number", "mvi", "histologic_grade",
        "early_recurrence", "months_to_recurrence",
    ]
    assert clinical.columns.tolist()[: len(expected)] == expected


def test_demo_marginals_against_reference_study(demo):
    # Yan et al. 2023: 285 patients, centres 227/58, tumour number 1/2/3/4 in 223/47/13/2,
    # early recurrence 77/285 = 27.0%. Centres and tumour numbers are allocated exactly;
    # the outcome is a Bernoulli draw with mean risk 0.27: binomial SD sqrt(.27*.73/285) = 2.6
    # points, so +-8 points (3 SD) is the tolerance.
    study = load(demo)
    data = study.data
    assert len(data) == 285
    assert data["center"].value_counts().to_dict() == {"Center 1": 227, "Center 2": 58}
    assert data["tumour_number"].value_counts().sort_index().tolist() == [223, 47, 13, 2]
    assert abs(data["early_recurrence"].mean() - 0.27) < 0.08


def test_demo_same_seed_same_bytes(tmp_path):
    a = make_study(tmp_path / "a", n=60, seed=7, images=False).parent
    b = make_study(tmp_path / "b", n=60, seed=7, images=False).parent
    assert _digests(a) == _digests(b)


def test_demo_different_seed_different_data(tmp_path):
    a = make_study(tmp_path / "a", n=60, seed=7, images=False).parent
    b = make_study(tmp_path / "b", n=60, seed=8, images=False).parent
    ca, cb = (pd.read_csv(p / "clinical.csv") for p in (a, b))
    assert not ca["age"].equals(cb["age"])
    assert (a / "readers.csv").read_bytes() != (b / "readers.csv").read_bytes()
    assert json.loads((a / "truth.json").read_text())["intercept"] != json.loads(
        (b / "truth.json").read_text())["intercept"]
