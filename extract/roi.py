"""The region of interest: largest axial tumour cross-section, box, crop, resize.

:func:`largest_slice` picks the tumour (largest connected component, or all) and
its axial slice of largest area; :func:`bounding_box` puts a margin around the
tumour on that slice (made square so the resize keeps the aspect ratio);
:func:`crop` cuts it out (zero outside the image) and :func:`resize` brings it
to ``size × size`` (bilinear, antialiased: torchvision's ``resize`` on tensors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["axial_axis", "largest_slice", "bounding_box", "crop", "resize", "SliceChoice"]


def axial_axis(direction) -> int:
    """Array axis (of a ``(z, y, x)`` SimpleITK array) running head–foot.

    The index axis whose direction cosine has the largest superior component;
    0 for the usual axial acquisition.
    """
    d = np.asarray(direction, float).reshape(3, 3)
    return 2 - int(np.argmax(np.abs(d[2])))


@dataclass(frozen=True)
class SliceChoice:
    """The chosen slice: index along the axial axis, tumour pixels on it, its mask."""

    index: int
    area: int
    mask: np.ndarray
    n_components: int


def largest_slice(tumour: np.ndarray, *, axis: int = 0, components: str = "largest") -> SliceChoice:
    """Axial slice with the largest tumour cross-section.

    Parameters
    ----------
    tumour : bool ndarray, 3-D
        Tumour voxels (array order of SimpleITK: z, y, x).
    axis : int
        Array axis that runs head–foot (see :func:`axial_axis`).
    components : {"largest", "all"}
        ``"largest"``: only the largest 3-D connected component (26-connectivity;
        ties → the first in array order) counts, the study's one ROI per patient;
        ``"all"``: every tumour voxel counts (the box then holds all tumours on
        the slice).

    Returns
    -------
    SliceChoice
        Ties between slices go to the lowest index.

    Examples
    --------
    >>> m = np.zeros((3, 5, 5), bool); m[1, 1:4, 1:4] = True; m[2, 2, 2] = True
    >>> largest_slice(m).index, largest_slice(m).area
    (1, 9)
    """
    if components not in ("largest", "all"):
        raise ValueError(f"components must be 'largest' or 'all', not {components!r}")
    tumour = np.asarray(tumour, bool)
    labels, n = ndimage.label(tumour, structure=np.ones((3, 3, 3), bool))
    if components == "largest" and n > 1:
        sizes = np.bincount(labels.ravel())[1:]
        tumour = labels == (int(np.argmax(sizes)) + 1)
    tumour = np.moveaxis(tumour, axis, 0)
    areas = tumour.reshape(tumour.shape[0], -1).sum(axis=1)
    index = int(np.argmax(areas))
    return SliceChoice(
        index=index, area=int(areas[index]), mask=tumour[index].copy(), n_components=int(n)
    )


def bounding_box(
    mask2d: np.ndarray, *, margin: int = 5, square: bool = True
) -> tuple[int, int, int, int]:
    """``(row0, col0, row1, col1)`` (ends exclusive) around the True pixels.

    ``margin`` pixels are added on each side; ``square=True`` widens the shorter
    side (centred) to the longer one.  The box may reach beyond the image;
    :func:`crop` fills that part with 0.

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[4:6, 3:7] = True
    >>> bounding_box(m, margin=1)
    (2, 2, 8, 8)
    """
    rows, cols = np.nonzero(mask2d)
    r0, r1 = int(rows.min()) - margin, int(rows.max()) + 1 + margin
    c0, c1 = int(cols.min()) - margin, int(cols.max()) + 1 + margin
    if square:
        h, w = r1 - r0, c1 - c0
        if h < w:
            r0 -= (w - h) // 2
            r1 = r0 + w
        elif w < h:
            c0 -= (h - w) // 2
            c1 = c0 + h
    return r0, c0, r1, c1


def crop(image2d: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Cut ``box`` out of ``image2d``; pixels outside the image are 0."""
    r0, c0, r1, c1 = box
    out = np.zeros((r1 - r0, c1 - c0), np.float32)
    h, w = image2d.shape
    sr0, sr1, sc0, sc1 = max(r0, 0), min(r1, h), max(c0, 0), min(c1, w)
    if sr0 < sr1 and sc0 < sc1:
        out[sr0 - r0 : sr1 - r0, sc0 - c0 : sc1 - c0] = image2d[sr0:sr1, sc0:sc1]
    return out


def _aa_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of antialiased linear resampling (PIL's and torch's ``antialias=True``).

    Output pixel ``i`` has its centre at ``scale * (i + 0.5)`` in input pixels
    (``scale = n_in / n_out``); a triangle filter of half-width ``max(scale, 1)``
    (stretched by ``scale`` when shrinking) weights the input pixels it covers,
    normalised to sum 1 (so the border repeats the edge pixel when enlarging).
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    inv = 1.0 / scale if scale > 1.0 else 1.0
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = scale * (i + 0.5)
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), n_in)
        j = np.arange(lo, hi)
        k = np.clip(1.0 - np.abs((j - centre + 0.5) * inv), 0.0, None)
        w[i, lo:hi] = k / k.sum()
    return w


def resize(image2d: np.ndarray, size: int) -> np.ndarray:
    """Bilinear, antialiased resize to ``size × size`` (float32).

    The same as ``torchvision.transforms.functional.resize(t, [size, size],
    antialias=True)`` on a float tensor (half-pixel centres), done with two
    weight matrices in numpy so that the worker processes need no torch.

    Examples
    --------
    >>> resize(np.array([[0.0, 255.0]]), 4).shape
    (4, 4)
    """
    image2d = np.asarray(image2d, np.float64)
    rows, cols = _aa_weights(image2d.shape[0], size), _aa_weights(image2d.shape[1], size)
    return (rows @ image2d @ cols.T).astype(np.float32)
