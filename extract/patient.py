"""One patient: images and mask in, one resized crop per phase out (and its features).

:func:`prepare_patient` is what the worker processes run (read, check, N4,
0..255, largest slice, crop, resize); :func:`extract_patient` adds VGG19 for
one patient at a time (the report's per-patient use).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from .config import Settings
from .content import check_not_blank, label_map
from .errors import ExtractError, where
from .io import check_geometry, read_image, tumour_mask
from .preprocess import n4_correct, to_0_255
from .roi import axial_axis, bounding_box, crop, largest_slice, resize

__all__ = ["prepare_phase", "prepare_patient", "extract_patient"]


def prepare_phase(
    image_path, mask_path, settings: Settings, *, patient=None, phase=None, mask_image=None
):
    """One phase: the (size, size) crop in 0..255 (float32) and what was chosen.

    Returns
    -------
    crop : ndarray (size, size) float32
    info : dict
        ``file``, ``mask_file``, ``axis`` (array axis taken as axial),
        ``slice_index``, ``bbox`` ``[row0, col0, row1, col1]`` (ends exclusive, on
        the slice; may reach outside the image, filled with 0), ``tumour_area_px``,
        ``tumour_area_mm2``, ``n_components`` (connected tumours in the mask).
        ``mask_image`` (already read from ``mask_path``) saves reading it again.
    """
    image = read_image(image_path, patient=patient, phase=phase)
    mask = (
        mask_image
        if mask_image is not None
        else read_image(mask_path, patient=patient, phase=phase)
    )
    mask = label_map(
        mask,
        settings.tumour_label,
        threshold=settings.mask_threshold,
        patient=patient,
        phase=phase,
        mask_file=mask_path,
    )
    mask = check_geometry(
        image,
        mask,
        patient=patient,
        phase=phase,
        mask_file=mask_path,
        image_file=image_path,
        tolerance=settings.geometry_tolerance,
        resample=settings.resample_mask,
    )
    tumour = tumour_mask(
        mask, settings.tumour_label, patient=patient, phase=phase, mask_file=mask_path
    )
    axis = axial_axis(image.GetDirection())
    choice = largest_slice(tumour, axis=axis, components=settings.components)
    check_not_blank(
        sitk.GetArrayViewFromImage(image),
        (axis, choice.index, bounding_box(choice.mask, margin=0, square=False)),
        patient=patient,
        phase=phase,
        image_file=image_path,
    )
    if settings.n4:
        try:
            image = n4_correct(image, **settings.n4_parameters())
        except RuntimeError as exc:
            raise ExtractError(
                f"{where(patient, phase, image_path)}N4 bias correction failed "
                f"({str(exc).strip().splitlines()[-1][:200]})"
            ) from None
    volume = sitk.GetArrayViewFromImage(image)
    grey = to_0_255(
        np.moveaxis(volume, axis, 0)[choice.index],
        percentiles=settings.percentiles,
        reference=volume,
    )
    box = bounding_box(choice.mask, margin=settings.margin, square=settings.square)
    in_plane = [s for i, s in enumerate(reversed(image.GetSpacing())) if i != axis]
    info = {
        "file": str(image_path),
        "mask_file": str(mask_path),
        "axis": axis,
        "slice_index": choice.index,
        "bbox": list(box),
        "tumour_area_px": choice.area,
        "tumour_area_mm2": float(choice.area * in_plane[0] * in_plane[1]),
        "n_components": choice.n_components,
    }
    return resize(crop(grey, box), settings.size), info


def prepare_patient(patient_id: str, images: dict, masks: dict, settings: Settings):
    """All phases of one patient: ``({phase: crop}, {phase: info})``; first error raised."""
    crops, infos, read = {}, {}, {}
    for phase, path in images.items():
        mask_path = masks[phase]
        if mask_path not in read:  # one mask file shared by the phases: read once
            read[mask_path] = read_image(mask_path, patient=patient_id, phase=phase)
        crops[phase], infos[phase] = prepare_phase(
            path, mask_path, settings, patient=patient_id, phase=phase, mask_image=read[mask_path]
        )
    return crops, infos


def extract_patient(
    images: dict,
    mask,
    *,
    patient_id: str = "patient",
    weights=None,
    random_weights: bool = False,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "fp32",
    model=None,
    settings: Settings | None = None,
    **options,
):
    """Deep features of one patient, one row per phase.

    Parameters
    ----------
    images : dict
        Phase name → image path (file or DICOM folder).
    mask : path or dict
        One mask for all phases, or phase → mask path.
    weights, random_weights, seed, device, dtype
        As for :func:`extract.run_study`.
    model : extract.vgg.FeatureExtractor, optional
        Reuse a loaded model across calls.
    settings : Settings, optional
        Preprocessing settings; or give them as keywords (``size=64`` …).

    Returns
    -------
    pandas.DataFrame
        Index ``phase``, 1472 float32 columns ``vgg19_b{block}_c{channel}``;
        ``.attrs["roi"]`` holds each phase's slice, box and tumour area.

    Examples
    --------
    >>> feats = extract_patient({"AP": "ap.nii.gz"}, "mask.nii.gz", random_weights=True, size=64)  # doctest: +SKIP
    >>> feats.shape
    (1, 1472)
    """
    import pandas as pd

    from .vgg import FeatureExtractor, build_model, feature_names

    settings = settings or Settings(**options)
    masks = dict(mask) if isinstance(mask, dict) else {ph: Path(mask) for ph in images}
    crops, infos = prepare_patient(patient_id, dict(images), masks, settings)
    if model is None:
        net, _ = build_model(weights, random_weights=random_weights, seed=seed)
        model = FeatureExtractor(net, device=device, dtype=dtype)
    feats = model(np.stack([crops[ph] for ph in images]))
    table = pd.DataFrame(feats, index=pd.Index(list(images), name="phase"), columns=feature_names())
    table.attrs["roi"] = infos
    return table
