"""The report model: a title and sections holding tables, figures and text.

It knows no statistics. A table carries its raw (unrounded) data, which the CSV writer
saves as is, and the display formats the HTML and DOCX renderers apply through
:mod:`reports.formatting`, the one place for manuscript formatting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Report", "Section", "Table", "Figure", "Text", "Block", "slug"]


def slug(text: str) -> str:
    """A file-name-safe lower-case name: ``"Table 1: ROC"`` → ``"table_1_roc"``."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return s or "item"


@dataclass
class Table:
    """A table: raw data, caption, per-column display formats and a footnote.

    Parameters
    ----------
    name : file name stem of the CSV (``tables/<name>.csv``).
    data : the raw values (numbers unrounded); written to CSV unchanged.
    caption : the caption shown above the table ("Table 3 Multivariable ...").
    formats : display column → format. A format is a spec string applied to the
        same-named data column (``"p"``, ``"3f"``, ``"or"``, ``"pct"``, ``"int"``, ``"text"``
        …, see :func:`reports.formatting.format_value`), or a callable taking the data row
        (a Series) and returning the cell text (e.g. :func:`reports.formatting.est_ci`).
        Empty: every data column is shown with a default format.
    footnote : text printed under the table (abbreviations, tests used).
    orientation : ``"auto"`` (DOCX: a landscape page when the content is wider than the portrait
        text width), ``"portrait"`` or ``"landscape"``.
    docx_note : when given, the DOCX shows the caption and this note instead of the rows (a
        long appendix table kept whole in the HTML and the CSV).
    """

    name: str
    data: pd.DataFrame
    caption: str = ""
    formats: Mapping[str, str | Callable[[pd.Series], str]] = field(default_factory=dict)
    footnote: str = ""
    kind: str = "table"
    orientation: str = "auto"
    docx_note: str = ""

    def display(self) -> pd.DataFrame:
        """The table as strings, ready for HTML/DOCX."""
        from .formatting import format_table

        return format_table(self.data, self.formats)


@dataclass
class Figure:
    """A figure: a matplotlib figure or existing image file(s), with a caption.

    ``source`` is a matplotlib Figure, or a path to a PNG (a PDF with the same stem beside
    it is copied too). Renderers save ``figures/<name>.png`` (300 dpi) and ``.pdf``.
    """

    name: str
    source: Any
    caption: str = ""
    kind: str = "figure"


@dataclass
class Text:
    """A paragraph. ``style``: ``"body"``, ``"note"`` (small print) or ``"error"`` (a failed stage)."""

    text: str
    style: str = "body"
    kind: str = "text"


Block = Table | Figure | Text


@dataclass
class Section:
    """A titled section. ``status`` is ``"ok"``, ``"failed"`` or ``"not available"``."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    status: str = "ok"
    message: str = ""

    def add(self, block: Block) -> Block:
        self.blocks.append(block)
        return block

    def table(self, *args: Any, **kwargs: Any) -> Table:
        return self.add(Table(*args, **kwargs))  # type: ignore[return-value]

    def figure(self, *args: Any, **kwargs: Any) -> Figure:
        return self.add(Figure(*args, **kwargs))  # type: ignore[return-value]

    def text(self, text: str, style: str = "body") -> Text:
        return self.add(Text(text, style))  # type: ignore[return-value]


@dataclass
class Report:
    """A whole report: title, subtitle lines, alerts (warnings shown at the top), sections."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    def section(self, title: str) -> Section:
        sec = Section(title)
        self.sections.append(sec)
        return sec

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def figure_paths(fig: Figure) -> tuple[Path | None, Path | None]:
    """PNG and PDF files for a file-backed figure (PDF beside the PNG, if present)."""
    src = Path(fig.source)
    png = src if src.suffix.lower() == ".png" else src.with_suffix(".png")
    pdf = src.with_suffix(".pdf")
    return (png if png.exists() else None, pdf if pdf.exists() else None)
