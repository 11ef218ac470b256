"""Small synthetic studies for tests and benchmarks (not the hccstats demo cohort).

A volume is an elliptic body with a brighter or darker round tumour, times a
smooth multiplicative bias field, plus noise; the mask marks the tumour with
label 1.  Files are NIfTI, laid out as the ``images:`` templates expect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

__all__ = ["make_volume", "make_study"]

PHASE_CONTRAST = {"AP": 1.5, "PVP": 1.2, "HBP": 0.5}


def make_volume(
    shape=(12, 64, 64),
    *,
    rng,
    contrast: float = 1.5,
    bias: float = 0.5,
    noise: float = 0.03,
    spacing=(1.5, 1.5, 4.0),
):
    """``(image, mask, bias_field, clean)`` as arrays (z, y, x) and the SimpleITK pair."""
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in shape), indexing="ij")
    body = (y / 0.85) ** 2 + (x / 0.95) ** 2 < 1
    centre = rng.uniform(-0.3, 0.3, 3) * [0.5, 1, 1]
    radius = rng.uniform(0.15, 0.3)
    tumour = ((z - centre[0]) / 2.5) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 < radius**2
    clean = np.where(body, 100.0, 0.0) * np.where(tumour, contrast, 1.0)
    field = np.exp(bias * (0.6 * x + 0.3 * y + 0.2 * z))
    image = np.clip(clean * field * (1 + noise * rng.standard_normal(shape)), 0, None)
    img, msk = (
        sitk.GetImageFromArray(image.astype(np.float32)),
        sitk.GetImageFromArray(tumour.astype(np.uint8)),
    )
    for im in (img, msk):
        im.SetSpacing(spacing)
    return img, msk, field, clean


def make_study(
    out, n: int = 6, *, shape=(12, 64, 64), seed: int = 0, phases=("AP", "PVP", "HBP")
) -> Path:
    """Write ``images/<id>/<phase>.nii.gz`` + ``mask.nii.gz``, clinical.csv and study.yaml; return the yaml."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(1, n + 1)]
    for pid in ids:
        folder = out / "images" / pid
        folder.mkdir(parents=True, exist_ok=True)
        state = rng.bit_generator.state
        for phase in phases:
            rng.bit_generator.state = state  # same anatomy, other contrast
            img, msk, _, _ = make_volume(shape, rng=rng, contrast=PHASE_CONTRAST.get(phase, 1.3))
            sitk.WriteImage(img, str(folder / f"{phase}.nii.gz"))
        sitk.WriteImage(msk, str(folder / "mask.nii.gz"))
        rng.standard_normal(4)
    (out / "clinical.csv").write_text(
        "patient_id,age\n" + "".join(f"{p},{60 + k % 20}\n" for k, p in enumerate(ids))
    )
    phase_lines = ", ".join(f'{ph}: "images/{{patient_id}}/{ph}.nii.gz"' for ph in phases)
    (out / "study.yaml").write_text(
        "name: synthetic extract test study\n"
        "clinical: {file: clinical.csv, id: patient_id}\n"
        f'images:\n  phases: {{{phase_lines}}}\n  mask: "images/{{patient_id}}/mask.nii.gz"\n  tumour_label: 1\n'
    )
    return out / "study.yaml"
