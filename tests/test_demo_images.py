"""The demo's NIfTI images: readable by SimpleITK and nibabel, deterministic, risk-dependent."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from scipy.stats import spearmanr

from hccstats.demo import make_study
from hccstats.study import load

sitk = pytest.importorskip("SimpleITK")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("img"), n=40, seed=5, images=True)


def _read(path: Path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))  # (z, y, x)


def test_images_exist_for_every_included_patient(small):
    study = load(small)  # check_images=True: every file must exist
    assert study.phases == ["AP", "PVP", "HBP"]
    for pid in study.data.index:
        assert all(p.is_file() for p in study.image_paths(pid).values())
        assert all(p.is_file() for p in study.mask_paths(pid).values())
    assert not (small.parent / "images" / study.excluded.index[0]).exists()


def test_images_read_by_simpleitk_and_nibabel(small):
    import nibabel as nib

    folder = small.parent / "images" / "HCC0001"
    img = sitk.ReadImage(str(folder / "AP.nii.gz"))
    assert img.GetSize() == (96, 96, 12)
    np.testing.assert_allclose(img.GetSpacing(), (3.5, 3.5, 6.0))
    assert img.GetPixelID() == sitk.sitkInt16
    nib_img = nib.load(folder / "PVP.nii.gz")
    assert nib_img.shape == (96, 96, 12) and nib_img.header.get_xyzt_units() == ("mm", "sec")
    mask = _read(folder / "mask.nii.gz")
    assert set(np.unique(mask)) == {0, 1}
    # sitk and nibabel agree on the voxel values (sitk: z, y, x; nibabel: x, y, z)
    np.testing.assert_array_equal(_read(folder / "PVP.nii.gz"), np.asarray(nib_img.dataobj).T)


def test_tumour_count_and_size_follow_clinical_csv(small):
    study = load(small)
    for pid, row in study.data.iterrows():
        mask = _read(study.mask_paths(pid)["AP"])
        _, n_blobs = ndimage.label(mask)
        # tumours may touch and merge, never more blobs than tumours
        assert 1 <= n_blobs <= int(row["tumour_number"]), pid
        # the largest cross-section's equivalent diameter tracks tumour_size (cm)
        largest = mask.sum(axis=(1, 2)).max() * 3.5 * 3.5
        diameter_cm = 2 * np.sqrt(largest / np.pi) / 10
        assert diameter_cm < row["tumour_size"] * 1.6 + 1.0, pid


def test_tumour_appearance_depends_on_latent_risk(small):
    # Arterial hyperenhancement rises, HBP tumour signal falls with the latent image risk:
    # tumour-to-liver-ish contrast (tumour mean / median of body voxels) must correlate with the
    # risk in the right direction (Spearman rho, n = 40; |rho| > 0.5 is p < 0.001).
    study = load(small)
    risk = pd.read_csv(small.parent / "truth.csv", index_col="patient_id")["image_risk"]
    contrast = {"AP": [], "HBP": []}
    for pid in study.data.index:
        mask = _read(study.mask_paths(pid)["AP"]) == 1
        for phase in contrast:
            img = _read(study.image_paths(pid)[phase]).astype(float)
            contrast[phase].append(img[mask].mean() / np.median(img[img > 100]))
    r = risk.loc[study.data.index].to_numpy()
    assert spearmanr(r, contrast["AP"])[0] > 0.5
    assert spearmanr(r, contrast["HBP"])[0] < -0.5


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_images_same_seed_same_bytes_any_n_jobs(tmp_path):
    a = make_study(tmp_path / "a", n=20, seed=9, images=True, n_excluded=0).parent
    b = make_study(tmp_path / "b", n=20, seed=9, images=True, n_excluded=0, n_jobs=2).parent
    assert _digests(a) == _digests(b)
    c = make_study(tmp_path / "c", n=20, seed=10, images=False).parent
    assert (a / "clinical.csv").read_bytes() != (c / "clinical.csv").read_bytes()


@pytest.mark.slow
def test_full_demo_with_images_under_30_s_cpu(tmp_path):
    # The 285-patient study with images in under 30 s. CPU time of this process
    # (n_jobs=1) is measured, since wall time on the shared 2-core machine depends on the load.
    start = time.process_time()
    path = make_study(tmp_path, n=285, seed=2023, images=True)
    assert time.process_time() - start < 30.0
    assert len(load(path).data) == 285
