"""Refusing damaged images before their voxels are used.

ITK reads a cut ``.nii.gz`` without complaint and fills what is missing with
zeros, and it stacks a DICOM series with a missing slice as if the slices were
evenly spaced.  These checks catch both, and voxels that are not numbers:

- :func:`check_file`: a gzip stream must end with its end marker and a matching
  CRC-32 and length; a NIfTI file (``.nii``, ``.nii.gz``) must hold every voxel
  its header announces (and no NaN), and so must an uncompressed MetaImage (``.mha``);
- :func:`check_slice_positions`: the slices of a DICOM series must be evenly
  spaced along their normal;
- :func:`check_finite`: no NaN or infinite voxel.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import ExtractError

__all__ = ["check_file", "check_slice_positions", "check_finite", "SPACING_TOLERANCE"]

SPACING_TOLERANCE = 0.01  # relative: slice gaps must agree with their median to 1 %


_NIFTI_FLOATS = {16: "f4", 64: "f8"}  # NIfTI datatype codes of real floating voxels


def _nifti_layout(head: bytes) -> tuple[int, int, int, str | None] | None:
    """``(n_voxels, bytes needed, data offset, float dtype or None)`` of a single-file
    NIfTI-1/-2 header, or None if ``head`` is not one."""
    for order in "<>":
        if len(head) >= 348 and struct.unpack(order + "i", head[:4])[0] == 348:
            if head[344:347] != b"n+1":  # ANALYZE or a .hdr/.img pair: no payload here
                return None
            dims = struct.unpack(order + "8h", head[40:56])
            code, bitpix = struct.unpack(order + "2h", head[70:74])
            offset = int(struct.unpack(order + "f", head[108:112])[0])
        elif len(head) >= 540 and struct.unpack(order + "i", head[:4])[0] == 540:
            if head[4:7] != b"n+2":
                return None
            code, bitpix = struct.unpack(order + "2h", head[12:16])
            dims = struct.unpack(order + "8q", head[16:80])
            offset = struct.unpack(order + "q", head[168:176])[0]
        else:
            continue
        if not 1 <= dims[0] <= 7 or bitpix <= 0:
            return None
        n = int(np.prod([max(int(d), 1) for d in dims[1 : dims[0] + 1]], dtype=np.int64))
        dtype = order + _NIFTI_FLOATS[code] if code in _NIFTI_FLOATS else None
        return n, offset + (n * bitpix + 7) // 8, offset, dtype
    return None


_MET_BYTES = {
    "MET_CHAR": 1, "MET_UCHAR": 1, "MET_SHORT": 2, "MET_USHORT": 2, "MET_INT": 4, "MET_UINT": 4,
    "MET_LONG": 4, "MET_ULONG": 4, "MET_LONG_LONG": 8, "MET_ULONG_LONG": 8, "MET_FLOAT": 4,
    "MET_DOUBLE": 8,
}  # fmt: skip


def _metaimage_layout(path: Path) -> tuple[int, int] | None:
    """``(n_voxels, bytes needed)`` of an uncompressed ``.mha`` with its data inside, or None."""
    fields, offset = {}, 0
    with open(path, "rb") as fh:
        for line in iter(fh.readline, b""):
            offset += len(line)
            key, _, value = line.decode("latin-1").partition("=")
            fields[key.strip()] = value.strip()
            if key.strip() == "ElementDataFile" or offset > 65536:
                break
    if fields.get("ElementDataFile") != "LOCAL" or fields.get("CompressedData") == "True":
        return None
    try:
        dims = [int(v) for v in fields["DimSize"].split()]
        size = _MET_BYTES[fields["ElementType"]] * int(fields.get("ElementNumberOfChannels", 1))
    except (KeyError, ValueError):
        return None  # the reader decides
    n = int(np.prod(dims, dtype=np.int64))
    return n, offset + n * size


def _payload(path: Path) -> bytes:
    """The whole (decompressed) file; a gzip stream must be complete and match its CRC."""
    if not path.name.lower().endswith(".gz"):
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    except EOFError:
        raise ExtractError(
            "damaged gzip stream: it ends before its end marker (file cut short?)"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise ExtractError(f"damaged gzip stream ({exc})") from None


def check_file(path) -> None:
    """Refuse a damaged gzip stream, or a NIfTI or MetaImage file with fewer voxels than announced.

    Floating-point NIfTI voxels must be finite (ITK would read NaN as 0).  Other
    files pass (their readers check what they can); a NIfTI pair (``.hdr``/``.img``) is not checked here.

    Raises
    ------
    ExtractError
        Without the file's name (the caller adds patient, phase and file).
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".mha"):
        _check_size(_metaimage_layout(path), path.stat().st_size)
    elif name.endswith((".gz", ".nii")):
        data = _payload(path)
        layout = _nifti_layout(data[:540]) if ".nii" in name else None
        _check_size(layout, len(data))
        if layout is not None and layout[3] is not None:  # ITK reads NaN of NIfTI as 0
            n, _, offset, dtype = layout
            check_finite(np.frombuffer(data, dtype=dtype, count=n, offset=offset))


def _check_size(layout, size: int) -> None:
    if layout is not None and size < layout[1]:
        n, need = layout[:2]
        raise ExtractError(
            f"truncated image: its header announces {n} voxels ({need} bytes), "
            f"the file holds {size} bytes"
        )


def check_slice_positions(positions, orientation) -> None:
    """Refuse a DICOM series whose slices are not evenly spaced along their normal.

    Parameters
    ----------
    positions : sequence of 3-vectors
        ImagePositionPatient (0020,0032) of each slice, in the reader's order.
    orientation : 6-vector
        ImageOrientationPatient (0020,0037): row and column direction cosines.

    Raises
    ------
    ExtractError
        Two slices at one position, or a gap that differs from the median gap by
        more than :data:`SPACING_TOLERANCE` (a missing slice leaves twice the gap).
    """
    if len(positions) < 3:
        return
    o = np.asarray(orientation, float)
    normal = np.cross(o[:3], o[3:])
    depth = np.sort(np.asarray(positions, float) @ normal)
    gaps = np.diff(depth)
    median = float(np.median(gaps))
    if median <= 0:
        raise ExtractError("irregular slice spacing: several slices at one position")
    bad = np.flatnonzero(np.abs(gaps - median) > SPACING_TOLERANCE * median)
    if bad.size:
        k = int(bad[0])
        raise ExtractError(
            f"irregular slice spacing: {gaps[k]:.4g} mm between slices {k + 1} and {k + 2} of "
            f"{len(depth)}, {median:.4g} mm elsewhere ({bad.size} irregular gap(s); a missing "
            "slice?); the series is not used"
        )


def check_finite(array: np.ndarray) -> None:
    """Refuse NaN or infinite voxels."""
    if np.issubdtype(array.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise ExtractError(
                f"{bad} of {array.size} voxels are NaN or infinite; an image of numbers is needed"
            )
