"""Saving a report's figures: ``figures/<name>.png`` (300 dpi) and ``figures/<name>.pdf``."""

from __future__ import annotations

import shutil
from pathlib import Path

from .model import Figure, Report, figure_paths

__all__ = ["save_figures", "DPI"]

DPI = 300


def _save_one(fig: Figure, folder: Path) -> tuple[Path, Path | None]:
    png = folder / f"{fig.name}.png"
    pdf = folder / f"{fig.name}.pdf"
    src = fig.source
    if hasattr(src, "savefig"):  # a matplotlib Figure
        src.savefig(png, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
        src.savefig(
            pdf,
            bbox_inches="tight",
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


def save_figures(report: Report, folder: str | Path) -> dict[str, tuple[Path, Path | None]]:
    """Write every figure of ``report`` into ``folder``; name → (png, pdf or None)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {fig.name: _save_one(fig, folder) for fig in report.figures()}
