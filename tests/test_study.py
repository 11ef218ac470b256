"""hccstats.study.load on valid input: typing, split, flow, missing counts, paths, feature tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hccstats.demo import make_study
from hccstats.study import Study, Variable, load


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("demo"), n=285, seed=2023, images=False).parent


@pytest.fixture(scope="module")
def study(demo_dir) -> Study:
    return load(demo_dir / "study.yaml")


@pytest.fixture
def copy(demo_dir, tmp_path) -> Path:
    dest = tmp_path / "study"
    shutil.copytree(demo_dir, dest)
    return dest


def test_types_follow_the_study_file(study):
    d = study.data
    assert d.index.name == "patient_id" and d.index.is_unique
    assert d["age"].dtype == np.float64 and d["ast"].dtype == np.float64
    assert d["early_recurrence"].dtype == np.int64
    assert set(d["early_recurrence"]) == {0, 1}
    for name in ("sex", "mvi", "tumour_number", "bclc", "histologic_grade"):
        assert isinstance(d[name].dtype, pd.CategoricalDtype) and d[name].cat.ordered
    assert d["tumour_number"].cat.categories.tolist() == [1, 2, 3, 4]
    assert d["bclc"].cat.categories.tolist() == ["0", "A", "B"]
    assert d["mvi"].cat.categories.tolist() == ["absent", "present"]  # first = reference
    assert set(d["split"]) == {"training", "validation"}
    assert study.variables["ast"] == Variable("ast", "continuous", "AST", "U/L", None)
    assert study.labels["neutrophil"] == "Neutrophil count (10^9/L)"
    assert (
        study.outcome == "early_recurrence"
        and study.center == "center"
        and study.analysis.seed == 2023
    )


def test_missing_counts_against_the_csv(study, demo_dir):
    raw = pd.read_csv(demo_dir / "clinical.csv", dtype=str)
    raw = raw[raw["exclusion_reason"].isna()].set_index("patient_id")
    for name in study.variables:
        assert study.missing[name] == raw[name].isna().sum(), name
    assert study.missing[["afp", "ast", "ggt"]].sum() > 0  # a few % of lab cells
    assert study.data["ast"].isna().sum() == study.missing["ast"]  # carried, not dropped


def test_flow_adds_up(study):
    f = study.flow.set_index(["step", "center", "reason"])["n"]
    for centre in ("All", "Center 1", "Center 2"):
        screened = f["screened", centre, ""]
        excluded = f.xs(("excluded", centre), level=("step", "center")).sum()
        assert screened == excluded + f["included", centre, ""]
        assert f["included", centre, ""] == f["training", centre, ""] + f["validation", centre, ""]
    assert f["included", "All", ""] == len(study.data) == 285
    assert f["screened", "All", ""] == 285 + len(study.excluded)
    assert study.excluded["reason"].notna().all()


def test_random_split_is_stratified_by_outcome_and_centre(study):
    # largest-remainder allocation: each outcome x centre stratum within one patient of 70 %
    d = study.data
    assert (d["split"] == "training").sum() == int(np.floor(0.7 * 285 + 0.5))
    for _, part in d.groupby(["early_recurrence", "center"], observed=True):
        assert abs((part["split"] == "training").sum() - 0.7 * len(part)) < 1.0


def test_split_depends_on_the_seed_only(copy, study):
    again = load(copy / "study.yaml")
    assert again.data["split"].equals(study.data["split"])
    cfg = yaml.safe_load((copy / "study.yaml").read_text())
    cfg["split"]["seed"] = 99
    (copy / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    other = load(copy / "study.yaml")
    assert not other.data["split"].equals(study.data["split"])


def test_given_split_column(copy):
    df = pd.read_csv(copy / "clinical.csv", dtype=str, keep_default_na=False)
    df["cohort"] = np.where(np.arange(len(df)) % 3 == 0, "V", "T")
    df.to_csv(copy / "clinical.csv", index=False)
    cfg = yaml.safe_load((copy / "study.yaml").read_text())
    cfg["split"] = {"column": "cohort", "training": "T", "validation": "V"}
    (copy / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    s = load(copy / "study.yaml")
    expected = df.set_index("patient_id")["cohort"].map({"T": "training", "V": "validation"})
    assert s.data["split"].equals(expected.loc[s.data.index].rename("split"))


def test_minimal_study_file_defaults(copy):
    (copy / "study.yaml").write_text(
        "clinical: clinical.csv\noutcome: early_recurrence\nvariables:\n  age: continuous\n"
    )
    s = load(copy / "study.yaml")
    assert s.center is None and s.readers is None and s.analysis.seed == 0
    assert s.config["split"] == {
        "method": "random",
        "ratio": 0.7,
        "stratify": ["outcome"],  # no centre column: stratified by the outcome only
        "seed": None,  # not given: the split uses the run seed
    }
    assert s.analysis.split_seed == 0 and s.analysis.provenance("seed") == "default"
    # without clinical.exclude only a missing outcome excludes a patient
    assert len(s.data) + len(s.excluded) == len(pd.read_csv(copy / "clinical.csv"))
    assert set(s.excluded["reason"]) == {"missing outcome (early_recurrence)"}
    assert s.flow["center"].unique().tolist() == ["All"]
    assert s.image_paths("HCC0001") == {} and s.feature_tables() == {}


def test_readers_table(study):
    r = study.readers
    assert list(r.columns[:3]) == ["patient_id", "reader", "session"]
    assert set(r["patient_id"]) == set(study.data.index)
    counts = r.groupby(["reader", "session"]).size().to_dict()
    assert counts == {("R1", 1): 285, ("R1", 2): 285, ("R2", 1): 285, ("R3", 1): 285}
    assert list(study.reader_features) == [
        "mr_tumour_size",
        "ap_enhancement",
        "capsule",
        "hypodense_halo",
        "necrosis",
        "satellite_nodules",
        "peritumoral_hypointensity",
    ]
    assert r["ap_enhancement"].cat.categories.tolist() == [1, 2, 3, 4, 5]


def test_image_and_mask_paths(copy):
    cfg = yaml.safe_load((copy / "study.yaml").read_text())
    cfg["images"] = {
        "phases": {"AP": "img/{patient_id}_ap.nii.gz", "HBP": "img/{patient_id}_hbp.nii.gz"},
        "mask": {"AP": "img/{patient_id}_m1.nii.gz", "HBP": "img/{patient_id}_m2.nii.gz"},
    }
    (copy / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    s = load(copy / "study.yaml", check_images=False)
    assert s.image_paths("HCC0002") == {
        "AP": copy / "img/HCC0002_ap.nii.gz",
        "HBP": copy / "img/HCC0002_hbp.nii.gz",
    }
    assert s.mask_paths("HCC0002")["HBP"] == copy / "img/HCC0002_m2.nii.gz"
    assert s.phases == ["AP", "HBP"] and s.tumour_label == 1


def test_feature_tables_are_aligned_to_data(copy, study):
    (copy / "features").mkdir()
    ids = list(study.data.index)[::-1] + list(study.excluded.index)  # other order, extra rows
    rng = np.random.default_rng(0)
    tables = {}
    for phase in ("AP", "PVP", "HBP"):
        tables[phase] = pd.DataFrame(
            {
                "patient_id": ids,
                "vgg19_b1_c0": rng.random(len(ids)),
                "vgg19_b5_c511": rng.random(len(ids)),
            }
        )
        tables[phase].to_parquet(copy / "features" / f"{phase}.parquet")
    s = load(copy / "study.yaml")
    got = s.feature_tables()
    assert list(got) == ["AP", "PVP", "HBP"]
    for phase, table in got.items():
        assert table.index.equals(s.data.index)
        expected = tables[phase].set_index("patient_id").loc[s.data.index]
        np.testing.assert_array_equal(table.to_numpy(), expected.to_numpy())


def test_repr_reads_like_a_summary(study):
    text = repr(study)
    assert "285 patients included" in text and "split: 200 training / 85 validation" in text


def test_excel_bom_and_blank_padding_are_tolerated(copy):
    text = (copy / "clinical.csv").read_text()
    (copy / "clinical.csv").write_text(
        "\ufeff" + text.replace(",male,", ", male ,", 3), encoding="utf-8"
    )
    s = load(copy / "study.yaml")
    assert s.data.index.name == "patient_id" and set(s.data["sex"].dropna()) == {"female", "male"}
