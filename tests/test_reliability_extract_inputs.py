"""extract: masks that are not labels, blank images, ids that are not the study's, an --out among
the inputs, a scheduler address that is not one: each refused by name, never turned into features.

Real files (NIfTI written with SimpleITK and nibabel) of small synthetic studies, seeded random
VGG19 weights at a 32-pixel crop; the command line is `extract.__main__.main` (one line on
stderr, an exit code), the report's a real `python -m hccstats.report` process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pytest.importorskip("torch")

from extract import ExtractError, run_study  # noqa: E402
from extract.__main__ import main  # noqa: E402
from extract.content import label_map  # noqa: E402
from extract.synthetic import make_study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAST = {"random_weights": True, "size": 32, "n4_iterations": (10, 10), "quiet": True}
FAST_CLI = ["--random-weights", "--size", "32", "--n4-iterations", "10,10", "--quiet"]


def _line(capsys) -> str:
    """The one line main() wrote on stderr."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ masks that are not labels


def _linear_mask(mask_path: Path) -> np.ndarray:
    """Rewrite a binary mask as the registration tools leave it after linear resampling
    (shifted by a fraction of a voxel, float32); its values."""
    mask = sitk.ReadImage(str(mask_path))
    shift = sitk.TranslationTransform(
        3, (0.45 * mask.GetSpacing()[0], 0.3 * mask.GetSpacing()[1], 0)
    )
    moved = sitk.Resample(
        sitk.Cast(mask, sitk.sitkFloat32), mask, shift, sitk.sitkLinear, 0.0, sitk.sitkFloat32
    )
    sitk.WriteImage(moved, str(mask_path))
    return sitk.GetArrayFromImage(moved)


@pytest.fixture(scope="module")
def linear(tmp_path_factory):
    """Two studies of the same images: P001's mask resampled linearly (floats 0..1), and the
    same mask thresholded at 0.5 by numpy and written as integers."""
    root = tmp_path_factory.mktemp("linear")
    floats = make_study(root / "floats", n=2, shape=(6, 40, 40), seed=4)
    ints = make_study(root / "ints", n=2, shape=(6, 40, 40), seed=4)
    values = _linear_mask(floats.parent / "images" / "P001" / "mask.nii.gz")
    geometry = sitk.ReadImage(str(floats.parent / "images" / "P001" / "mask.nii.gz"))
    thresholded = sitk.GetImageFromArray((values >= 0.5).astype(np.uint8))
    thresholded.CopyInformation(geometry)
    sitk.WriteImage(thresholded, str(ints.parent / "images" / "P001" / "mask.nii.gz"))
    return floats, ints, values


def test_linearly_resampled_mask_refused_naming_patient_phase_file(linear, tmp_path, capsys):
    floats, _, values = linear
    fractions = values[values != np.round(values)]
    assert fractions.size > 0  # linear resampling left fractions at the tumour's border
    code = main(["--study", str(floats), "--out", str(tmp_path / "f"), *FAST_CLI])
    err = capsys.readouterr().err
    assert code == 1  # that patient failed, the other one is extracted
    mask = floats.parent / "images" / "P001" / "mask.nii.gz"
    expected = (
        f"extract: failed: patient P001, phase AP, file {mask}: mask has non-integer values "
        f"({fractions.min():.2g} to {fractions.max():.2g}): resample masks with "
        "nearest-neighbour interpolation, or pass --mask-threshold 0.5"
    )
    assert expected in err.splitlines(), err
    table = pd.read_parquet(tmp_path / "f" / "AP.parquet")
    assert table["patient_id"].tolist() == ["P002"]


def test_mask_threshold_option_and_study_setting_against_numpy_thresholded_mask(
    linear, tmp_path, capsys
):
    floats, ints, values = linear
    truth = run_study(ints, tmp_path / "ints", **FAST)  # numpy's threshold, integer labels
    assert (
        main(
            [
                "--study",
                str(floats),
                "--out",
                str(tmp_path / "cli"),
                *FAST_CLI,
                "--mask-threshold",
                "0.5",
            ]
        )
        == 0
    ), capsys.readouterr().err
    setting = floats.parent / "study-threshold.yaml"
    setting.write_text(
        floats.read_text().replace(
            "  tumour_label: 1\n", "  tumour_label: 1\n  mask_threshold: 0.5\n"
        )
    )
    from_yaml = run_study(setting, tmp_path / "yaml", **FAST)
    for phase in ("AP", "PVP", "HBP"):
        want = pd.read_parquet(truth.tables[phase])
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cli" / f"{phase}.parquet"), want)
        pd.testing.assert_frame_equal(pd.read_parquet(from_yaml.tables[phase]), want)
    roi = json.loads((tmp_path / "cli" / "manifest.json").read_text())["patients"]["P001"]
    tumour = values >= 0.5
    assert roi["phases"]["AP"]["tumour_area_px"] == tumour.sum(axis=(1, 2)).max() > 1
    params = json.loads((tmp_path / "cli" / "manifest.json").read_text())["params"]
    assert params["settings"]["mask_threshold"] == 0.5
    assert (
        json.loads((from_yaml.out_dir / "manifest.json").read_text())["params"]["images"][
            "mask_threshold"
        ]
        == 0.5
    )


def test_mask_threshold_out_of_range_or_on_a_label_map_refused(linear, tmp_path, capsys):
    floats, _, _ = linear
    assert (
        main(
            [
                "--study",
                str(floats),
                "--out",
                str(tmp_path / "f"),
                *FAST_CLI,
                "--mask-threshold",
                "2",
            ]
        )
        == 2
    )
    assert _line(capsys) == (
        "extract: error: --mask-threshold must be a number above 0 and at most 1, not 2.0"
    )
    bad = floats.parent / "study-bad.yaml"
    bad.write_text(floats.read_text().replace("  tumour_label: 1\n", "  mask_threshold: half\n"))
    assert main(["--study", str(bad), "--out", str(tmp_path / "g"), *FAST_CLI]) == 2
    assert "images.mask_threshold must be a number above 0 and at most 1, not 'half'" in _line(
        capsys
    )
    assert not (tmp_path / "f").exists() and not (tmp_path / "g").exists()
    # two labels (liver 1, tumour 2) resampled linearly: the tumour's fractions cannot be told
    labels = np.zeros((4, 8, 8), np.float32)
    labels[1:3, 2:6, 2:6], labels[2, 3:5, 3:5] = 1.0, 2.0
    labels[2, 3, 3] = 1.4
    with pytest.raises(ExtractError, match=r"non-integer values up to 2, above the tumour label 1"):
        label_map(sitk.GetImageFromArray(labels), 1, threshold=0.5, patient="P9", phase="AP")


# ------------------------------------------------------------------------------ blank images


def test_blank_image_and_blank_tumour_region_refused_by_name(tmp_path):
    nib = pytest.importorskip("nibabel")
    yaml = make_study(tmp_path / "s", n=3, shape=(6, 40, 40), seed=6)
    images = yaml.parent / "images"
    # P001's AP: one grey value everywhere (written by nibabel on the original's grid)
    original = nib.load(images / "P001" / "AP.nii.gz")
    blank = nib.Nifti1Image(
        np.full(original.shape, 7.0, np.float32), original.affine, original.header
    )
    nib.save(blank, images / "P001" / "AP.nii.gz")
    # P002's PVP: one grey value inside the tumour's bounding box, the body around it intact
    path = images / "P002" / "PVP.nii.gz"
    image = sitk.ReadImage(str(path))
    voxels = sitk.GetArrayFromImage(image)
    z, y, x = np.nonzero(
        sitk.GetArrayFromImage(sitk.ReadImage(str(images / "P002" / "mask.nii.gz")))
    )
    voxels[z.min() : z.max() + 1, y.min() : y.max() + 1, x.min() : x.max() + 1] = 55.0
    patched = sitk.GetImageFromArray(voxels)
    patched.CopyInformation(image)
    sitk.WriteImage(patched, str(path))
    s = run_study(yaml, tmp_path / "out", **FAST)
    assert (s.n_extracted, s.n_failed) == (1, 2)
    assert s.failures["P001"] == (
        f"patient P001, phase AP, file {images / 'P001' / 'AP.nii.gz'}: image is blank: "
        "every voxel is 7"
    )
    reason = s.failures["P002"]
    assert reason.startswith(
        f"patient P002, phase PVP, file {path}: image is blank where the tumour is: every voxel "
        "of the tumour's box (slice "
    ), reason
    assert reason.endswith(") is 55; is the mask drawn on this image?"), reason
    assert pd.read_parquet(s.tables["AP"])["patient_id"].tolist() == ["P003"]


# ---------------------------------------------------------------- ids that are not the study's


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    """A study whose clinical table excludes P002 and lacks P003's outcome."""
    yaml = make_study(tmp_path_factory.mktemp("screened"), n=3, shape=(6, 40, 40), seed=5)
    (yaml.parent / "clinical.csv").write_text(
        "patient_id,recurrence,exclusion_reason\nP001,1,\nP002,0,withdrew consent\nP003,,\n"
    )
    yaml.write_text(
        yaml.read_text().replace(
            "clinical: {file: clinical.csv, id: patient_id}",
            "clinical: {file: clinical.csv, id: patient_id, exclude: exclusion_reason}\n"
            "outcome: {column: recurrence}",
        )
    )
    return yaml


@pytest.mark.parametrize("form", ["list", "@file"])
def test_patients_not_of_the_study_exit_2_naming_them(screened, tmp_path, capsys, form):
    ids = ["P001", "GHOST", "P002", "P003"]
    spec = ",".join(ids)
    if form == "@file":
        (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
        spec = f"@{tmp_path / 'ids.txt'}"
    assert (
        main(
            ["--study", str(screened), "--out", str(tmp_path / "f"), *FAST_CLI, "--patients", spec]
        )
        == 2
    )
    assert _line(capsys) == (
        "extract: error: --patients: not a patient of the study: GHOST (not in the clinical "
        "file), P002 (screened out: withdrew consent), "
        "P003 (screened out: missing outcome (recurrence))"
    )
    assert not (tmp_path / "f").exists()


# ----------------------------------------------------------------- --out among the inputs


@pytest.mark.parametrize(
    ("where", "says"),
    [
        (".", "holds the input {root}/study.yaml"),
        ("images", "holds the input {root}/images"),
        ("images/P001", "holds the input {root}/images/P001"),
        ("images/features", "lies inside the input folder {root}/images"),
    ],
    ids=["study folder", "images folder", "patient folder", "inside images"],
)
def test_out_among_the_inputs_refused_as_the_report_does(screened, capsys, where, says):
    root = screened.parent.resolve()
    before = _tree(root)
    out = (root / where).resolve()
    assert main(["--study", str(screened), "--out", str(out), *FAST_CLI, "--patients", "P001"]) == 2
    assert _line(capsys) == (
        f"extract: error: --out {out}: {says.format(root=root)}; choose another folder"
    )
    assert _tree(root) == before  # nothing written among the inputs


# ------------------------------------------------------------------- the scheduler's address


@pytest.fixture
def mute_port():
    """A port that accepts connections and never speaks (a firewall, a proxy, another server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_bad_scheduler_address_one_line_exit_2_within_seconds(
    screened, tmp_path, capsys, mute_port
):
    base = ["--study", str(screened), "--out", str(tmp_path / "f"), *FAST_CLI]
    cases = {
        "garbage!!": "extract: error: --scheduler 'garbage!!': not a Dask scheduler address "
        "(no :PORT); expected tcp://HOST:PORT, e.g. tcp://head:8786",
        "http://head:8786": "(unknown protocol 'http'; one of tcp, tls, ucx, ws, wss, inproc)",
        "tcp://head:99999": "(port 99999 is not between 1 and 65535)",
        "tcp://127.0.0.1:9": "extract: error: --scheduler tcp://127.0.0.1:9: no Dask scheduler "
        "reachable there (Connection refused)",
        mute_port: f"extract: error: --scheduler {mute_port}: no Dask scheduler reachable there "
        "(no Dask greeting within 2 s)",
    }
    for address, says in cases.items():
        t0 = time.monotonic()
        assert main([*base, "--scheduler", address]) == 2
        seconds = time.monotonic() - t0
        line = _line(capsys)
        assert line == says or line.endswith(
            says + "; expected tcp://HOST:PORT, e.g. tcp://head:8786"
        )
        assert seconds < 5, f"{address}: {seconds:.1f} s"
    assert not (tmp_path / "f").exists()


def test_report_refuses_a_malformed_scheduler_before_any_stage(screened, tmp_path):
    out = tmp_path / "report"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "hccstats.report", "--config", str(screened), "--out", str(out)]
        + ["--scheduler", "tcp://head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --scheduler 'tcp://head': not a Dask scheduler address (no :PORT); "
        "expected tcp://HOST:PORT, e.g. tcp://head:8786"
    ]
    assert not out.exists()
