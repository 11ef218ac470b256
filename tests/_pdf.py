"""Read a saved figure's PDF back: its page size and the sizes of the text and lines drawn.

A small reader of PDF content streams (matplotlib's and R's ``pdf()`` output, Flate-compressed
or plain): it follows the graphics state (``q``/``Q``, ``cm``, ``w``) and the text state
(``BT``, ``Tf``, ``Tm``) and records, for every string shown (``Tj``, ``TJ``, ``'``, ``"``),
the font size as printed, ``Tf size × scale(Tm) × scale(CTM)``, and for every stroke the line
width as printed, ``w × scale(CTM)`` (scale: the square root of the matrix's determinant).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
_OBJ = re.compile(rb"(?<![\d])(\d+)\s+0\s+obj\b(.*?)\bendobj", re.S)
_STREAM = re.compile(rb"<<(?P<dict>(?:(?!>>\s*stream).)*?)>>\s*stream\r?\n", re.S)
_TOKEN = re.compile(
    rb"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+))(?![\w.])|(?P<name>/[^\s/\[\]()<>{}%]*)"
    rb"|(?P<open>\[)|(?P<close>\])|(?P<str>\()|(?P<hex><[0-9A-Fa-f\s]*>)"
    rb"|(?P<dict><<)|(?P<enddict>>>)|(?P<op>[A-Za-z'\"*]+))"
)
_STROKES = {b"S", b"s", b"B", b"B*", b"b", b"b*"}
_SHOWS = {b"Tj", b"TJ", b"'", b'"'}


@dataclass
class PdfFigure:
    """What a one-page figure PDF holds: page size (pt), printed font sizes and line widths."""

    width_pt: float
    height_pt: float
    font_sizes: list[float] = field(default_factory=list)
    line_widths: list[float] = field(default_factory=list)


def _mul(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _scale(m) -> float:
    return abs(m[0] * m[3] - m[1] * m[2]) ** 0.5


def _skip_string(data: bytes, i: int) -> int:
    """Index after the literal string whose "(" is at ``i - 1`` (nested parentheses, escapes)."""
    depth = 1
    while depth:
        ch = data[i]
        if ch == 0x5C:  # backslash: skip the escaped byte
            i += 2
            continue
        depth += {0x28: 1, 0x29: -1}.get(ch, 0)
        i += 1
    return i


def _objects(raw: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJ.finditer(raw)}


def _stream_body(obj: bytes) -> bytes:
    m = _STREAM.search(obj)
    if m is None:
        return b""
    body = obj[m.end() : obj.rfind(b"endstream")]
    if b"FlateDecode" in m.group("dict"):
        body = zlib.decompressobj().decompress(body)
    return body


def _streams(raw: bytes) -> list[bytes]:
    """The drawing: every page's content streams and every form XObject (markers)."""
    objects = _objects(raw)
    out = []
    for obj in objects.values():
        head = obj[: obj.find(b"stream")] if b"stream" in obj else obj
        if re.search(rb"/Type\s*/Page(?![s\w])", head):
            ref = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)", head)
            for num in re.findall(rb"(\d+)\s+\d+\s+R", ref.group(1) if ref else b""):
                out.append(_stream_body(objects[int(num)]))
        elif re.search(rb"/Subtype\s*/Form", head):
            out.append(_stream_body(obj))
    return out


def _run(content: bytes, fig: PdfFigure) -> None:
    ctm, lw, stack = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 1.0, []
    tm, size = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0.0
    operands: list = []
    i, n = 0, len(content)
    while i < n:
        m = _TOKEN.match(content, i)
        if m is None:
            i += 1
            continue
        i = m.end()
        kind = m.lastgroup
        if kind == "num":
            operands.append(float(m.group("num")))
        elif kind == "str":
            i = _skip_string(content, i)
            operands.append("string")
        elif kind in ("name", "hex", "open", "close", "dict", "enddict"):
            operands.append(kind)
        else:
            op = m.group("op")
            nums = [x for x in operands if isinstance(x, float)]
            if op == b"q":
                stack.append((ctm, lw))
            elif op == b"Q" and stack:
                ctm, lw = stack.pop()
            elif op == b"cm" and len(nums) >= 6:
                ctm = _mul(tuple(nums[-6:]), ctm)
            elif op == b"w" and nums:
                lw = nums[-1]
            elif op == b"BT":
                tm = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
            elif op == b"Tf" and nums:
                size = nums[-1]
            elif op == b"Tm" and len(nums) >= 6:
                tm = tuple(nums[-6:])
            elif op in _SHOWS:
                fig.font_sizes.append(size * _scale(tm) * _scale(ctm))
            elif op in _STROKES:
                fig.line_widths.append(lw * _scale(ctm))
            operands = []


def read_pdf_figure(path: str | Path) -> PdfFigure:
    """Page size (of the first page) and every printed font size and line width of a PDF."""
    raw = Path(path).read_bytes()
    box = _MEDIABOX.search(raw)
    if box is None:
        raise ValueError(f"{path}: no /MediaBox")
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    fig = PdfFigure(x1 - x0, y1 - y0)
    for content in _streams(raw):
        _run(content, fig)
    return fig
