"""study.yaml's survival section: schema, loading, one-line errors, and the demo's known truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hccstats import InputError
from hccstats.demo import make_study
from hccstats.study import load


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("pristine"), n=60, seed=5, images=False).parent


@pytest.fixture
def study(pristine, tmp_path) -> Path:
    dest = tmp_path / "study"
    shutil.copytree(pristine, dest)
    return dest


def _edit_yaml(folder: Path, change) -> None:
    cfg = yaml.safe_load((folder / "study.yaml").read_text())
    change(cfg)
    (folder / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def _set_cell(folder: Path, row: int, col: str, value: str) -> None:
    df = pd.read_csv(folder / "clinical.csv", dtype=str, keep_default_na=False)
    df.loc[row, col] = value
    df.to_csv(folder / "clinical.csv", index=False)


def _error(folder: Path) -> str:
    with pytest.raises(InputError) as info:
        load(folder / "study.yaml", check_images=False)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_demo_survival_is_consistent_with_the_binary_endpoint(study):
    s = load(study / "study.yaml", check_images=False)
    assert s.survival == {"time": "months_to_recurrence", "event": "recurred", "horizon": 24.0}
    d = s.data
    assert d["recurred"].dtype == np.int64 and d["months_to_recurrence"].dtype == float
    # the known truth: early recurrence = recurrence by 24 months; nobody censored before 24
    by_horizon = (d["recurred"] == 1) & (d["months_to_recurrence"] <= 24)
    assert (by_horizon.astype(int) == d["early_recurrence"]).all()
    assert (d.loc[d["recurred"] == 0, "months_to_recurrence"] > 24).all()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["survival"].pop("horizon"), "survival.horizon: missing"),
        (lambda c: c["survival"].update(horizon=-3), "survival.horizon: expected a positive"),
        (lambda c: c["survival"].update(unit="months"), "survival: unknown key(s) ['unit']"),
        (lambda c: c["survival"].update(event="nope"), "missing column 'nope'"),
        (lambda c: c["survival"].update(event="months_to_recurrence"), "the same column"),
    ],
)
def test_survival_schema_errors(study, change, message):
    _edit_yaml(study, change)
    assert message in _error(study)


@pytest.mark.parametrize(
    "col, value, message",
    [
        ("recurred", "2", "expected 0 (censored) or 1 (event) at row 2"),
        ("months_to_recurrence", "-1", "expected a time >= 0 at row 2"),
        ("months_to_recurrence", "", "missing at row 2"),
        ("recurred", "yes", "not a number at row 2"),
    ],
)
def test_survival_value_errors_name_the_patient(study, col, value, message):
    _set_cell(study, 0, col, value)
    msg = _error(study)
    assert f"column {col!r}" in msg and message in msg and "HCC0001" in msg


def test_study_without_survival_section_loads(study):
    _edit_yaml(study, lambda c: c.pop("survival"))
    assert load(study / "study.yaml", check_images=False).survival is None
