"""One table as a Word file (a journal three-line table with caption and footnote), written
atomically: a library result's manuscript view (``hccstats.TableOne.to_docx``) without a
report around it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from .docx import render_docx
from .model import Report

__all__ = ["write_table_docx"]


def write_table_docx(
    table: pd.DataFrame,
    path: str | os.PathLike,
    *,
    caption: str,
    footnote: str | None = None,
    section: str = "",
    name: str = "table",
) -> Path:
    """Write ``table`` (already formatted: every cell shown as it is) to the ``.docx`` file
    ``path`` under the heading ``section``; a temporary file beside it is renamed at the end,
    so ``path`` is either the old file or the whole new one. Returns ``path``."""
    path = Path(path)
    report = Report(caption)
    report.section(section).table(
        name,
        table,
        caption=caption,
        formats={c: "text" for c in table.columns},
        footnote=footnote,
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    try:
        render_docx(report, tmp, {})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
