"""Tables of a rendered report.docx read back with their column names: a model name merged
across its columns in a first header row reads back as "Model: β", as the report names them."""

from __future__ import annotations

from docx.oxml.ns import qn


def header_rows(table) -> int:
    """How many rows of ``table`` are header rows (repeated on each page)."""
    n = 0
    for row in table.rows:
        tr_pr = row._tr.trPr
        if tr_pr is None or tr_pr.find(qn("w:tblHeader")) is None:
            break
        n += 1
    return max(n, 1)


def columns(table) -> list[str]:
    """The column names, two header rows joined as "group: sub"."""
    top = [c.text for c in table.rows[0].cells]
    if header_rows(table) == 1:
        return top
    sub = [c.text for c in table.rows[1].cells]
    return [t if t == s else f"{t}: {s}" for t, s in zip(top, sub)]


def body(table) -> list:
    """The rows under the header."""
    return table.rows[header_rows(table) :]
