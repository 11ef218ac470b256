"""extract: cohort runs — tables, manifest, bad input, resumability, shards, CLI.

Every run uses seeded random weights on small synthetic NIfTI studies written to tmp_path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pytest.importorskip("torch")

from extract import ExtractError, feature_names, merge_shards, run_study  # noqa: E402
from extract.synthetic import make_study, make_volume  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAST = {"random_weights": True, "size": 32, "quiet": True}


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("study"), n=4, shape=(8, 48, 48), seed=1)


@pytest.fixture(scope="module")
def reference(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "features"
    return run_study(study, out, **FAST)


def test_tables_and_manifest_against_schema(reference):
    assert (
        reference.ok
        and reference.n_extracted == 4
        and set(reference.tables) == {"AP", "PVP", "HBP"}
    )
    table = pd.read_parquet(reference.tables["AP"])
    assert list(table.columns) == ["patient_id", *feature_names()]
    assert table["patient_id"].tolist() == ["P001", "P002", "P003", "P004"]
    assert (table.dtypes.iloc[1:] == np.float32).all()
    manifest = json.loads((reference.out_dir / "manifest.json").read_text())
    assert manifest["weights_sha256"] == "random" and manifest["feature_dtype"] == "float32"
    assert manifest["params"]["settings"]["size"] == 32
    assert manifest["params"]["settings"]["n4_parameters"]["shrink"] == 4
    assert {"torch", "torchvision", "SimpleITK"} <= set(manifest["versions"])
    roi = manifest["patients"]["P002"]["phases"]["HBP"]
    assert {"slice_index", "bbox", "tumour_area_px", "tumour_area_mm2"} <= set(roi)
    assert roi["tumour_area_mm2"] == pytest.approx(roi["tumour_area_px"] * 1.5 * 1.5)
    assert not list(reference.out_dir.glob(".tmp-*"))


def test_phases_differ_and_patients_differ(reference):
    ap, hbp = (pd.read_parquet(reference.tables[p]).iloc[:, 1:].to_numpy() for p in ("AP", "HBP"))
    assert not np.allclose(ap, hbp) and not np.allclose(ap[0], ap[1])


def test_extract_patient_against_cohort_table(study, reference):
    from extract import extract_patient
    from extract.config import read_study

    st = read_study(study)
    one = extract_patient(
        st.image_paths("P003"),
        st.mask_paths("P003")["AP"],
        patient_id="P003",
        random_weights=True,
        size=32,
    )
    assert list(one.index) == ["AP", "PVP", "HBP"] and one.shape == (3, 1472)
    row = pd.read_parquet(reference.tables["HBP"]).set_index("patient_id").loc["P003"]
    # one patient per batch here, four in the cohort run: float32 round-off only
    np.testing.assert_allclose(one.loc["HBP"].to_numpy(), row.to_numpy(), rtol=1e-4, atol=1e-5)
    assert one.attrs["roi"]["HBP"]["tumour_area_px"] > 0


def test_rerun_takes_everything_from_cache(study, reference):
    again = run_study(study, reference.out_dir, **FAST)
    assert (again.n_cached, again.n_extracted) == (4, 0)


def test_out_folder_of_different_run_refused(study, reference):
    before = {p: p.stat().st_mtime_ns for p in reference.out_dir.rglob("*") if p.is_file()}
    with pytest.raises(
        ExtractError, match=r"holds features of a different run \(settings\.size: 32 there, 48 now"
    ):
        run_study(study, reference.out_dir, **{**FAST, "size": 48})
    assert before == {p: p.stat().st_mtime_ns for p in reference.out_dir.rglob("*") if p.is_file()}


def _bad_study(tmp_path, n=3):
    return make_study(tmp_path / "s", n=n, shape=(8, 48, 48), seed=2)


def test_missing_phase_fails_that_patient_only(tmp_path):
    yaml = _bad_study(tmp_path)
    (yaml.parent / "images" / "P002" / "PVP.nii.gz").unlink()
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert (s.n_failed, s.n_extracted) == (1, 2)
    assert s.failures["P002"].startswith("patient P002, phase PVP, file ") and s.failures[
        "P002"
    ].endswith("PVP.nii.gz: not found")
    assert pd.read_parquet(s.tables["AP"])["patient_id"].tolist() == ["P001", "P003"]
    assert "P002" in json.loads((s.out_dir / "manifest.json").read_text())["failed"]


def test_empty_mask_fails_with_reason(tmp_path):
    yaml = _bad_study(tmp_path, n=2)
    path = yaml.parent / "images" / "P001" / "mask.nii.gz"
    m = sitk.ReadImage(str(path))
    sitk.WriteImage(m * 0, str(path))
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert "mask has no voxel with tumour label 1 (labels present: 0)" in s.failures["P001"]
    assert "patient P001, phase AP" in s.failures["P001"] and s.n_extracted == 1


def test_mask_mismatch_refused_then_resampled(tmp_path):
    yaml = _bad_study(tmp_path, n=1)
    path = yaml.parent / "images" / "P001" / "mask.nii.gz"
    m = sitk.ReadImage(str(path))
    m.SetSpacing((1.6, 1.5, 4.0))
    sitk.WriteImage(m, str(path))
    s = run_study(yaml, tmp_path / "out", **FAST)
    reason = s.failures["P001"]
    assert (
        "mask does not match image" in reason
        and "spacing (1.6, 1.5, 4) vs image (1.5, 1.5, 4)" in reason
    )
    assert "--resample-mask" in reason
    ok = run_study(yaml, tmp_path / "out2", resample_mask=True, **FAST)
    assert ok.ok and ok.n_extracted == 1


def test_corrupt_dicom_fails_with_reason(tmp_path):
    pydicom = pytest.importorskip("pydicom")
    yaml = _bad_study(tmp_path, n=2)
    good = Path(pydicom.data.get_testdata_file("MR_small.dcm")).read_bytes()
    bad = yaml.parent / "images" / "P001" / "AP.dcm"
    bad.write_bytes(good[: len(good) // 2])  # truncated mid pixel data
    yaml.write_text(
        yaml.read_text().replace(
            'AP: "images/{patient_id}/AP.nii.gz"', 'AP: "images/{patient_id}/AP.dcm"'
        )
    )
    (yaml.parent / "images" / "P002" / "AP.dcm").write_bytes(b"DICM" * 10)
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert s.n_failed == 2
    assert (
        s.failures["P001"].startswith("patient P001, phase AP, file ")
        and "AP.dcm: cannot read image" in s.failures["P001"]
    )


def test_dicom_series_folder_read(tmp_path):
    """A folder of 2-D DICOM slices is read as one volume with its slice positions."""
    from extract.io import read_image

    vol = sitk.Cast(
        sitk.GaussianSource(sitk.sitkFloat32, [32, 32, 5], [8, 8, 2], [16, 16, 2], 1000),
        sitk.sitkInt16,
    )
    vol.SetSpacing((0.8, 0.8, 3.0))
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for k in range(5):
        sl = vol[:, :, k]
        sl.SetMetaData(
            "0020|0032", "\\".join(map(str, vol.TransformIndexToPhysicalPoint((0, 0, k))))
        )
        sl.SetMetaData("0020|0037", "1\\0\\0\\0\\1\\0")
        sl.SetMetaData("0020|000e", "1.2.826.0.1.3680043.2.1125.1")
        sl.SetMetaData("0020|0013", str(k))
        writer.SetFileName(str(tmp_path / f"s{k}.dcm"))
        writer.Execute(sl)
    image = read_image(tmp_path, patient="P1", phase="AP")
    assert image.GetSize() == (32, 32, 5) and image.GetSpacing()[2] == pytest.approx(3.0)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), sitk.GetArrayFromImage(vol))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        ExtractError, match="patient P1, phase AP, file .*empty: folder holds no DICOM series"
    ):
        read_image(empty, patient="P1", phase="AP")


def test_shards_merge_against_single_run(study, reference, tmp_path):
    out = tmp_path / "features"
    for i in (1, 2):
        s = run_study(study, out, shard=f"{i}/2", **FAST)
        assert s.n_patients == 2
    with pytest.raises(ExtractError, match="shard must be"):
        run_study(study, out, shard="x", **FAST)
    tables = merge_shards(out)
    merged, single = pd.read_parquet(tables["PVP"]), pd.read_parquet(reference.tables["PVP"])
    assert merged["patient_id"].tolist() == single["patient_id"].tolist()
    # another batch composition may pick another convolution kernel: float32 round-off
    np.testing.assert_allclose(merged.iloc[:, 1:], single.iloc[:, 1:], rtol=1e-4, atol=1e-5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["merged_from"] == ["1-of-2", "2-of-2"] and list(manifest["patients"]) == [
        "P001",
        "P002",
        "P003",
        "P004",
    ]


@pytest.mark.slow
def test_resumable_after_kill_against_uninterrupted_run(tmp_path):
    """Kill a CLI run mid-way, restart it: finished patients untouched, same table as one clean run."""
    yaml = make_study(tmp_path / "s", n=8, shape=(8, 48, 48), seed=3)
    # the last patient is big (slow N4), so the run is surely still busy when we kill it
    img, msk, _, _ = make_volume((24, 160, 160), rng=np.random.default_rng(9))
    for ph in ("AP", "PVP", "HBP"):
        sitk.WriteImage(img, str(yaml.parent / "images" / "P008" / f"{ph}.nii.gz"))
    sitk.WriteImage(msk, str(yaml.parent / "images" / "P008" / "mask.nii.gz"))
    out = tmp_path / "features"
    cmd = [
        sys.executable,
        "-m",
        "extract",
        "--study",
        str(yaml),
        "--out",
        str(out),
        "--random-weights",
        "--size",
        "32",
        "--batch-size",
        "3",
        "--quiet",
    ]

    def cached():  # finished patients: ".tmp-*.npz" is a file still being written
        return [p for p in (out / "cache").glob("*.npz") if not p.name.startswith(".")]

    proc = subprocess.Popen(cmd, env=_env(), stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(cached()) < 7 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in cached()}
    assert 1 <= len(finished) < 8, proc.stderr.read().decode()
    assert not (out / "AP.parquet").exists()
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (
        f"8 patients: {8 - len(finished)} extracted, {len(finished)} from cache, 0 failed"
        in done.stderr
    )
    assert {p: (out / "cache" / p).stat().st_mtime_ns for p in finished} == finished
    small = [f"P00{i}" for i in range(1, 8)]  # a clean run of the small ones (the big one is slow)
    clean = run_study(yaml, tmp_path / "clean", patients=small, **FAST)
    for ph in ("AP", "HBP"):
        a, b = pd.read_parquet(out / f"{ph}.parquet"), pd.read_parquet(clean.tables[ph])
        assert a["patient_id"].tolist() == [*small, "P008"] and np.isfinite(a.iloc[7, 1:]).all()
        np.testing.assert_allclose(
            a.iloc[:7, 1:], b.iloc[:, 1:], rtol=1e-4, atol=1e-5
        )  # batch round-off


def test_cli_exit_codes_and_messages(study, tmp_path):
    bad = tmp_path / "w.pth"
    bad.write_text("x")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "extract",
            "--study",
            str(study),
            "--out",
            str(tmp_path / "o"),
            "--weights",
            str(bad),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2 and "extract: error: weights file" in r.stderr and "w.pth" in r.stderr
    assert not (tmp_path / "o").exists()
