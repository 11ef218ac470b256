"""The study's files as text: encoding, and files that are not text at all (one-line errors).

A file that is not UTF-8 is named with the line of the first byte that does not decode; a
spreadsheet workbook, an archive or a Parquet table given where a text file belongs is named
as what it is (by its first bytes, or its extension for an Excel workbook).
"""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

from .._errors import InputError, short_repr

__all__ = ["read_text", "check_encoding", "ENCODING_HINT"]

#: the first bytes of files that are not text, and what to say about them
_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel workbook (.xls): save it as CSV (UTF-8)"),
    (b"PK\x03\x04", None),  # a ZIP archive: an .xlsx workbook or another archive (below)
    (b"\x1f\x8b", "gzip-compressed: unpack it"),
    (b"PAR1", "a Parquet table, not a CSV text file"),
    (b"%PDF", "a PDF document, not a CSV text file"),
)
_EXCEL = (".xlsx", ".xlsm", ".xls")
ENCODING_HINT = "save it as UTF-8"


def check_encoding(value: object, where: str) -> str:
    """A codec name Python knows (``latin-1``, ``cp1252``, ``utf-8``); InputError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"{where}: expected the name of an encoding (e.g. latin-1), got {short_repr(value)}"
        )
    try:
        codecs.lookup(value)
    except LookupError:
        raise InputError(
            f"{where}: unknown encoding {value!r} (e.g. utf-8, latin-1, cp1252)"
        ) from None
    return value


def _zip_kind(data: bytes) -> str:
    """What a ZIP file holds: an Excel or OpenDocument workbook, or other files."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        names = []
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx): save it as CSV (UTF-8)"
    if "content.xml" in names:
        return "an OpenDocument spreadsheet (.ods): save it as CSV (UTF-8)"
    return "a ZIP archive, not a CSV text file: unpack it"


def _not_text(data: bytes, path: Path) -> str | None:
    """What the file is when it is no text file (None when it may be one)."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            if what is not None:
                return what
            return _zip_kind(data)
    if path.suffix.lower() in _EXCEL:
        return f"an Excel workbook ({path.suffix.lower()}): save it as CSV (UTF-8)"
    return None


def read_text(path: Path, encoding: str = "utf-8", *, setting: str | None = None) -> str:
    """The file's text (a UTF-8 byte-order mark dropped); InputError naming the file and the line.

    ``setting`` is the study-file key that sets the encoding (``clinical.encoding``), named in
    the message of a file that does not decode; None for a file without one (study.yaml).
    """
    data = path.read_bytes()
    what = _not_text(data, path)
    if what is not None:
        raise InputError(f"{path.name}: is {what}")
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    if codec == "utf-8-sig" and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"{path.name}: is UTF-16 text: {ENCODING_HINT}")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        fix = ENCODING_HINT + (
            f", or name its encoding in the study file ({setting}: {{encoding: latin-1}})"
            if setting
            else ""
        )
        raise InputError(
            f"{path.name}: line {line}: not {encoding} text (byte 0x{byte} at character "
            f"{col}): {fix}"
        ) from None
