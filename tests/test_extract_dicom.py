"""extract on real data: pydicom's contrast-enhanced abdominal MR with an outlined liver lesion.

``examples_overlay.dcm`` (pydicom test files: "abdomen^liver", series "marked lesion") carries
the lesion's outline in overlay plane 0x6000 together with a few text marks; the mask is the
outline filled (scipy binary_fill_holes).  The lesion is the largest filled component, rows
139-173 and columns 46-80 of the 300 x 484 image, which the ROI must find.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("torch")
from pydicom.data import get_testdata_file  # noqa: E402
from scipy import ndimage  # noqa: E402

from extract import feature_names, run_study  # noqa: E402


@pytest.fixture(scope="module")
def overlay_study(tmp_path_factory):
    src = get_testdata_file("examples_overlay.dcm")
    if src is None:
        pytest.skip("pydicom's examples_overlay.dcm is not installed")
    root = tmp_path_factory.mktemp("dicom")
    folder = root / "images" / "LIVER01"
    folder.mkdir(parents=True)
    shutil.copy(src, folder / "PVP.dcm")
    ds = pydicom.dcmread(src)
    filled = ndimage.binary_fill_holes(ds.overlay_array(0x6000))
    image = sitk.ReadImage(str(folder / "PVP.dcm"))
    mask = sitk.GetImageFromArray(filled.astype(np.uint8)[None])
    mask.CopyInformation(image)
    sitk.WriteImage(mask, str(folder / "mask.nii.gz"))
    (root / "clinical.csv").write_text("patient_id\nLIVER01\n")
    (root / "study.yaml").write_text(
        "clinical: {file: clinical.csv, id: patient_id}\n"
        'images:\n  phases: {PVP: "images/{patient_id}/PVP.dcm"}\n  mask: images/{patient_id}/mask.nii.gz\n'
    )
    return root / "study.yaml"


def test_whole_chain_on_pydicom_overlay_lesion(overlay_study):
    s = run_study(
        overlay_study, overlay_study.parent / "features", random_weights=True, size=64, quiet=True
    )
    assert s.ok and s.n_extracted == 1
    table = pd.read_parquet(s.tables["PVP"])
    assert list(table.columns) == ["patient_id", *feature_names()] and table.shape == (1, 1473)
    values = table.iloc[0, 1:].to_numpy()
    assert np.isfinite(values).all() and (values > 0).sum() > 100
    roi = json.loads((s.out_dir / "manifest.json").read_text())["patients"]["LIVER01"]["phases"][
        "PVP"
    ]
    # the lesion (920 filled pixels) is the largest of the 6 filled overlay components
    assert roi["n_components"] == 6 and roi["tumour_area_px"] == 920 and roi["slice_index"] == 0
    r0, c0, r1, c1 = roi["bbox"]
    assert (r0, r1) == (139 - 5, 174 + 5) and (c0, c1) == (
        46 - 5,
        81 + 5,
    )  # 35 x 35 box + 5 px margin
    assert roi["tumour_area_mm2"] == pytest.approx(920 * 0.72314049586777**2)
