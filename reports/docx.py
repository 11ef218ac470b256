"""DOCX rendering with python-docx: journal three-line tables, captions, figures.

Three-line table: a thick rule above the header, a thin rule under it, a thick rule
under the last row, no vertical lines. Captions above tables, below figures, in Word's Caption
style with the number in a SEQ field and a bookmark (cross-referenceable). Numeric columns are
right-aligned; the header row repeats on every page and rows do not split; column widths are
fitted to the content (:mod:`reports.layout`); a table that would fit the portrait text width
only by wrapping its text columns heavily (unwrapped width above 1.2 × the text width), or not at
all, gets a landscape section of its own.
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
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .figures import png_width_in, printed_width_cm
from .formatting import typeset
from .layout import column_widths_cm, group_runs, header_groups, numeric_columns
from .model import Figure, Report, Table, Text, slug

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


#: caption label -> Word SEQ identifier (the label Word's cross-reference dialog lists)
_SEQ = {
    "Table": "Table",
    "Supplementary Table": "SupplementaryTable",
    "Fig.": "Figure",
    "Figure": "Figure",
    "Supplementary Fig.": "SupplementaryFigure",
    "Supplementary Figure": "SupplementaryFigure",
}
_LABEL_PARTS = re.compile(
    r"^(?P<label>(?:Supplementary )?(?:Table|Fig\.|Figure)) (?P<num>[0-9]+)(?P<part>[A-Za-z]?)$"
)

PORTRAIT_CM = (21.0, 29.7)  # A4
MARGIN_CM = 2.0
#: a table whose unwrapped width exceeds this multiple of the portrait text width gets a
#: landscape page (a little wider wraps its text columns instead)
LANDSCAPE_ABOVE = 1.2


def _field_runs(p, instr: str, result: str, *, size: float, bold: bool) -> None:
    """A complex field (``instr``) with ``result`` as its current text, as Word inserts SEQ fields."""

    def run(child):
        r = p.add_run()
        r.bold = bold
        r.font.size = Pt(size)
        r._r.append(child)
        return r

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run(begin)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instr} "
    run(code)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run(sep)
    r = p.add_run(result)
    r.bold = bold
    r.font.size = Pt(size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run(end)


def _bookmark(p, name: str, bid: int, start: bool) -> None:
    el = OxmlElement("w:bookmarkStart" if start else "w:bookmarkEnd")
    el.set(qn("w:id"), str(bid))
    if start:
        el.set(qn("w:name"), name)
    p._p.append(el)


def _caption(doc, caption: str, *, size: float = 10, ref: str | None = None) -> None:
    """A caption in Word's Caption style; "Table 4 ..." gets its number from a SEQ field.

    ``ref`` names a bookmark around the label and number, so Word can cross-reference it.
    """
    caption = typeset(caption)
    p = doc.add_paragraph(style="Caption")
    p.paragraph_format.space_after = Pt(3)
    p.paragraph_format.keep_with_next = True
    m = _LABEL.match(caption)
    if m:
        parts = _LABEL_PARTS.match(m.group(1))
        bid = len(doc.element.body.findall(".//" + qn("w:bookmarkStart")))
        if ref:
            _bookmark(p, ref, bid, True)
        if parts and parts.group("label") in _SEQ:
            r = p.add_run(parts.group("label") + " ")
            r.bold = True
            r.font.size = Pt(size)
            seq = _SEQ[parts.group("label")]
            # panels "3a", "3b" share one number: the second repeats it (\c) instead of counting
            last = getattr(doc, "_seq_last", {})
            repeat = "\\c " if parts.group("part") and last.get(seq) == parts.group("num") else ""
            last[seq] = parts.group("num")
            doc._seq_last = last
            num = parts.group("num")
            _field_runs(p, f"SEQ {seq} {repeat}\\* ARABIC", num, size=size, bold=True)
            if parts.group("part"):
                r = p.add_run(parts.group("part"))
                r.bold = True
                r.font.size = Pt(size)
        else:  # a label Word's SEQ cannot count, kept as text
            r = p.add_run(m.group(1))
            r.bold = True
            r.font.size = Pt(size)
        if ref:
            _bookmark(p, ref, bid, False)
        caption = caption[m.end() :]
    r = p.add_run(caption)
    r.font.size = Pt(size)


def _cell_text(cell, text: str, font, *, bold: bool = False, right: bool = False) -> None:
    para = cell.paragraphs[0]
    run = para.add_run(text)
    run.font.size = font
    run.bold = bold or None
    para.paragraph_format.space_after = Pt(0)
    para.paragraph_format.space_before = Pt(1)
    if right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _row_flags(row, *, header: bool) -> None:
    """Rows never split across pages; the header row repeats at the top of every page."""
    trPr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit",) + (("w:tblHeader",) if header else ()):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trPr.append(el)


def _widths(table, widths_cm) -> None:
    """Fixed column widths (the grid, every cell, the table) fitted to the content."""
    tblPr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblPr.append(layout)
    tblW = tblPr.find(qn("w:tblW"))
    if tblW is None:
        tblW = OxmlElement("w:tblW")
        tblPr.append(tblW)
    tblW.set(qn("w:type"), "dxa")
    tblW.set(qn("w:w"), str(sum(int(Cm(w).twips) for w in widths_cm)))
    for gc, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm):
        gc.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)


def _orient(doc, landscape: bool) -> None:
    """Start a new section (new page) in the orientation, unless the current one has it."""
    sec = doc.sections[-1]
    if (sec.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    w, h = Cm(PORTRAIT_CM[0]), Cm(PORTRAIT_CM[1])
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (h, w) if landscape else (w, h)


def _text_width_cm(landscape: bool) -> float:
    return (PORTRAIT_CM[1] if landscape else PORTRAIT_CM[0]) - 2 * MARGIN_CM


def _table(doc, t: Table) -> None:
    if t.docx_note:  # the caption (its number still counted) and where the rows are
        _orient(doc, False)
        _caption(doc, t.caption, ref=f"tbl_{slug(t.name)}"[:40])
        _text(doc, Text(t.docx_note, "note"))
        return
    disp = t.display()
    ncol = len(disp.columns)
    size = 8 if ncol > 6 else 9
    numeric = numeric_columns(disp)
    portrait = _text_width_cm(False)
    heads = [h for _, h in header_groups(disp.columns)]
    fitted, natural = column_widths_cm(disp, size, portrait, numeric=numeric, headers=heads)
    # landscape when the table cannot fit the portrait width, or only by wrapping text heavily
    landscape = t.orientation == "landscape" or (
        t.orientation == "auto"
        and (sum(fitted) > portrait + 1e-6 or natural > LANDSCAPE_ABOVE * portrait)
    )
    _orient(doc, landscape)
    widths, _ = column_widths_cm(
        disp, size, _text_width_cm(landscape), numeric=numeric, headers=heads
    )
    _caption(doc, t.caption, ref=f"tbl_{slug(t.name)}"[:40])
    table = doc.add_table(rows=1, cols=ncol)
    table.autofit = False
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
    font = Pt(size)
    _header(table, disp.columns, numeric, font)
    for rec in disp.itertuples(index=False):
        row = table.add_row()  # row by row: table.cell(i, j) is quadratic
        _row_flags(row, header=False)
        for cell, v, right in zip(row.cells, rec, numeric):
            _cell_text(cell, str(v), font, right=right)
    _widths(table, widths)
    if t.footnote:
        p = doc.add_paragraph()
        r = p.add_run(typeset(t.footnote))
        r.font.size = Pt(8)
        r.italic = False
        p.paragraph_format.space_after = Pt(12)
    else:
        doc.add_paragraph()


def _header(table, columns, numeric, font) -> None:
    """The header row, or two when adjacent headers share a model name ("Clinical model: β"):
    the name spans its columns (merged cells, a rule under it), the other headers span both
    rows; every header row repeats on each page."""
    groups = header_groups(columns)
    top = table.rows[0]
    _row_flags(top, header=True)
    if all(g is None for g, _ in groups):
        for cell, col, right in zip(top.cells, columns, numeric):
            _cell_text(cell, str(col), font, bold=True, right=right)
            _borders(cell._tc.get_or_add_tcPr(), bottom=("single", 6))
        return
    sub = table.add_row()
    _row_flags(sub, header=True)
    i = 0
    for g, k in group_runs(groups):
        if g is None:
            cell = top.cells[i].merge(sub.cells[i])
            _cell_text(cell, groups[i][1], font, bold=True, right=numeric[i])
            _borders(cell._tc.get_or_add_tcPr(), bottom=("single", 6))
        else:
            cell = top.cells[i].merge(top.cells[i + k - 1]) if k > 1 else top.cells[i]
            _cell_text(cell, g, font, bold=True)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _borders(cell._tc.get_or_add_tcPr(), bottom=("single", 4))
            for j in range(i, i + k):
                _cell_text(sub.cells[j], groups[j][1], font, bold=True, right=numeric[j])
                _borders(sub.cells[j]._tc.get_or_add_tcPr(), bottom=("single", 6))
        i += k


def _figure(doc, f: Figure, png: Path) -> None:
    """The figure at the width it was drawn (:func:`reports.figures.printed_width_cm`), never
    scaled; one wider than the text (two columns, 17.5 cm) reaches into both margins equally."""
    _orient(doc, False)
    width_cm = printed_width_cm(png_width_in(png))
    doc.add_picture(str(png), width=Cm(width_cm))
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    overhang = max(width_cm - _text_width_cm(False), 0.0) / 2
    if overhang:
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = -Cm(overhang)
    _caption(doc, f.caption, size=9.5, ref=f"fig_{slug(f.name)}"[:40])


def _text(doc, t: Text) -> None:
    p = doc.add_paragraph()
    r = p.add_run(t.text if t.style == "pre" else typeset(t.text))
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
    sec.page_width, sec.page_height = Cm(PORTRAIT_CM[0]), Cm(PORTRAIT_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(MARGIN_CM))
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    doc.core_properties.author = "hccstats"
    doc.core_properties.title = report.title
    doc.add_heading(report.title, level=0)
    if report.subtitle:
        p = doc.add_paragraph(report.subtitle)
        p.runs[0].font.size = Pt(10)
    caption = doc.styles["Caption"]  # Word's Caption style, in the text's colour and size
    caption.font.bold = False
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    caption.font.size = Pt(10)
    for alert in report.alerts:
        _text(doc, Text(f"Warning: {alert}", "error"))
    for i, section in enumerate(report.sections, 1):
        title = f"{i}. {typeset(section.title)}" + (
            f" ({section.status})" if section.status != "ok" else ""
        )
        doc.add_heading(title, level=1)
        if section.message:
            _text(doc, Text(section.message, "error"))
        for b in section.blocks:
            if isinstance(b, Table):
                _table(doc, b)
            elif isinstance(b, Figure):
                _figure(doc, b, pngs[b.name])
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
