"""N4 bias-field correction and the grey-value mapping to 0..255.

As in the study (3D Slicer's N4, then grey values to 0–255): :func:`n4_correct`
fits the bias field on a shrunken copy inside an Otsu body mask and divides the
full-resolution image by it; :func:`to_0_255` maps min..max (or the chosen
percentiles, values beyond clipped) linearly to 0..255.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

__all__ = ["n4_correct", "to_0_255", "N4_DEFAULTS"]

#: Defaults of :func:`n4_correct`.  Shrink 4 and 4 control points, B-spline
#: order 3, 200 histogram bins, FWHM 0.15, Wiener noise 0.01 are N4's/Slicer's
#: defaults; two fitting levels of at most 50 iterations with convergence
#: threshold 0.001 (instead of Slicer's 50,40,30 and 0.0001) remove a smooth
#: bias just as well on abdominal volumes at a quarter of the time (see
#: docs/extract.md).
N4_DEFAULTS = {
    "shrink": 4,
    "iterations": (50, 50),
    "convergence": 1e-3,
    "control_points": 4,
    "spline_order": 3,
    "histogram_bins": 200,
    "fwhm": 0.15,
    "wiener_noise": 0.01,
    "otsu_bins": 200,
}


def body_mask(image: sitk.Image, bins: int = 200) -> sitk.Image:
    """Otsu foreground (1) of ``image``; all voxels if Otsu finds nothing."""
    mask = sitk.OtsuThreshold(image, 0, 1, bins)
    if not sitk.GetArrayViewFromImage(mask).any():
        mask = sitk.Cast(image == image, sitk.sitkUInt8)
    return mask


def n4_correct(
    image: sitk.Image,
    *,
    shrink: int = 4,
    iterations=(50, 50),
    convergence: float = 1e-3,
    control_points: int = 4,
    spline_order: int = 3,
    histogram_bins: int = 200,
    fwhm: float = 0.15,
    wiener_noise: float = 0.01,
    otsu_bins: int = 200,
) -> sitk.Image:
    """N4 bias-field correction (Tustison 2010) with an Otsu body mask.

    The bias field is fitted on the image shrunk by ``shrink`` along each axis
    (less along an axis that would keep fewer than 3 voxels; an image of one
    slice gets a 2-D fit), inside the Otsu foreground of that shrunken image, and
    evaluated at full resolution; the result is the image divided by it, as
    float32.  The fit's cost grows with the shrunken image's voxel count: on
    coarse or small volumes shrink 4 is cheap, on 512² slices consider 8.  Same role as Slicer's
    ``N4ITKBiasFieldCorrection`` and ANTs' ``N4BiasFieldCorrection``.

    Parameters
    ----------
    image : SimpleITK.Image
        3-D grey-value image.  Voxels ≤ 0 are left out of the fit.
    shrink, iterations, convergence, control_points, spline_order, histogram_bins, fwhm, wiener_noise
        N4's parameters; ``iterations`` has one entry per fitting level.
    otsu_bins : int
        Histogram bins of the Otsu threshold making the body mask.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GaussianSource(sitk.sitkFloat32, [32, 32, 8], [10, 10, 4], [16, 16, 4], 100)
    >>> n4_correct(img, iterations=(10,)).GetSize()
    (32, 32, 8)
    """
    image = sitk.Cast(image, sitk.sitkFloat32)
    size = image.GetSize()
    flat = [i for i, s in enumerate(size) if s == 1]
    work = image
    if len(flat) == 1:  # one slice: fit in 2-D
        index = [0, 0, 0]
        extract_size = list(size)
        extract_size[flat[0]] = 0
        work = sitk.Extract(image, extract_size, index)
    factors = [max(1, min(shrink, s // 3)) for s in work.GetSize()]  # keep >= 3 voxels an axis
    small = sitk.Shrink(work, factors)
    small_mask = body_mask(small, otsu_bins) & sitk.Cast(small > 0, sitk.sitkUInt8)
    n4 = sitk.N4BiasFieldCorrectionImageFilter()
    n4.SetMaximumNumberOfIterations([int(i) for i in iterations])
    n4.SetConvergenceThreshold(float(convergence))
    n4.SetNumberOfControlPoints([int(control_points)] * work.GetDimension())
    n4.SetSplineOrder(int(spline_order))
    n4.SetNumberOfHistogramBins(int(histogram_bins))
    n4.SetBiasFieldFullWidthAtHalfMaximum(float(fwhm))
    n4.SetWienerFilterNoise(float(wiener_noise))
    n4.Execute(small, small_mask)
    log_bias = n4.GetLogBiasFieldAsImage(work)
    corrected = sitk.Cast(work / sitk.Exp(log_bias), sitk.sitkFloat32)
    if work is not image:  # back to the 3-D grid of one slice
        shape = sitk.GetArrayViewFromImage(image).shape
        corrected = sitk.GetImageFromArray(sitk.GetArrayFromImage(corrected).reshape(shape))
    corrected.CopyInformation(image)
    return corrected


def to_0_255(
    values: np.ndarray,
    *,
    percentiles: tuple[float, float] | None = None,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """Map grey values linearly to 0..255 (float32).

    ``percentiles=None``: the minimum goes to 0 and the maximum to 255 (the
    study's min–max mapping).  ``percentiles=(0.5, 99.5)``: those percentiles
    go to 0 and 255 and values beyond them are clipped.  The range is taken
    from ``reference`` (default: ``values`` themselves), so one slice can be
    mapped with its volume's range.  A constant image maps to 0.

    Examples
    --------
    >>> to_0_255(np.array([2.0, 4.0, 6.0])).tolist()
    [0.0, 127.5, 255.0]
    """
    values = np.asarray(values, dtype=np.float64)
    reference = values if reference is None else np.asarray(reference)
    if percentiles is None:
        lo, hi = float(reference.min()), float(reference.max())
    else:
        lo, hi = (float(v) for v in np.percentile(reference, percentiles))
    if hi <= lo:
        return np.zeros(values.shape, np.float32)
    return ((np.clip(values, lo, hi) - lo) * (255.0 / (hi - lo))).astype(np.float32)
