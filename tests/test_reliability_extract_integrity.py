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
