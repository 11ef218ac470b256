"""Every loader error: each test breaks one thing in a fresh demo study and checks the one-line message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hccstats import InputError
from hccstats.demo import make_study
from hccstats.study import load


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("pristine"), n=40, seed=11, images=False).parent


@pytest.fixture
def study(pristine, tmp_path) -> Path:
    """A fresh writable copy of the small demo study; returns its folder."""
    dest = tmp_path / "study"
    shutil.copytree(pristine, dest)
    return dest


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _save(df: pd.DataFrame, folder: Path, name: str) -> None:
    df.to_csv(folder / name, index=False)


def _set(folder: Path, name: str, cells: dict) -> None:
    """Overwrite cells {(data row index, column): text} of a CSV."""
    df = _csv(folder, name)
    for (row, col), value in cells.items():
        df.loc[row, col] = value
    _save(df, folder, name)


def _edit_yaml(folder: Path, change) -> None:
    cfg = yaml.safe_load((folder / "study.yaml").read_text())
    change(cfg)
    (folder / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def _error(folder: Path) -> str:
    with pytest.raises(InputError) as info:
        load(folder / "study.yaml")
    msg = str(info.value)
    assert "\n" not in msg, "InputError messages are one line"
    return msg


def test_pristine_copy_loads(study):
    assert len(load(study / "study.yaml").data) == 40


# --- missing files -------------------------------------------------------------------------


def test_missing_study_file(tmp_path):
    with pytest.raises(InputError, match="study.yaml: study file not found"):
        load(tmp_path / "study.yaml")


def test_missing_clinical_file(study):
    (study / "clinical.csv").unlink()
    assert "clinical.csv: clinical file not found" in _error(study)


def test_missing_readers_file(study):
    (study / "readers.csv").unlink()
    assert "readers.csv: readers file not found" in _error(study)


def test_missing_image_file(study):
    _edit_yaml(
        study,
        lambda c: c.update(
            images={
                "phases": {"AP": "images/{patient_id}/AP.nii.gz"},
                "mask": "images/{patient_id}/mask.nii.gz",
            }
        ),
    )
    msg = _error(study)
    assert "AP.nii.gz: image file not found (images.phases.AP)" in msg
    assert "40 included patient(s)" in msg


# --- missing columns ----------------------------------------------------------------------


def test_missing_variable_column(study):
    _save(_csv(study, "clinical.csv").drop(columns="ast"), study, "clinical.csv")
    assert _error(study).startswith("clinical.csv: missing column 'ast'")


def test_variable_named_split_is_refused_not_overwritten(study):
    _save(_csv(study, "clinical.csv").rename(columns={"ast": "split"}), study, "clinical.csv")

    def rename(cfg):
        cfg["variables"]["split"] = cfg["variables"].pop("ast")
        for names in (cfg.get("analysis") or {}).values():  # the variable lists naming it
            if isinstance(names, list):
                names[:] = ["split" if v == "ast" else v for v in names]

    _edit_yaml(study, rename)
    assert _error(study).startswith("clinical.csv: column 'split': the name holds each patient's")


def test_missing_outcome_column(study):
    _save(_csv(study, "clinical.csv").drop(columns="early_recurrence"), study, "clinical.csv")
    assert _error(study).startswith("clinical.csv: missing column 'early_recurrence'")


def test_missing_reader_feature_column(study):
    _save(_csv(study, "readers.csv").drop(columns="capsule"), study, "readers.csv")
    assert _error(study).startswith("readers.csv: missing column 'capsule'")


# --- outcome ----------------------------------------------------------------------------------


def test_outcome_not_binary(study):
    _set(study, "clinical.csv", {(4, "early_recurrence"): "2"})  # data row 5 = spreadsheet row 6
    msg = _error(study)
    assert "clinical.csv: column 'early_recurrence': outcome is not binary" in msg
    assert "row 6 (patient HCC0005)" in msg


def test_outcome_positive_level_absent(study):
    _edit_yaml(study, lambda c: c["outcome"].update(positive="yes"))
    assert "positive level 'yes'" in _error(study)


def test_missing_outcome_excludes_patient_not_error(study):
    _set(study, "clinical.csv", {(2, "early_recurrence"): ""})
    s = load(study / "study.yaml")
    assert "HCC0003" in s.excluded.index
    assert s.excluded.loc["HCC0003", "reason"] == "missing outcome (early_recurrence)"


# --- duplicate IDs --------------------------------------------------------------------------


def test_duplicate_patient_ids(study):
    _set(study, "clinical.csv", {(7, "patient_id"): "HCC0003"})
    msg = _error(study)
    assert "clinical.csv: column 'patient_id': duplicate patient IDs ['HCC0003']" in msg
    assert "rows 4, 9" in msg


def test_duplicate_reading(study):
    df = _csv(study, "readers.csv")
    df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    _save(df, study, "readers.csv")
    assert (
        "readers.csv: column 'patient_id': duplicate rows for patient_id/reader/session"
        in _error(study)
    )


# --- patients in one table and not another ------------------------------------------------------


def test_reader_patient_not_in_clinical(study):
    _set(study, "readers.csv", {(0, "patient_id"): "GHOST"})
    msg = _error(study)
    assert "readers.csv: column 'patient_id': patients not in clinical.csv" in msg
    assert "row 2 (patient GHOST)" in msg


def test_clinical_patient_without_readings(study):
    df = _csv(study, "readers.csv")
    _save(df[df["patient_id"] != "HCC0010"], study, "readers.csv")
    msg = _error(study)
    assert "1 included patient(s) of clinical.csv have no readings: ['HCC0010']" in msg


def test_feature_table_lacking_a_patient(study):
    pytest.importorskip("pyarrow")
    s = load(study / "study.yaml")
    (study / "features").mkdir()
    ids = list(s.data.index)[1:]
    for phase in ("AP", "PVP", "HBP"):
        pd.DataFrame({"patient_id": ids, "vgg19_b1_c0": range(len(ids))}).to_parquet(
            study / "features" / f"{phase}.parquet"
        )
    with pytest.raises(
        InputError,
        match=r"AP.parquet: column 'patient_id': 1 included patient\(s\) have no features",
    ):
        s.feature_tables()


# --- text in a numeric column -------------------------------------------------------------------


def test_text_in_numeric_column(study):
    _set(study, "clinical.csv", {(6, "ast"): "high", (9, "ast"): "n.d."})
    msg = _error(study)
    assert msg.startswith("clinical.csv: column 'ast': text in a numeric column at rows 8, 11")
    assert "(patients HCC0007, HCC0010)" in msg and "'high'" in msg


def test_na_markers_are_missing_not_text(study):
    _set(study, "clinical.csv", {(6, "ast"): "NA"})
    s = load(study / "study.yaml")
    assert pd.isna(s.data.loc["HCC0007", "ast"])


def test_value_outside_declared_levels(study):
    _set(study, "clinical.csv", {(0, "sex"): "M"})
    msg = _error(study)
    assert "clinical.csv: column 'sex': value(s) 'M' not among the declared levels" in msg
    assert "row 2 (patient HCC0001)" in msg


# --- study.yaml itself ----------------------------------------------------------------------------


def test_unknown_variable_type(study):
    _edit_yaml(study, lambda c: c["variables"]["age"].update(type="numeric"))
    msg = _error(study)
    assert msg.startswith("study.yaml: variables.age.type: unknown variable type 'numeric'")


def test_unknown_top_level_key(study):
    _edit_yaml(study, lambda c: c.update(outcomes="typo"))
    assert "unknown key(s) ['outcomes']" in _error(study)


def test_binary_with_three_levels(study):
    _edit_yaml(study, lambda c: c["variables"]["mvi"].update(levels=["a", "b", "c"]))
    assert "variables.mvi.levels: a binary variable needs exactly 2 levels" in _error(study)


@pytest.mark.parametrize(
    "section, message",
    [
        ("clinical", "missing (a required section)"),
        ("outcome", "missing: give outcome (a binary endpoint) or survival (time, event, horizon)"),
    ],
)
def test_required_section_missing(study, section, message):
    # without outcome the study needs survival (the demo study has one): neither is an error
    _edit_yaml(study, lambda c: [c.pop(section), c.pop("survival", None)])
    assert _error(study) == f"study.yaml: {section}: {message}"


def test_not_yaml(study):
    (study / "study.yaml").write_text("name: [unclosed\n")
    assert _error(study).startswith("study.yaml: line")


@pytest.mark.parametrize(
    "split, expected",
    [
        (
            {"method": "random", "ratio": 1.5},
            "split.ratio: expected a number strictly between 0 and 1",
        ),
        ({"method": "kfold"}, "split.method: unknown split method 'kfold'"),
        ({"method": "random", "stratify": 3}, "split.stratify: expected true, false or a list"),
        ({"method": "random", "seed": "abc"}, "split.seed: expected an integer"),
        ({"method": "random", "folds": 5}, "split: unknown key(s) ['folds']"),
        (
            {"method": "random", "stratify": ["nonexistent"]},
            "missing column 'nonexistent' named in split.stratify",
        ),
        ({"column": "split_col"}, "clinical.csv: missing column 'split_col'"),
    ],
)
def test_bad_split_spec(study, split, expected):
    _edit_yaml(study, lambda c: c.update(split=split))
    assert expected in _error(study)


def test_split_column_with_bad_values(study):
    df = _csv(study, "clinical.csv")
    df["cohort"] = ["train"] * 30 + ["test"] * (len(df) - 30)
    df.loc[3, "cohort"] = "holdout"
    _save(df, study, "clinical.csv")
    _edit_yaml(
        study,
        lambda c: c.update(split={"column": "cohort", "training": "train", "validation": "test"}),
    )
    msg = _error(study)
    assert "clinical.csv: column 'cohort': split values must be 'train' or 'test'" in msg
    assert "row 5 (patient HCC0004)" in msg
