"""DOCX rendering with python-docx: journal three-line tables, captions, figures.

Three-line table: a thick rule above the header, a thin rule under it, a thick rule
under the last row, no vertical lines. Captions above tables, below figures.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .model import Figure, Report, Table, Text

__all__ = ["render_docx"]

_LABEL = re.compile(r"^((?:Supplementary )?(?:Table|Fig\.|Figure) [A-Za-z0-9.]+)")


def _borders(el, **edges: tuple[str, int]) -> None:
    """Set borders on a tblPr/tcPr element: edge=(style, size in eighths of a point)."""
    tag = "w:tblBorders" if el.tag == qn("w:tblPr") else "w:tcBorders"
    box = el.find(qn(tag))
    if box is None:
        box = OxmlElement(tag)
        el.append(box)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if edge not in edges:
            continue
        style, size = edges[edge]
        node = box.find(qn(f"w:{edge}"))
        if node is None:
            node = OxmlElement(f"w:{edge}")
            box.append(node)
        node.set(qn("w:val"), style)
        node.set(qn("w:sz"), str(size))
        node.set(qn("w:space"), "0")
        node.set(qn("w:color"), "000000")


def _caption(doc, caption: str, *, size: float = 10) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(3)
    p.paragraph_format.keep_with_next = True
    m = _LABEL.match(caption)
    if m:
        r = p.add_run(m.group(1))
        r.bold = True
        r.font.size = Pt(size)
        caption = caption[m.end() :]
    r = p.add_run(caption)
    r.font.size = Pt(size)


def _cell_text(cell, text: str, font, bold: bool = False) -> None:
    para = cell.paragraphs[0]
    run = para.add_run(text)
    run.font.size = font
    run.bold = bold or None
    para.paragraph_format.space_after = Pt(0)
    para.paragraph_format.space_before = Pt(1)


def _table(doc, t: Table) -> None:
    disp = t.display()
    _caption(doc, t.caption)
    ncol = len(disp.columns)
    table = doc.add_table(rows=1, cols=ncol)
    tblPr = table._tbl.tblPr
    _borders(
        tblPr,
        top=("single", 12),
        bottom=("single", 12),
        left=("nil", 0),
        right=("nil", 0),
        insideH=("nil", 0),
        insideV=("nil", 0),
    )
    font = Pt(8 if ncol > 6 else 9)
    for cell, col in zip(table.rows[0].cells, disp.columns):
        _cell_text(cell, str(col), font, bold=True)
        _borders(cell._tc.get_or_add_tcPr(), bottom=("single", 6))
    for rec in disp.itertuples(index=False):
        for cell, v in zip(table.add_row().cells, rec):  # row by row: table.cell(i, j) is quadratic
            _cell_text(cell, str(v), font)
    if t.footnote:
        p = doc.add_paragraph()
        r = p.add_run(t.footnote)
        r.font.size = Pt(8)
        r.italic = False
        p.paragraph_format.space_after = Pt(12)
    else:
        doc.add_paragraph()


def _figure(doc, f: Figure, png: Path, width_cm: float) -> None:
    doc.add_picture(str(png), width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _caption(doc, f.caption, size=9.5)


def _text(doc, t: Text) -> None:
    p = doc.add_paragraph()
    r = p.add_run(t.text)
    if t.style in ("note", "pre"):
        r.font.size = Pt(8.5)
    if t.style == "pre":
        r.font.name = "DejaVu Sans Mono"
    if t.style == "error":
        r.font.color.rgb = RGBColor(0xA5, 0x0E, 0x0E)
        r.bold = True


def render_docx(report: Report, path: str | Path, pngs: Mapping[str, Path]) -> Path:
    """Write ``report`` as a DOCX file; ``pngs`` maps figure name → saved PNG file."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    doc.core_properties.author = "hccstats"
    doc.core_properties.title = report.title
    doc.add_heading(report.title, level=0)
    if report.subtitle:
        p = doc.add_paragraph(report.subtitle)
        p.runs[0].font.size = Pt(10)
    for alert in report.alerts:
        _text(doc, Text(f"Warning: {alert}", "error"))
    width = (21.0 - 4.0) * 0.9
    for i, section in enumerate(report.sections, 1):
        title = f"{i}. {section.title}" + (f" ({section.status})" if section.status != "ok" else "")
        doc.add_heading(title, level=1)
        if section.message:
            _text(doc, Text(section.message, "error"))
        for b in section.blocks:
            if isinstance(b, Table):
                _table(doc, b)
            elif isinstance(b, Figure):
                _figure(doc, b, pngs[b.name], width)
            else:
                _text(doc, b)
    stamp = _fixed_time()
    props = doc.core_properties
    props.created = props.modified = props.last_printed = stamp
    props.revision = 1
    path = Path(path)
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue(), stamp))
    return path


def _fixed_time() -> datetime.datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds convention) or 2000-01-01, UTC, naive."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)


def _fixed_zip(data: bytes, stamp: datetime.datetime) -> bytes:
    """The same zip with every entry dated ``stamp``: the same report gives the same bytes."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
