"""Study-file mistakes a statistician would catch, found by ``load`` before anything runs: a
stepwise entry above removal, a model named like the report's own, a grid of too many
thresholds, a negative seed, a set without events, a horizon outside follow-up, a predictor
that holds the outcome, a survival time that is not a finite number; and error lines kept
short when they list many patients or columns."""

from __future__ import annotations

import numpy as np
import pytest
import test_study_errors as base

from hccstats import InputError
from hccstats.study import load
from hccstats.study._analysis import MAX_THRESHOLDS, STEPWISE_MODEL_NAMES

# the loader-error tests' small demo study, a fresh writable copy per test
pristine, study = base.pristine, base.study
_edit_yaml, _error, _set, _csv = base._edit_yaml, base._error, base._set, base._csv


def _analysis(folder, **keys) -> None:
    _edit_yaml(folder, lambda c: c.setdefault("analysis", {}).update(keys))


# --- analysis: keys that contradict each other ------------------------------------------------


@pytest.mark.parametrize(
    "keys, says",
    [
        ({"entry": 0.2}, "analysis.entry: entry p 0.2 is above removal p 0.1 (the default)"),
        ({"entry": 0.1, "removal": 0.05}, "entry p 0.1 is above removal p 0.05: a variable"),
        ({"removal": 0.01}, "entry p 0.05 (the default) is above removal p 0.01"),
    ],
)
def test_entry_above_removal_is_refused(study, keys, says):
    _analysis(study, **keys)
    assert says in _error(study)


def test_entry_equal_to_removal_loads(study):
    _analysis(study, entry=0.1, removal=0.1)
    assert load(study / "study.yaml").config["analysis"]["entry"] == 0.1


@pytest.mark.parametrize("name", ["Clinical model", "dl  MODEL", "AP DL signature"])
def test_a_prespecified_model_named_like_the_reports_own_is_refused(study, name):
    _analysis(study, models={name: ["age", "mvi"]})
    msg = _error(study)
    assert msg.startswith(f"study.yaml: analysis.models: {name!r} is the report's name of")
    assert "give the prespecified model another name" in msg


def test_the_reserved_names_are_the_reports_model_names():
    from hccstats.report._s_models import CLINICAL, DL

    assert STEPWISE_MODEL_NAMES == (CLINICAL, DL)


def test_a_prespecified_model_with_its_own_name_loads(study):
    _analysis(study, models={"Clinical model 2": ["age", "mvi"]}, selection="none")
    assert load(study / "study.yaml").config["analysis"]["models"] == {
        "Clinical model 2": ["age", "mvi"]
    }


def test_a_threshold_grid_over_the_cap_is_refused_naming_the_least_step(study):
    _analysis(study, dca_thresholds={"from": 0.0, "to": 0.6, "by": 1e-6})
    msg = _error(study)
    assert msg.startswith("study.yaml: analysis.dca_thresholds: by 1e-06 gives 600,001 thresholds")
    assert f"at most {MAX_THRESHOLDS:,}" in msg
    least = float(msg.rsplit("make by at least ", 1)[1])
    _analysis(study, dca_thresholds={"from": 0.0, "to": 0.6, "by": least})
    plan = load(study / "study.yaml").config["analysis"]["dca_thresholds"]
    n = int(np.floor((plan["to"] - plan["from"]) / plan["by"] + 1e-9)) + 1
    assert MAX_THRESHOLDS * 0.9 < n <= MAX_THRESHOLDS


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda c: c.update(seed=-1), "study.yaml: seed: expected an integer >= 0"),
        (lambda c: c.update(seed=2.5), "study.yaml: seed: expected an integer >= 0"),
        (lambda c: c["split"].update(seed=-7), "study.yaml: split.seed: expected an integer >= 0"),
        (
            lambda c: c["analysis"].update(bootstrap={"B": 50, "seed": -1}),
            "study.yaml: analysis.bootstrap: expected a mapping {B: integer 10–100000, seed: "
            "integer ≥ 0}",
        ),
    ],
)
def test_a_negative_or_fractional_seed_in_the_file_is_refused(study, change, says):
    _edit_yaml(study, change)
    assert _error(study).startswith(says)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_a_negative_or_non_integer_seed_argument_is_refused(study, seed):
    with pytest.raises(InputError, match=r"^--seed: expected an integer >= 0 \(the run"):
        load(study / "study.yaml", {"seed": seed})


# --- predictors that hold the outcome --------------------------------------------------------


@pytest.mark.parametrize(
    "keys, says",
    [
        (
            {"clinical_candidates": ["age", "months_to_recurrence"]},
            "analysis.clinical_candidates: 'months_to_recurrence' is the survival time "
            "(survival.time); it cannot be a predictor",
        ),
        (
            {"models": {"M": ["age", "recurred"]}},
            "analysis.models: 'recurred' is the survival event (survival.event); it cannot be",
        ),
        (
            {"models": {"M": ["early_recurrence"]}},
            "analysis.models: 'early_recurrence' is the outcome (outcome.column); it cannot be",
        ),
        (
            {"clinical_candidates": ["early_recurrence", "age"]},
            "'early_recurrence' is the outcome (outcome.column); it cannot be a predictor",
        ),
    ],
)
def test_a_predictor_that_holds_the_outcome_is_refused(study, keys, says):
    _analysis(study, **keys)
    assert says in _error(study)


def test_the_survival_time_declared_without_candidates_is_refused(study):
    """Every declared variable is a default candidate: the declared follow-up time would be one."""
    _edit_yaml(study, lambda c: c["analysis"].pop("clinical_candidates"))
    assert _error(study).startswith(
        "study.yaml: variables.months_to_recurrence: is the survival time (survival.time); it "
        "cannot be a predictor, and without analysis.clinical_candidates"
    )
    _edit_yaml(study, lambda c: c["variables"].pop("months_to_recurrence"))
    assert "months_to_recurrence" in load(study / "study.yaml").data.columns


# --- the data of each set ----------------------------------------------------------------------


def _given_split(folder, assign) -> None:
    """A split column ``cohort`` (train/test) chosen by ``assign(clinical DataFrame)``."""
    df = _csv(folder, "clinical.csv")
    df["cohort"] = assign(df)
    base._save(df, folder, "clinical.csv")
    _edit_yaml(
        folder,
        lambda c: c.update(split={"column": "cohort", "training": "train", "validation": "test"}),
    )


@pytest.mark.parametrize("outcome, lacks", [("0", "events (outcome = 1)"), ("1", "non-events")])
def test_a_validation_set_without_events_or_non_events_names_the_set(study, outcome, lacks):
    def assign(df):
        test = (df["early_recurrence"] == outcome) & (df["exclusion_reason"] == "")
        return np.where(test & (np.arange(len(df)) % 2 == 0), "test", "train")

    _given_split(study, assign)
    msg = _error(study)
    assert msg.startswith("clinical.csv: column 'early_recurrence': the validation set (")
    assert f"has no {lacks}" in msg


def test_an_external_centre_without_events_names_the_validation_set(study):
    """The validation centre given as the split column: its patients all without events."""

    def assign(df):
        centre = np.where(df["center"] == df["center"].iloc[0], "train", "test")
        return np.where((df["early_recurrence"] == "1") & (centre == "test"), "train", centre)

    _given_split(study, assign)
    assert "the validation set" in _error(study) and "has no events" in _error(study)


def test_a_horizon_beyond_the_last_follow_up_names_the_set(study):
    s = load(study / "study.yaml")
    last = {
        p: s.data.loc[s.split == p, "months_to_recurrence"].max()
        for p in ("training", "validation")
    }
    part = min(last, key=last.get)
    horizon = (last[part] + max(last.values())) / 2 if last[part] < max(last.values()) else 1e4
    _edit_yaml(study, lambda c: c["survival"].update(horizon=float(horizon)))
    msg = _error(study)
    assert msg.startswith(f"clinical.csv: survival.horizon {horizon:g} lies beyond the last follow")
    assert f"of the {part} set ({last[part]:g} in column 'months_to_recurrence')" in msg


def test_a_horizon_before_the_first_event_names_the_set(study):
    s = load(study / "study.yaml")
    d = s.data[s.data["recurred"] == 1]
    first = d.groupby("split")["months_to_recurrence"].min()
    part = first.idxmax()  # the set whose first event comes last
    horizon = float((first.max() + first.min()) / 2) if first.nunique() > 1 else 0.01
    _edit_yaml(study, lambda c: c["survival"].update(horizon=horizon))
    assert _error(study) == (
        f"clinical.csv: survival.horizon {horizon:g} lies before the first event of the "
        f"{part} set (at {first[part]:g}): no event by the horizon; choose a later horizon"
    )


def test_the_demo_horizon_loads(study):
    assert load(study / "study.yaml").survival["horizon"] == 24


# --- the survival time of each patient -------------------------------------------------------


def _undeclare_time(folder) -> None:
    """The follow-up time only as survival.time (not a declared, typed variable)."""
    _edit_yaml(folder, lambda c: c["variables"].pop("months_to_recurrence"))


@pytest.mark.parametrize("value", ["Inf", "-inf", "-0.5"])
def test_an_infinite_or_negative_survival_time_names_the_patient(study, value):
    _undeclare_time(study)
    _set(study, "clinical.csv", {(6, "months_to_recurrence"): value})
    assert _error(study) == (
        "clinical.csv: column 'months_to_recurrence' (survival.time): expected a finite time "
        ">= 0 at row 8 (patient HCC0007)"
    )


def test_a_missing_survival_time_with_an_event_names_the_patients(study):
    _undeclare_time(study)
    df = _csv(study, "clinical.csv")
    rows = df.index[(df["recurred"] == "1") & (df["exclusion_reason"] == "")][:2]
    _set(study, "clinical.csv", {(r, "months_to_recurrence"): "NaN" for r in rows})
    msg = _error(study)
    ids = df.loc[rows, "patient_id"].tolist()
    assert msg.startswith("clinical.csv: column 'months_to_recurrence' (survival.time): missing")
    assert f"rows {rows[0] + 2}, {rows[1] + 2} (patients {ids[0]}, {ids[1]})" in msg


# --- long lists in messages ----------------------------------------------------------------------


def test_an_error_listing_thousands_of_columns_stays_short(study):
    df = _csv(study, "clinical.csv").drop(columns="ast")
    extra = {f"feature_{i:05d}_with_a_long_name": "0" for i in range(1500)}
    df = df.assign(**extra)
    base._save(df, study, "clinical.csv")
    msg = _error(study)
    assert msg.startswith("clinical.csv: missing column 'ast' (columns present: 'patient_id'")
    assert f"and {len(df.columns) - 5:,} more)" in msg and len(msg) < 300


def test_an_error_listing_every_patient_stays_short(study):
    df = _csv(study, "clinical.csv")
    df = df.loc[np.repeat(df.index, 60)].reset_index(drop=True)  # every patient 60 times
    base._save(df, study, "clinical.csv")
    msg = _error(study)
    assert msg.startswith("clinical.csv: column 'patient_id': duplicate patient IDs [")
    assert f"and {len(df) - 5:,} more" in msg and len(msg) < 400


def test_a_long_message_built_elsewhere_is_cut_in_the_middle():
    from hccstats._errors import MAX_MESSAGE

    text = "study.yaml: analysis.models: " + ", ".join(f"'v{i}'" for i in range(5000)) + "; fix"
    msg = str(InputError(text))
    assert len(text) > 24_000 and len(msg) <= MAX_MESSAGE + 60
    assert msg.startswith("study.yaml: analysis.models: 'v0'") and msg.endswith("; fix")
    assert "characters cut" in msg


def test_a_long_value_in_the_study_file_is_cut(study):
    _analysis(study, B=list(range(5000)))
    msg = _error(study)
    assert msg.startswith("study.yaml: analysis.B: expected an integer") and len(msg) < 300
