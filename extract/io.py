"""Reading images and masks through SimpleITK, and checking that they match.

DICOM series (a folder), single DICOM files, NIfTI, NRRD and MHA are read by
:func:`read_image`; :func:`check_geometry` compares a mask's grid with its image
and refuses a mismatch (or resamples the mask, nearest neighbour, on request).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from .errors import ExtractError, where
from .integrity import check_file, check_finite, check_slice_positions

__all__ = ["read_image", "check_geometry", "tumour_mask"]


def _itk_reason(exc: Exception) -> str:
    """The informative line of an ITK exception (they span many lines)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith(("description:", "itk::error", "error")):
            return ln.split(":", 1)[-1].strip() or ln
    return lines[-1] if lines else type(exc).__name__


def read_image(path, *, patient: str | None = None, phase: str | None = None) -> sitk.Image:
    """Read one scalar image as a 3-D SimpleITK image.

    Parameters
    ----------
    path : str or Path
        A folder holding exactly one DICOM series, or one file (DICOM, ``.nii``,
        ``.nii.gz``, ``.nrrd``, ``.mha``/``.mhd``; anything SimpleITK reads).
    patient, phase : str, optional
        Named in error messages.

    Returns
    -------
    SimpleITK.Image
        3-D, one component.  A 2-D image (one DICOM slice) becomes a volume of
        one slice with the same in-plane geometry.

    Raises
    ------
    ExtractError
        Missing or unreadable file, a folder with no or several DICOM series, a
        multi-component (colour) or 4-D image; a damaged image
        (:mod:`extract.integrity`: a cut gzip stream, fewer NIfTI voxels than
        the header announces, NaN or infinite voxels, a DICOM series with
        irregular slice spacing such as a missing slice).
    """
    path = Path(path)
    here = where(patient, phase, path)
    if not path.exists():
        raise ExtractError(f"{here}not found")
    try:
        if path.is_dir():
            ids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(path))
            if not ids:
                raise ExtractError(f"{here}folder holds no DICOM series")
            if len(ids) > 1:
                raise ExtractError(
                    f"{here}folder holds {len(ids)} DICOM series "
                    f"({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}); "
                    "give one folder per series"
                )
            files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path), ids[0])
            _check_series(files)
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(files)
            image = reader.Execute()
        else:
            check_file(path)
            image = sitk.ReadImage(str(path))
        check_finite(sitk.GetArrayViewFromImage(image))
    except ExtractError as exc:
        raise ExtractError(f"{here}{exc}" if not str(exc).startswith(here) else str(exc)) from None
    except OSError as exc:
        raise ExtractError(f"{here}cannot read image ({exc.strerror or exc})") from None
    except RuntimeError as exc:
        raise ExtractError(f"{here}cannot read image ({_itk_reason(exc)})") from None
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise ExtractError(
            f"{here}image has {image.GetNumberOfComponentsPerPixel()} components "
            "per pixel (colour?); a grey-value image is needed"
        )
    dim = image.GetDimension()
    if dim == 2:
        image = sitk.JoinSeries(image)
    elif dim == 4 and image.GetSize()[3] == 1:
        image = image[:, :, :, 0]
    elif dim != 3:
        raise ExtractError(
            f"{here}image has {dim} dimensions, size {image.GetSize()}; "
            "a 2-D or 3-D image is needed"
        )
    return image


def _check_series(files) -> None:
    """Slice positions of a DICOM series evenly spaced (headers only; tags absent: not checked)."""
    positions, orientation = [], None
    reader = sitk.ImageFileReader()
    for file in files:
        reader.SetFileName(file)
        reader.ReadImageInformation()
        if not reader.HasMetaDataKey("0020|0032") or not reader.HasMetaDataKey("0020|0037"):
            return
        try:
            positions.append([float(v) for v in reader.GetMetaData("0020|0032").split("\\")])
            orientation = [float(v) for v in reader.GetMetaData("0020|0037").split("\\")]
        except ValueError:  # a malformed tag: the series reader decides
            return
    check_slice_positions(positions, orientation)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in values) + ")"


def _differences(image: sitk.Image, mask: sitk.Image, tol: float) -> list[str]:
    """What differs between two grids: size, spacing, origin, direction."""
    out = []
    if image.GetSize() != mask.GetSize():
        out.append(f"size {mask.GetSize()} vs image {image.GetSize()}")
    sp_i, sp_m = np.array(image.GetSpacing()), np.array(mask.GetSpacing())
    if not np.allclose(sp_m, sp_i, rtol=tol, atol=0):
        out.append(f"spacing {_fmt(sp_m)} vs image {_fmt(sp_i)}")
    # origins agree to a fraction `tol` of the smallest voxel side (in mm)
    o_i, o_m = np.array(image.GetOrigin()), np.array(mask.GetOrigin())
    if np.max(np.abs(o_m - o_i)) > tol * sp_i.min():
        out.append(f"origin {_fmt(o_m)} vs image {_fmt(o_i)}")
    d_i, d_m = np.array(image.GetDirection()), np.array(mask.GetDirection())
    if np.max(np.abs(d_m - d_i)) > tol:
        out.append(f"direction {_fmt(d_m)} vs image {_fmt(d_i)}")
    return out


def check_geometry(
    image: sitk.Image,
    mask: sitk.Image,
    *,
    patient=None,
    phase=None,
    mask_file=None,
    image_file=None,
    tolerance: float = 1e-3,
    resample: bool = False,
) -> sitk.Image:
    """Return the mask on the image's grid, or refuse a mismatch.

    Size must agree exactly; spacing to a relative ``tolerance``; origin to
    ``tolerance`` times the smallest voxel side; direction cosines to
    ``tolerance``.  With ``resample=True`` a mismatching mask is resampled onto
    the image's grid by nearest neighbour (labels stay labels; outside → 0).

    Raises
    ------
    ExtractError
        Naming patient, phase, both files and each quantity that differs.
    """
    diffs = _differences(image, mask, tolerance)
    if not diffs:
        mask = sitk.Cast(mask, sitk.sitkUInt32)  # a new image (the caller's keeps its geometry)
        mask.CopyInformation(image)  # remove sub-tolerance rounding differences
        return mask
    if not resample:
        raise ExtractError(
            f"{where(patient, phase, mask_file)}mask does not match image "
            f"{image_file}: {'; '.join(diffs)} (use --resample-mask to resample "
            "the mask onto the image, nearest neighbour)"
        )
    return sitk.Resample(
        sitk.Cast(mask, sitk.sitkUInt32),
        image,
        sitk.Transform(),
        sitk.sitkNearestNeighbor,
        0,
        sitk.sitkUInt32,
    )


def tumour_mask(
    mask: sitk.Image, label: int, *, patient=None, phase=None, mask_file=None
) -> np.ndarray:
    """Boolean array (z, y, x) of the voxels carrying ``label``; refuse an empty one."""
    arr = sitk.GetArrayViewFromImage(mask) == label
    if not arr.any():
        present = np.unique(sitk.GetArrayViewFromImage(mask))
        raise ExtractError(
            f"{where(patient, phase, mask_file)}mask has no voxel with tumour label "
            f"{label} (labels present: {', '.join(map(str, present[:10]))})"
        )
    return arr
