"""Small synthetic Gd-EOB-DTPA MR volumes (AP, PVP, HBP) and tumour masks as NIfTI.

Each patient gets a 96 x 96 x 12 voxel slab (3.5 x 3.5 x 6 mm) of the upper abdomen: body
and subcutaneous fat, liver, spleen, aorta, IVC and portal branches, the tumour(s) of
clinical.csv (``tumour_number``; the largest with diameter ``tumour_size``), a smooth
multiplicative bias field, scanner gain per centre and Rician noise. The tumours depend on the
patient's latent image risk ``z`` (truth.csv), differently per phase:

- AP: arterial hyperenhancement that rises with ``z``, heterogeneous (finer, stronger
  mottling with ``z``), rim-like for AP enhancement types 4-5;
- PVP: washout (tumour darker than liver, more so with ``z``), enhancing capsule ring
  (complete/incomplete), hypodense halo;
- HBP: hypointense tumour (darker with ``z``) and peritumoral hypointensity.
Margins become lobulated and necrotic cores (necrosis present) dark in every phase; size itself
grows with ``z`` through tumour_size. Files are gzip-compressed with mtime 0, so the same seed
gives the same bytes.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from scipy.special import expit

__all__ = ["SHAPE", "SPACING", "PHASES", "patient_volumes", "write_images"]

SHAPE = (96, 96, 12)
SPACING = (3.5, 3.5, 6.0)  # mm
PHASES = ("AP", "PVP", "HBP")
# signal of each tissue per phase (arbitrary units, T1-weighted GRE)
TISSUE = {
    "background": (0, 0, 0),
    "soft": (180, 200, 190),
    "fat": (420, 400, 380),
    "liver": (320, 430, 620),
    "spleen": (470, 420, 260),
    "aorta": (950, 560, 300),
    "portal": (430, 600, 330),
}
CENTRE_GAIN = {"Center 1": (1.0, 11.0), "Center 2": (0.82, 15.0)}  # gain, noise sigma


def _grid():
    x = (np.arange(SHAPE[0]) - (SHAPE[0] - 1) / 2) * SPACING[0]
    y = (np.arange(SHAPE[1]) - (SHAPE[1] - 1) / 2) * SPACING[1]
    z = (np.arange(SHAPE[2]) - (SHAPE[2] - 1) / 2) * SPACING[2]
    return x[:, None, None], y[None, :, None], z[None, None, :]


def _ellipsoid(g, centre, radii):
    return sum(((a - c) / r) ** 2 for a, c, r in zip(g, centre, radii))


def _tumour_shape(g, centre, radius, lobulation, rng):
    """Normalised radius field of a lobulated ellipsoid (< 1 inside), and its angle field."""
    dx, dy, dz = (a - c for a, c in zip(g, centre))
    elong = rng.uniform(0.85, 1.15)
    rho = np.sqrt(
        (dx / (radius * elong)) ** 2 + (dy / (radius / elong)) ** 2 + (dz / (radius * 0.9)) ** 2
    )
    theta = np.arctan2(dy, dx)
    wobble = sum(
        rng.uniform(0.4, 1.0) * np.sin(k * theta + rng.uniform(0, 2 * np.pi)) for k in (3, 5, 7)
    )
    return rho / (1 + lobulation * wobble / 2), theta


def _box(centre, half_mm):
    """Index box (tuple of slices) around a point, ``half_mm`` on each side."""
    out = []
    for c, h, n, d in zip(centre, (half_mm, half_mm, half_mm), SHAPE, SPACING):
        mid = c / d + (n - 1) / 2
        lo, hi = int(np.floor(mid - h / d)), int(np.ceil(mid + h / d)) + 1
        out.append(slice(min(max(lo, 0), n), min(max(hi, 0), n)))
    return tuple(out)


def _sub(axis_array, box):
    """The part of a broadcast grid axis inside ``box``."""
    return axis_array[
        tuple(b if axis_array.shape[i] > 1 else slice(None) for i, b in enumerate(box))
    ]


def _smooth_noise(rng, sigma, shape):
    field = gaussian_filter(
        rng.standard_normal(shape, dtype=np.float32), sigma=sigma, mode="reflect"
    )
    return field / (field.std() + 1e-12)


def patient_volumes(
    row: pd.Series, feats: pd.Series, rng: np.random.Generator
) -> tuple[dict, np.ndarray]:
    """{phase: float volume} and the uint8 tumour mask of one patient."""
    g = _grid()
    label, body, liver, liver_c, liver_r = _anatomy(g, rng)
    base = {ph: TISSUE_TABLE[:, i][label] for i, ph in enumerate(PHASES)}
    mask = np.zeros(SHAPE, dtype=np.uint8)
    look = _tumour_look(row, feats)
    size_mm = float(row["tumour_size"]) * 10.0
    for t in range(int(row["tumour_number"])):
        radius = size_mm / 2 if t == 0 else size_mm / 2 * rng.uniform(0.3, 0.65)
        radius = max(radius, 4.0)
        off = rng.normal(0, 1, 3) * np.array([liver_r[0] * 0.3, liver_r[1] * 0.3, 8.0])
        centre = np.array(liver_c) + off
        _draw_tumour(base, mask, g, body, liver, centre, radius, look, t == 0, rng)
    if int(feats["satellite_nodules"]) == 1:
        for _ in range(int(rng.integers(2, 4))):
            centre = np.array(liver_c) + rng.normal(0, 1, 3) * np.array(
                [size_mm * 0.7, size_mm * 0.7, 6.0]
            )
            box = _box(centre, 8.0)
            nod = (
                _ellipsoid(tuple(_sub(a, box) for a in g), centre, (5.0, 5.0, 5.0)) < 1.0
            ) & liver[box]
            for ph in PHASES:
                base[ph][box][nod] = TISSUE["liver"][PHASES.index(ph)] * look["ratios"][ph]
    return _acquire(base, str(row["center"]), g, rng), mask


def _anatomy(g, rng: np.random.Generator):
    """The tissue index of every voxel (body, fat, liver, spleen, aorta, IVC, portal branches),
    the body's ellipse, the liver's voxels, centre and radii."""
    label = np.zeros(SHAPE, dtype=np.int8)  # tissue index
    names = list(TISSUE)
    body_c = (rng.normal(0, 4), rng.normal(8, 3), 0.0)
    body = np.broadcast_to(
        _ellipsoid(g[:2], body_c[:2], (160 + rng.normal(0, 8), 120 + rng.normal(0, 6))), SHAPE
    )
    label[body < 1.0] = names.index("fat")
    label[body < 0.8] = names.index("soft")
    liver_c = (rng.normal(-50, 5), rng.normal(-10, 5), rng.normal(0, 4))
    liver_r = (88 + rng.normal(0, 6), 75 + rng.normal(0, 5), 70.0)
    liver = _ellipsoid(g, liver_c, liver_r) < 1.0
    label[liver] = names.index("liver")
    label[_ellipsoid(g, (75 + rng.normal(0, 4), 30, 0), (38, 28, 60)) < 1.0] = names.index("spleen")
    label[np.broadcast_to(_ellipsoid(g[:2], (28, 75), (11, 11)) < 1.0, SHAPE)] = names.index(
        "aorta"
    )
    label[np.broadcast_to(_ellipsoid(g[:2], (0, 68), (12, 9)) < 1.0, SHAPE)] = names.index(
        "portal"
    )  # IVC
    for _ in range(3):  # portal branches crossing the liver
        p0 = np.array([liver_c[0] + rng.normal(0, 25), liver_c[1] + rng.normal(0, 25)])
        ang = rng.uniform(0, np.pi)
        d = np.abs((g[0] - p0[0]) * np.sin(ang) - (g[1] - p0[1]) * np.cos(ang))
        label[(d < rng.uniform(3, 6)) & liver] = names.index("portal")
    return label, body, liver, liver_c, liver_r


def _tumour_look(row: pd.Series, feats: pd.Series) -> dict:
    """How the patient's tumours look, from the image risk and the readers' features."""
    strength = expit(1.5 * float(row["_image_risk"]))  # 0..1, rises with risk
    ap_type = int(feats["ap_enhancement"])  # 0..4 (types 1..5)
    return {
        "strength": strength,
        "lobulation": 0.05 + 0.35 * strength,
        "ap_type": ap_type,
        "ratios": {
            "AP": 1.15 + 0.75 * strength + 0.05 * ap_type,
            "PVP": 0.98 - 0.35 * strength,
            "HBP": 0.62 - 0.40 * strength,
        },
        "halo": int(feats["hypodense_halo"]) == 1,
        "peritumoral": int(feats["peritumoral_hypointensity"]) == 1,
        "capsule": int(feats["capsule"]),  # 0 absent, 1 incomplete, 2 complete
        "necrosis": int(feats["necrosis"]) == 1,
    }


def _draw_tumour(base, mask, g, body, liver, centre, radius, look, first, rng) -> None:
    """One tumour into every phase's ``base`` and into ``mask`` (necrosis in the first only)."""
    strength = look["strength"]
    box = _box(centre, radius * 1.45 + 10.0)
    gb = tuple(_sub(a, box) for a in g)
    rho, theta = _tumour_shape(gb, centre, radius, look["lobulation"], rng)
    inside = (rho < 1.0) & (body[box] < 0.8)
    mask[box][inside] = 1
    shell_out = (rho >= 1.0) & (rho < 1.0 + 7.0 / radius)
    rim = (rho >= 0.72) & inside
    in_liver = liver[box]
    shape = tuple(b.stop - b.start for b in box)
    fine, coarse = _smooth_noise(rng, 0.8, shape), _smooth_noise(rng, 2.5, shape)
    mottling = (0.06 + 0.30 * strength) * (strength * fine + (1 - strength) * coarse)
    for ph in PHASES:
        liver_level = TISSUE["liver"][PHASES.index(ph)]
        value = liver_level * look["ratios"][ph] * (1 + mottling)
        if ph == "AP" and look["ap_type"] >= 3:  # rim-like enhancement
            value = np.where(rim, value * 1.25, value * 0.8)
        if ph == "PVP" and look["capsule"]:
            ring = (rho >= 0.86) & inside
            if look["capsule"] == 1:
                ring &= np.sin(theta + rng.uniform(0, 6.3)) > 0
            value = np.where(ring, liver_level * 1.35, value)
        if look["necrosis"] and first:
            value = np.where(rho < 0.45, liver_level * 0.25 * (1 + 0.3 * coarse), value)
        sub = base[ph][box]
        sub[inside] = value[inside]
        if ph in ("AP", "PVP") and look["halo"]:
            sub[shell_out & (rho < 1.0 + 3.5 / radius)] *= 0.75
        if ph == "HBP" and look["peritumoral"]:
            sub[shell_out & in_liver] *= 0.7


def _acquire(base: dict, centre_name: str, g, rng: np.random.Generator) -> dict:
    """The scanner: blur, the centre's gain, a smooth coil bias and Rician noise."""
    gain, sigma = CENTRE_GAIN.get(centre_name, (1.0, 12.0))
    xs, ys = (a / 170.0 for a in g[:2])
    coef = rng.normal(0, 0.12, 5)
    bias = np.exp(
        coef[0] * xs + coef[1] * ys + coef[2] * xs * ys + coef[3] * xs**2 + coef[4] * ys**2
    )
    bias = bias.astype(np.float32)  # smooth, in-plane; the same coil profile for every phase
    out = {}
    for ph in PHASES:
        img = (
            gaussian_filter(base[ph], sigma=(0.7, 0.7, 0.3))
            * bias
            * np.float32(gain * rng.normal(1.0, 0.04))
        )
        n1, n2 = rng.standard_normal((2, *SHAPE), dtype=np.float32) * np.float32(sigma)
        out[ph] = np.sqrt((img + n1) ** 2 + n2**2)
    return out


TISSUE_TABLE = np.array(list(TISSUE.values()), dtype=np.float32)


@lru_cache(maxsize=4)
def _nifti_header(dtype_name: str) -> bytes:
    """The 352-byte NIfTI-1 header (with empty extension flag) nibabel writes for our volumes."""
    import nibabel as nib

    affine = np.diag([*SPACING, 1.0])
    affine[:3, 3] = [-(s - 1) / 2 * d for s, d in zip(SHAPE, SPACING)]
    img = nib.Nifti1Image(np.zeros(SHAPE, dtype=dtype_name), affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=1)
    raw = img.to_bytes()
    return raw[: len(raw) - int(np.prod(SHAPE)) * np.dtype(dtype_name).itemsize]


def _nifti_bytes(array: np.ndarray, dtype) -> bytes:
    """A .nii.gz file's bytes: nibabel's header, voxels in Fortran order, gzip with mtime 0."""
    arr = np.asarray(array).astype(dtype, copy=False)
    return gzip.compress(
        _nifti_header(np.dtype(dtype).name) + arr.tobytes(order="F"), compresslevel=1, mtime=0
    )


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _one_patient(
    folder: Path, row: pd.Series, feats: pd.Series, seed: np.random.SeedSequence
) -> None:
    vols, mask = patient_volumes(row, feats, np.random.default_rng(seed))
    folder.mkdir(parents=True, exist_ok=True)
    for ph, vol in vols.items():
        _write(folder / f"{ph}.nii.gz", _nifti_bytes(np.clip(np.rint(vol), 0, 32767), np.int16))
    _write(folder / "mask.nii.gz", _nifti_bytes(mask, np.uint8))


def write_images(
    out: Path,
    frame: pd.DataFrame,
    feats: pd.DataFrame,
    seed: np.random.SeedSequence,
    n_jobs: int = 1,
) -> None:
    """images/<patient_id>/{AP,PVP,HBP,mask}.nii.gz for every row of ``frame``."""
    seeds = seed.spawn(len(frame))
    jobs = [
        (out / "images" / str(pid), frame.iloc[i], feats.iloc[i], seeds[i])
        for i, pid in enumerate(frame["patient_id"])
    ]
    if n_jobs == 1:
        for job in jobs:
            _one_patient(*job)
    else:
        from joblib import Parallel, delayed

        # threads: numpy, scipy.ndimage and zlib release the GIL, and start-up is instant
        Parallel(n_jobs=n_jobs, prefer="threads")(delayed(_one_patient)(*job) for job in jobs)
