"""The analysis tree built by ``hccstats.study.load(path, overrides)``: each value's provenance
(study file, command line, default, run seed), one key per setting, the extraction values
checked by extract's own rule, the one screening rule of the loader and of extract.

Oracles: the study files written here (each value's source is known by construction) and the
documented messages (docs/reliability.md).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_report_pipeline import _run

from hccstats import InputError
from hccstats.demo import make_study
from hccstats.study import load


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return Path(make_study(tmp_path_factory.mktemp("tree") / "demo", seed=5, images=False))


def _variant(demo: Path, folder: Path, analysis: str = "", drop_split_seed: bool = False) -> Path:
    """A copy of the demo study with lines added under its ``analysis:`` (the file's last
    section) and, optionally, without ``split.seed``."""
    shutil.copytree(demo.parent, folder)
    text = demo.read_text(encoding="utf-8")
    if drop_split_seed:
        text = text.replace("  stratify: true                 # by outcome and centre\n  seed: 5\n",
                            "  stratify: true\n")  # fmt: skip
        assert "split:\n  method: random\n  ratio: 0.7\n  stratify: true\nvariables" in text
    path = folder / "study.yaml"
    path.write_text(text + analysis, encoding="utf-8")
    return path


def _refused_at_load_and_exit_2(path: Path, out: Path, message: str) -> None:
    """``load`` raises ``message``; the report's command line prints it as its one line, exit 2,
    and writes nothing."""
    with pytest.raises(InputError) as err:
        load(path, check_images=False)
    assert str(err.value) == message
    proc = _run("--config", str(path), "--out", str(out), timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {message}"
    assert not out.exists()


def test_each_value_records_study_file_command_line_or_default(demo, tmp_path):
    path = _variant(demo, tmp_path / "s", "  alpha: 0.1\n  bootstrap: {B: 50}\n")
    tree = load(path, {"seed": 9, "entry": 0.01}, check_images=False).analysis
    assert (tree.screening.alpha, tree.origin("screening.alpha").key) == (0.1, "analysis.alpha")
    assert tree.provenance("screening.alpha") == "study file"
    assert (tree.screening.entry, tree.provenance("screening.entry")) == (0.01, "command line")
    assert (tree.screening.removal, tree.provenance("screening.removal")) == (0.10, "default")
    assert (tree.seed, tree.origin("seed").key, tree.provenance("seed")) == (
        9,
        "--seed",
        "command line",
    )
    assert tree.bootstrap.B == 50 and tree.described("bootstrap.B") == (
        "from the study file, analysis.bootstrap.B"
    )
    # the bootstrap seed follows the run seed, recorded as such
    assert (tree.bootstrap.seed, tree.provenance("bootstrap.seed")) == (9, "run seed")
    assert tree.described("bootstrap.seed") == "the run seed, from the command line, --seed"
    # the split's seed is the file's split.seed, whatever --seed says
    assert (tree.split_seed, tree.described("split_seed")) == (5, "from the study file, split.seed")
    # without overrides: the file's seed everywhere
    plain = load(path, check_images=False).analysis
    assert (plain.seed, plain.provenance("seed")) == (5, "study file")
    assert plain.described("bootstrap.seed") == "the run seed, from the study file, seed"
    assert plain.survival.horizon == 24 and plain.survival.unit == "months"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plain.bootstrap.B = 3  # frozen: the stages cannot change a setting


def test_run_options_are_checked_with_the_study_files_keys(demo, tmp_path):
    path = _variant(demo, tmp_path / "s", "  removal: 0.1\n")
    with pytest.raises(InputError, match=r"^the study file with the run's options: analysis.entry: "
                       r"entry p 0.2 is above removal p 0.1"):  # fmt: skip
        load(path, {"entry": 0.2}, check_images=False)
    with pytest.raises(InputError, match=r"^the run's options: analysis.alpha: expected a number"):
        load(path, {"alpha": 5}, check_images=False)
    assert load(path, {"entry": 0.1}, check_images=False).analysis.screening.entry == 0.1


def test_the_run_seed_replaces_the_split_seed_only_when_the_file_gives_none(demo, tmp_path):
    path = _variant(demo, tmp_path / "s", drop_split_seed=True)
    a, b = (load(path, {"seed": s}, check_images=False) for s in (7, 8))
    assert (a.analysis.split_seed, b.analysis.split_seed) == (7, 8)
    assert a.analysis.provenance("split_seed") == "run seed"
    assert (a.split != b.split).any()  # the seed reached the split


def test_b_under_two_keys_exits_2_naming_both(demo, tmp_path):
    path = _variant(demo, tmp_path / "s", "  B: 50\n  bootstrap: {B: 200}\n")
    _refused_at_load_and_exit_2(
        path,
        tmp_path / "out",
        "study.yaml: analysis.B (50) and analysis.bootstrap.B (200) both set the bootstrap "
        "resamples; give only analysis.bootstrap.B",
    )
    # the former spelling alone is read, and says so
    alone = load(_variant(demo, tmp_path / "t", "  B: 50\n"), check_images=False).analysis
    assert (alone.bootstrap.B, alone.origin("bootstrap.B").key) == (50, "analysis.B")
    with pytest.raises(InputError, match=r"^the run's options: analysis.B \(20\) and "):
        load(path.parent.parent / "t" / "study.yaml", {"B": 20, "bootstrap": {"B": 30}})


def test_crop_size_below_extracts_minimum_exits_2_at_load(demo, tmp_path):
    from extract import ExtractError
    from extract.config import Settings

    path = _variant(demo, tmp_path / "s", "  crop_size: 16\n")
    _refused_at_load_and_exit_2(
        path,
        tmp_path / "out",
        "study.yaml: analysis.crop_size: 16 refused by the extraction: size must be at least 32 "
        "(VGG19 halves it four times), not 16",
    )
    with pytest.raises(ExtractError, match=r"^size must be at least 32 \(VGG19"):
        Settings(size=16)  # the same rule, extract's own
    ok = _variant(demo, tmp_path / "t", "  crop_size: 32\n  n4_iterations: [5]\n")
    assert load(ok, check_images=False).analysis.extraction.crop_size == 32
    with pytest.raises(InputError, match=r"^the run's options: n4_convergence: 1.5 refused"):
        load(ok, {"n4_convergence": 1.5}, check_images=False)


def test_loader_and_extract_screen_out_the_same_patients(demo, tmp_path):
    """One rule: the study's excluded patients are extract's, with the same reasons, for a
    binary outcome and for a survival-only study (missing time or event)."""
    from extract.config import read_study

    images = (
        "images:\n  phases: {AP: 'images/{patient_id}/AP.nii.gz'}\n"
        "  mask: 'images/{patient_id}/mask.nii.gz'\n"
    )
    path = _variant(demo, tmp_path / "s")
    path.write_text(path.read_text(encoding="utf-8") + images, encoding="utf-8")
    clinical = pd.read_csv(path.parent / "clinical.csv")
    clinical.loc[[3, 4], "early_recurrence"] = None  # missing outcomes
    clinical.to_csv(path.parent / "clinical.csv", index=False)
    study, ext = load(path, check_images=False), read_study(path)
    assert dict(study.excluded["reason"]) == ext.excluded
    assert "missing outcome (early_recurrence)" in ext.excluded.values()
    assert set(ext.excluded.values()) > {"missing outcome (early_recurrence)"}  # + exclusions

    text = path.read_text(encoding="utf-8")
    start, end = text.index("outcome:\n"), text.index("survival:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")  # survival-only
    clinical.loc[[5], "months_to_recurrence"] = None  # screened out here (time = the outcome)
    clinical.to_csv(path.parent / "clinical.csv", index=False)
    study, ext = load(path, check_images=False), read_study(path)
    assert dict(study.excluded["reason"]) == ext.excluded
    assert "missing survival time (months_to_recurrence)" in ext.excluded.values()
