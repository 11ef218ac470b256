"""One journal style for every figure: sizes, fonts, the Okabe–Ito palette, atomic saving.

Sizes follow the rule of :mod:`hccstats.figure_size` (its one place): a figure is drawn at the width
it is printed, one column (8.5 cm) or two columns (17.5 cm), and the report inserts it at
exactly that width, never scaled, so that every text is at least ``MIN_FONT_PT`` (7 pt) and
every line at least ``MIN_LINE_PT`` (0.5 pt) on paper.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from .._errors import InputError
from ..figure_size import (
    CM_PER_INCH,
    DOUBLE_COLUMN_CM,
    MIN_FONT_PT,
    MIN_LINE_PT,
    SINGLE_COLUMN_CM,
    printed_width_cm,
)

__all__ = [
    "atomic_target",
    "figure_width",
    "printed_width_cm",
    "CM_PER_INCH",
    "SINGLE_COLUMN_CM",
    "DOUBLE_COLUMN_CM",
    "MIN_FONT_PT",
    "MIN_LINE_PT",
    "OKABE_ITO",
    "SINGLE_COLUMN",
    "DOUBLE_COLUMN",
    "journal_style",
    "new_figure",
    "model_colors",
    "save_figure",
]

#: Okabe & Ito (2008) colour-blind-safe palette, in the order used for models.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
_CYCLE = [
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue")
]
REFERENCE_GREY = "#7F7F7F"

#: Printed widths (cm), the smallest text and thinnest line (pt): the size rule of
#: :mod:`hccstats.figure_size`, which the DOCX renderer applies too.
#: The column widths in inches, the unit figures are drawn in.
SINGLE_COLUMN = SINGLE_COLUMN_CM / CM_PER_INCH
DOUBLE_COLUMN = DOUBLE_COLUMN_CM / CM_PER_INCH

_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.linewidth": 0.8,
    "grid.linewidth": 0.5,
    "patch.linewidth": 0.5,
    "hatch.linewidth": 0.5,
    "xtick.minor.width": 0.5,
    "ytick.minor.width": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=_CYCLE),
    "lines.linewidth": 1.4,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "pdf.fonttype": 42,  # TrueType text in PDFs: editable in Illustrator, accepted by journals
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "hccstats",  # deterministic ids: same figure, same bytes
    "savefig.bbox": "standard",
}


@contextlib.contextmanager
def journal_style() -> Iterator[None]:
    """Context manager applying the journal style (fonts 7–9 pt, thin spines, Okabe–Ito colours)."""
    with matplotlib.rc_context(_RC):
        yield


def model_colors(names: Iterable[str]) -> dict[str, str]:
    """Okabe–Ito colours for the model names, in order (cycling after six)."""
    return {name: _CYCLE[i % len(_CYCLE)] for i, name in enumerate(names)}


def figure_width(width: float | str) -> float:
    """Figure width in inches: "single" (8.5 cm), "double" (17.5 cm) or a positive number.

    >>> round(figure_width("single") * CM_PER_INCH, 6), round(figure_width("double") * CM_PER_INCH, 6)
    (8.5, 17.5)
    """
    if width == "single":
        return SINGLE_COLUMN
    if width == "double":
        return DOUBLE_COLUMN
    if isinstance(width, (int, float)) and width > 0:
        return float(width)
    raise InputError(
        f"width must be 'single' (8.5 cm), 'double' (17.5 cm) or a positive number of inches, "
        f"got {width!r}"
    )


def new_figure(
    width: float | str = "single", height: float | None = None, *, nrows: int = 1, ncols: int = 1
):
    """A new Figure (not registered with pyplot) and its axes, in the journal style.

    Call inside :func:`journal_style`. ``width`` is "single" (8.5 cm), "double" (17.5 cm) or inches;
    ``height`` defaults to a square panel.
    """
    w = figure_width(width)
    h = float(height) if height is not None else w / ncols * nrows
    fig = Figure(figsize=(w, h), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


@contextlib.contextmanager
def atomic_target(target: Path) -> Iterator[str]:
    """Yield a temporary path beside ``target``; on success give it the usual permissions and rename it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_figure(
    fig: Figure,
    path_stem: str | os.PathLike,
    formats: Iterable[str] = ("png", "pdf"),
    dpi: int = 300,
) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.<fmt>`` for each format, atomically (temp file + rename).

    PNG is raster at ``dpi`` (300 by default, with the dpi stored in the file); PDF and SVG are
    vector. Creation dates are left out so the same figure gives the same bytes.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> [str(p) for p in save_figure(fig, "figures/roc_training", formats=("png", "pdf", "svg"))]
    ['figures/roc_training.png', 'figures/roc_training.pdf', 'figures/roc_training.svg']
    """
    if not isinstance(fig, Figure):
        raise InputError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    stem = Path(path_stem)
    if stem.suffix.lower() in {".png", ".pdf", ".svg"}:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for fmt in formats:
        fmt = str(fmt).lower().lstrip(".")
        if fmt not in {"png", "pdf", "svg"}:
            raise InputError(f"formats: unsupported figure format {fmt!r} (use png, pdf or svg)")
        target = stem.parent / f"{stem.name}.{fmt}"
        metadata = {
            "png": {"Software": None},
            "pdf": {"CreationDate": None, "Producer": None},
            "svg": {"Date": None},
        }[fmt]
        with (
            atomic_target(target) as tmp,
            open(tmp, "wb") as fh,
            journal_style(),
        ):  # fonts are set at save time
            fig.savefig(fh, format=fmt, dpi=dpi, metadata=metadata)
        out.append(target)
    return out
