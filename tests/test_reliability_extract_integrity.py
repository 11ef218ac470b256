"""extract: damaged inputs fail their patient by name, never read as zeros or as wrong geometry.

Images are written to tmp_path with SimpleITK (NIfTI, NRRD, MetaImage) or pydicom (a real DICOM
series), then damaged the way a copy or a transfer damages them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pytest.importorskip("torch")

from extract import ExtractError, run_study  # noqa: E402
from extract.io import read_image  # noqa: E402
from extract.synthetic import make_study  # noqa: E402

FAST = {"random_weights": True, "size": 32, "quiet": True}


def _volume() -> sitk.Image:
    image = sitk.GetImageFromArray(np.arange(8 * 16 * 16, dtype=np.float32).reshape(8, 16, 16) + 1)
    image.SetSpacing((0.8, 0.8, 3.0))
    return image


def _cut(path: Path, keep: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep])


# ---------------------------------------------------------------- damaged or truncated files


def test_cut_gzip_stream_fails_that_patient_against_intact_patients(tmp_path):
    yaml = make_study(tmp_path / "s", n=3, shape=(8, 48, 48), seed=2)
    path = yaml.parent / "images" / "P002" / "AP.nii.gz"
    _cut(path, path.stat().st_size // 2)  # a copy stopped half way
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert (s.n_failed, s.n_extracted) == (1, 2)
    reason = s.failures["P002"]
    assert (
        reason.startswith("patient P002, phase AP, file ") and "AP.nii.gz: damaged gzip" in reason
    )
    assert "end marker" in reason
    assert pd.read_parquet(s.tables["AP"])["patient_id"].tolist() == ["P001", "P003"]
    assert json.loads((s.out_dir / "manifest.json").read_text())["failed"]["P002"] == reason


def test_gzip_crc_mismatch_refused(tmp_path):
    path = tmp_path / "x.nii.gz"
    sitk.WriteImage(_volume(), str(path), useCompression=True)
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF  # CRC-32 of the trailer no longer matches the data
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractError, match=r"patient P1, phase AP, file .*x.nii.gz: damaged gzip"):
        read_image(path, patient="P1", phase="AP")


def test_payload_cut_inside_intact_gzip_refused(tmp_path):
    """A NIfTI file cut before compression: the gzip stream is whole, the voxels are not."""
    raw = tmp_path / "x.nii"
    sitk.WriteImage(_volume(), str(raw))
    data = raw.read_bytes()
    path = tmp_path / "y.nii.gz"
    path.write_bytes(gzip.compress(data[: len(data) - 3000]))
    # 8 * 16 * 16 float32 voxels = 8192 bytes after the 352-byte header
    with pytest.raises(
        ExtractError,
        match=r"file .*y.nii.gz: truncated image: its header announces 2048 voxels "
        r"\(8544 bytes\), the file holds 5544 bytes",
    ):
        read_image(path, patient="P1", phase="AP")


@pytest.mark.parametrize("suffix", [".nii", ".mha", ".nrrd"])
def test_truncated_uncompressed_file_refused(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    sitk.WriteImage(_volume(), str(path), useCompression=False)
    _cut(path, path.stat().st_size - 3000)
    with pytest.raises(ExtractError, match=rf"patient P1, phase AP, file .*x\{suffix}: ") as err:
        read_image(path, patient="P1", phase="AP")
    assert "truncated image" in str(err.value) or "cannot read image" in str(err.value)


@pytest.mark.parametrize("name", ["nan.nii.gz", "nan.nii", "nan.mha", "nan.nrrd"])
def test_nan_voxels_refused(tmp_path, name):
    image = _volume()
    arr = sitk.GetArrayFromImage(image)
    arr[3, 5, 5] = np.nan
    arr[4, 6, 6] = np.inf
    bad = sitk.GetImageFromArray(arr)
    bad.CopyInformation(image)
    path = tmp_path / name
    sitk.WriteImage(bad, str(path))
    with pytest.raises(ExtractError, match=rf"file .*{name}: 2 of 2048 voxels are NaN or infinite"):
        read_image(path, patient="P1", phase="AP")


def test_intact_files_read_unchanged(tmp_path):
    image = _volume()
    for name in ("a.nii.gz", "a.nii", "a.mha", "a.nrrd"):
        sitk.WriteImage(image, str(tmp_path / name))
        back = read_image(tmp_path / name)
        np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(image))


# ---------------------------------------------------------------- DICOM series with a missing slice

N_SLICES, SLICE_GAP = 12, 3.0


def _write_series(folder: Path, volume: np.ndarray, skip=()) -> None:
    """A real MR DICOM series (pydicom), one file per slice, slices ``skip`` left out."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    folder.mkdir(parents=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    for k in range(volume.shape[0]):
        if k in skip:
            continue
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.PatientID, ds.PatientName = "MR", "P001", "Test^Series"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.ImagePositionPatient = [0.0, 0.0, k * SLICE_GAP]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [1.5, 1.5]
        ds.SliceThickness = SLICE_GAP
        ds.Rows, ds.Columns = volume.shape[1:]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = volume[k].astype("<i2").tobytes()
        pydicom.dcmwrite(folder / f"IM{k:04d}.dcm", ds, enforce_file_format=True)


def _dicom_study(root: Path, skip=()) -> Path:
    """One patient, phase AP a DICOM series; the mask (NIfTI) on the complete series' grid."""
    z, y, x = np.mgrid[:N_SLICES, :48, :48]
    tumour = ((z - 6) / 2.0) ** 2 + ((y - 24) / 6.0) ** 2 + ((x - 20) / 6.0) ** 2 < 1
    volume = np.where((y - 24) ** 2 + (x - 24) ** 2 < 22**2, 400, 0) + 300 * tumour
    volume = volume + (7 * z + 3 * x) % 50  # texture, so slices differ
    _write_series(root / "images" / "P001" / "AP", volume, skip)
    mask = sitk.GetImageFromArray(tumour.astype(np.uint8))
    mask.SetSpacing((1.5, 1.5, SLICE_GAP))
    sitk.WriteImage(mask, str(root / "images" / "P001" / "mask.nii.gz"))
    (root / "clinical.csv").write_text("patient_id\nP001\n")
    (root / "study.yaml").write_text(
        "clinical: {file: clinical.csv, id: patient_id}\n"
        'images:\n  phases: {AP: "images/{patient_id}/AP"}\n'
        '  mask: "images/{patient_id}/mask.nii.gz"\n'
    )
    return root / "study.yaml"


def test_complete_dicom_series_extracted(tmp_path):
    yaml = _dicom_study(tmp_path / "s")
    image = read_image(yaml.parent / "images" / "P001" / "AP")
    assert image.GetSize() == (48, 48, N_SLICES)
    assert image.GetSpacing() == pytest.approx((1.5, 1.5, SLICE_GAP))
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert s.ok and s.n_extracted == 1


@pytest.mark.parametrize("resample", [False, True])
def test_dicom_missing_slice_fails_patient_even_with_resample_mask(tmp_path, resample):
    yaml = _dicom_study(tmp_path / "s", skip={6})  # the tumour's largest slice is gone
    s = run_study(yaml, tmp_path / "out", resample_mask=resample, **FAST)
    assert (s.n_failed, s.n_extracted) == (1, 0)
    reason = s.failures["P001"]
    assert reason.startswith("patient P001, phase AP, file ")
    # slices at 0, 3, ..., 15, 21, ... mm: the gap between the 6th and 7th file is 6 mm
    assert "irregular slice spacing: 6 mm between slices 6 and 7 of 11, 3 mm elsewhere" in reason
    assert "mask does not match" not in reason
    assert pd.read_parquet(s.tables["AP"]).empty


def test_dicom_duplicated_slice_position_refused(tmp_path):
    from extract.integrity import check_slice_positions

    positions = [[0, 0, 0], [0, 0, 3], [0, 0, 3], [0, 0, 6]]
    with pytest.raises(ExtractError, match="irregular slice spacing: 0 mm between slices 2 and 3"):
        check_slice_positions(positions, [1, 0, 0, 0, 1, 0])


# ---------------------------------------------------------------- cache keyed by input content


def test_changed_input_recomputed_against_fresh_run(tmp_path):
    import os

    yaml = make_study(tmp_path / "s", n=3, shape=(8, 48, 48), seed=3)
    out = tmp_path / "out"
    first = run_study(yaml, out, **FAST)
    assert (first.n_extracted, first.n_cached, first.n_changed) == (3, 0, 0)
    before = pd.read_parquet(first.tables["AP"]).set_index("patient_id")
    images = yaml.parent / "images"
    ap = images / "P002" / "AP.nii.gz"
    old = sitk.ReadImage(str(ap))
    new = sitk.GetImageFromArray(sitk.GetArrayFromImage(old)[:, :, ::-1].copy())  # mirrored
    new.CopyInformation(old)
    sitk.WriteImage(new, str(ap))
    mask = images / "P003" / "mask.nii.gz"
    sitk.WriteImage(sitk.BinaryDilate(sitk.ReadImage(str(mask)), [2, 2, 0]), str(mask))
    hbp = images / "P001" / "HBP.nii.gz"
    os.utime(hbp, ns=(hbp.stat().st_atime_ns, hbp.stat().st_mtime_ns + 10**9))  # same bytes
    again = run_study(yaml, out, **FAST)
    assert (again.n_extracted, again.n_cached, again.n_changed, again.n_failed) == (2, 1, 2, 0)
    assert "2 extracted (2 of them as an input changed), 1 from cache" in str(again)
    after = pd.read_parquet(again.tables["AP"]).set_index("patient_id")
    fresh = pd.read_parquet(run_study(yaml, tmp_path / "fresh", **FAST).tables["AP"])
    pd.testing.assert_frame_equal(after, fresh.set_index("patient_id"))
    assert not np.allclose(after.loc["P002"], before.loc["P002"])
    assert not np.allclose(after.loc["P003"], before.loc["P003"])
    np.testing.assert_array_equal(after.loc["P001"], before.loc["P001"])
    inputs = json.loads((out / "manifest.json").read_text())["patients"]["P002"]["inputs"]
    assert inputs["image"]["AP"]["size"] == ap.stat().st_size
    assert inputs["image"]["AP"]["mtime_ns"] == ap.stat().st_mtime_ns
    assert len(inputs["image"]["AP"]["sha256"]) == 64


# ---------------------------------------------------------------- manifest paths


def test_manifest_paths_relative_to_study_folder(tmp_path):
    import shutil

    yaml = make_study(tmp_path / "s", n=2, shape=(8, 48, 48), seed=4)
    out = tmp_path / "out"
    run_study(yaml, out, **FAST)
    text = (out / "manifest.json").read_text()
    assert str(tmp_path) not in text  # no absolute path anywhere
    patient = json.loads(text)["patients"]["P002"]
    assert patient["phases"]["PVP"]["file"] == "images/P002/PVP.nii.gz"
    assert patient["phases"]["PVP"]["mask_file"] == "images/P002/mask.nii.gz"
    assert patient["inputs"]["mask"]["AP"]["file"] == "images/P002/mask.nii.gz"
    # the study folder moved elsewhere (same bytes): every patient still comes from the cache
    moved = shutil.copytree(yaml.parent, tmp_path / "elsewhere" / "s")
    again = run_study(moved / "study.yaml", out, **FAST)
    assert (again.n_cached, again.n_extracted) == (2, 0)
