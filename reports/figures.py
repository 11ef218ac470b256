"""Saving a report's figures: ``figures/<name>.png`` (300 dpi) and ``figures/<name>.pdf``.

A matplotlib figure is saved at its own size (no tight bounding box, which would crop or grow
the page): it was drawn at the width it is printed (``hccstats.plots``' size rule), and the
PDF's page and the PNG's pixels keep that width.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from hccstats.figure_size import (
    CM_PER_INCH,
    DOUBLE_COLUMN_CM,
    DPI,
    MIN_FONT_PT,
    MIN_LINE_PT,
    SINGLE_COLUMN_CM,
    printed_width_cm,
)

from .model import Figure, Report, figure_paths

__all__ = [
    "save_figures",
    "save_one",
    "place_one",
    "PlacedFigures",
    "printed_width_cm",
    "png_width_in",
    "DPI",
    "CM_PER_INCH",
    "SINGLE_COLUMN_CM",
    "DOUBLE_COLUMN_CM",
    "MIN_FONT_PT",
    "MIN_LINE_PT",
]


def png_width_in(png: str | Path) -> float:
    """The drawn width (in) of a saved figure's PNG: its pixels at :data:`DPI`."""
    with open(png, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{png}: not a PNG file")
    return int.from_bytes(head[16:20], "big") / DPI


def save_one(fig: Figure, folder: Path) -> tuple[Path, Path | None]:
    """Write one figure as ``folder/<name>.png`` and ``.pdf``: a matplotlib figure saved, a
    file-backed one copied (its PDF where there is one)."""
    png = folder / f"{fig.name}.png"
    pdf = folder / f"{fig.name}.pdf"
    src = fig.source
    if hasattr(src, "savefig"):  # a matplotlib Figure
        src.savefig(png, dpi=DPI, bbox_inches=None, metadata={"Software": None})
        src.savefig(
            pdf,
            bbox_inches=None,
            metadata={"CreationDate": None, "Creator": None, "Producer": None},
        )
        return png, pdf
    src_png, src_pdf = figure_paths(fig)
    if src_png is None:
        raise FileNotFoundError(f"figure {fig.name!r}: no PNG at {src}")
    shutil.copyfile(src_png, png)
    if src_pdf is not None:
        shutil.copyfile(src_pdf, pdf)
        return png, pdf
    return png, None


def save_figures(
    report: Report,
    folder: str | Path,
    *,
    staged: Mapping[int, tuple[str, Path, Path]] | None = None,
) -> dict[str, tuple[Path, Path | None]]:
    """Write every figure of ``report`` into ``folder``; name → (png, pdf or None).

    ``staged`` (from :meth:`reports.background.FigureWriter.finish`) holds figures already
    saved elsewhere, by the identity of their block: those files are moved into ``folder``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staged = staged or {}
    return {fig.name: place_one(fig, folder, staged.get(id(fig))) for fig in report.figures()}


def place_one(
    fig: Figure, folder: Path, staged: tuple[str, Path, Path] | None
) -> tuple[Path, Path | None]:
    """``fig``'s files in ``folder``: its staged files (name, PNG, PDF) moved there, or, where
    it was not staged under its name, saved there (:func:`save_one`)."""
    name, png, pdf = staged or (None, None, None)
    if name == fig.name and png.is_file() and pdf.is_file():
        os.replace(png, folder / png.name)
        os.replace(pdf, folder / pdf.name)
        return folder / png.name, folder / pdf.name
    return save_one(fig, folder)


class PlacedFigures(Mapping[str, Path]):
    """Figure name -> its PNG in ``folder``, each figure placed (:func:`place_one`) when first
    asked for, after waiting for its own background save only (``writer``, a
    :class:`reports.background.FigureWriter`): a renderer works on while later figures are
    still being saved. :meth:`all` places the rest and waits for every save."""

    def __init__(self, report: Report, folder: str | Path, writer):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.writer = writer
        self._figures = {fig.name: fig for fig in report.figures()}
        self._placed: dict[str, tuple[Path, Path | None]] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._placed:
            fig = self._figures[name]
            self._placed[name] = place_one(fig, self.folder, self.writer.staged(fig))
        return self._placed[name][0]

    def __iter__(self):
        return iter(self._figures)

    def __len__(self) -> int:
        return len(self._figures)

    def all(self) -> dict[str, tuple[Path, Path | None]]:
        """Every figure placed, every background save ended (the first error raised)."""
        for name in self._figures:
            self[name]
        self.writer.finish()
        return dict(self._placed)
