"""What a mask and an image must hold to give features: labels, and grey values that vary.

A mask resampled with linear interpolation holds fractions (0.03 … 0.97) where it had labels;
read as labels, only the voxels still exactly equal to the tumour label would count, a ROI
of a pixel or two, and the features would look like any others.  :func:`label_map` refuses
such a mask, or thresholds it when asked (``--mask-threshold``).  :func:`check_not_blank`
refuses an image of one grey value, everywhere or where the tumour is (an empty series, a
mask drawn on another image): VGG19 would turn it into features of nothing.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from .errors import ExtractError, where

__all__ = ["label_map", "check_not_blank"]


def label_map(
    mask: sitk.Image,
    label: int,
    *,
    threshold: float | None = None,
    patient=None,
    phase=None,
    mask_file=None,
) -> sitk.Image:
    """``mask`` as integer labels: an integer mask as it is; one with non-integer values
    refused, or, with ``threshold``, tumour (``label``) where its value is at least
    ``threshold × label`` and 0 elsewhere (a binary mask resampled linearly).

    Raises
    ------
    ExtractError
        Non-integer values without ``threshold``; with it, values above ``label`` (other
        labels, whose resampled values cannot be told from the tumour's).
    """
    values = sitk.GetArrayViewFromImage(mask)
    if values.dtype.kind != "f":
        return mask
    fraction = values[values != np.round(values)]
    if fraction.size == 0:
        return mask
    here = where(patient, phase, mask_file)
    if threshold is None:
        raise ExtractError(
            f"{here}mask has non-integer values ({fraction.min():.2g} to {fraction.max():.2g}): "
            "resample masks with nearest-neighbour interpolation, or pass --mask-threshold 0.5"
        )
    top = float(values.max())
    if top > label:
        raise ExtractError(
            f"{here}mask has non-integer values up to {top:.3g}, above the tumour label "
            f"{label}: --mask-threshold reads a resampled mask of the tumour alone "
            "(0 to the label); resample the label map with nearest-neighbour interpolation"
        )
    tumour = sitk.GetImageFromArray((values >= threshold * label).astype(np.uint32) * label)
    tumour.CopyInformation(mask)
    return tumour


def check_not_blank(
    volume: np.ndarray, region: tuple, *, patient=None, phase=None, image_file=None
) -> None:
    """Refuse an image of one grey value, everywhere or in ``region``.

    Parameters
    ----------
    volume : ndarray
        The image's voxels, as read (before N4 and the grey-value mapping).
    region : (axis, index, (row0, col0, row1, col1))
        The tumour's box on the slice that gives the features: the slice ``index`` along
        array ``axis``, rows and columns with exclusive ends.
    """
    here = where(patient, phase, image_file)
    low, high = float(volume.min()), float(volume.max())
    if low == high:
        raise ExtractError(f"{here}image is blank: every voxel is {low:g}")
    axis, index, (r0, c0, r1, c1) = region
    box = np.moveaxis(volume, axis, 0)[index][max(r0, 0) : r1, max(c0, 0) : c1]
    if box.size and box.min() == box.max():
        raise ExtractError(
            f"{here}image is blank where the tumour is: every voxel of the tumour's box "
            f"(slice {index}, rows {r0}-{r1 - 1}, columns {c0}-{c1 - 1}) is {float(box.min()):g}; "
            "is the mask drawn on this image?"
        )
