"""study.yaml's survival section: schema, loading, one-line errors, and the demo's known truth."""

from __future__ import annotations

import numpy as np
import pytest
import test_study_errors as base

from hccstats.study import load

# the loader-error tests' small demo study, a fresh writable copy per test
pristine, study = base.pristine, base.study
_edit_yaml, _error, _set = base._edit_yaml, base._error, base._set


def test_demo_survival_is_consistent_with_the_binary_endpoint(study):
    s = load(study / "study.yaml")
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
        (lambda c: c["survival"].update(scale="log"), "survival: unknown key(s) ['scale']"),
        (lambda c: c["survival"].update(unit=12), "survival.unit: expected a non-empty string"),
        (lambda c: c["survival"].update(label=""), "survival.label: expected a non-empty string"),
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
        ("months_to_recurrence", "-1", "expected a finite time >= 0 at row 2"),
        ("months_to_recurrence", "", "missing at row 2"),
        ("recurred", "yes", "not a number at row 2"),
    ],
)
def test_survival_value_errors_name_the_patient(study, col, value, message):
    _set(study, "clinical.csv", {(0, col): value})
    msg = _error(study)
    assert f"column {col!r}" in msg and message in msg and "HCC0001" in msg


def test_study_without_survival_section_loads(study):
    _edit_yaml(study, lambda c: c.pop("survival"))
    assert (
        load(
            study / "study.yaml",
        ).survival
        is None
    )
