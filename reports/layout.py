"""Table layout shared by the HTML and DOCX renderers: numeric columns, content-fitted widths.

A column is numeric when every cell that holds a value reads as a number ("0.949 (0.919–0.980)",
"< 0.001*", "54 (27.7%)", "1.61 × 10¹⁵"); place holders ("NA", "—", "Ref", "") do not count, and a column of place
holders only is a number column (a p value column of "NA").
Numeric columns are right-aligned (header included) and never wrap; text columns wrap at word
boundaries. Widths are estimated from the text (average glyph widths), which is what a word
processor's "autofit to contents" does, but deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

__all__ = [
    "PLACEHOLDERS",
    "header_groups",
    "group_runs",
    "is_number_text",
    "numeric_columns",
    "text_width_cm",
    "column_widths_cm",
]

PLACEHOLDERS = frozenset({"", "NA", "—", "–", "-", "Ref", "Ref.", "NR"})
_NUMBER = re.compile(r"^[<>≤≥−+-]?\s?[0-9][0-9.,]*")
#: average glyph width in em: Times New Roman ≈ 0.45 for text, digits 0.5
_EM_TEXT, _EM_DIGIT = 0.47, 0.5
_PT_CM = 2.54 / 72


GROUP_SEP = ": "


def header_groups(columns: Sequence[str]) -> list[tuple[str | None, str]]:
    """``(spanning header, column header)`` per column.

    Adjacent headers that share a prefix before ``": "`` ("Clinical model (n = 195): β",
    "Clinical model (n = 195): OR (95% CI)", ...) form a group: the prefix is printed once,
    spanning them, above their own headers ("β", "OR (95% CI)"). A header outside any group
    (or alone with its prefix) is ``(None, header)``.
    """
    cols = [str(c) for c in columns]
    prefix = [c.split(GROUP_SEP, 1)[0] if GROUP_SEP in c else None for c in cols]
    out: list[tuple[str | None, str]] = []
    for i, (c, p) in enumerate(zip(cols, prefix)):
        shared = p is not None and (
            (i > 0 and prefix[i - 1] == p) or (i + 1 < len(cols) and prefix[i + 1] == p)
        )
        out.append((p, c.split(GROUP_SEP, 1)[1]) if shared else (None, c))
    return out


def group_runs(groups: Sequence[tuple[str | None, str]]) -> list[tuple[str | None, int]]:
    """The first header row: ``(spanning header or None, number of columns)`` per run."""
    runs: list[tuple[str | None, int]] = []
    for g, _ in groups:
        if g is not None and runs and runs[-1][0] == g:
            runs[-1] = (g, runs[-1][1] + 1)
        else:
            runs.append((g, 1))
    return runs


def is_number_text(text: str) -> bool:
    """Whether a cell's text starts with a number (an estimate, a p value, a count)."""
    return bool(_NUMBER.match(str(text).strip()))


def numeric_columns(disp: pd.DataFrame) -> list[bool]:
    """For each column of a display table (strings): True when its values are all numbers."""
    out = []
    for col in disp.columns:
        values = [str(v).strip() for v in disp[col]]
        shown = [v for v in values if v not in PLACEHOLDERS]
        out.append(all(is_number_text(v) for v in shown))  # only place holders: a number column
    return out


def text_width_cm(text: str, size_pt: float) -> float:
    """Estimated printed width of one line of ``text`` at ``size_pt`` (cm)."""
    lines = str(text).split("\n") or [""]
    return max(
        sum(_EM_DIGIT if c.isdigit() else _EM_TEXT for c in line) * size_pt * _PT_CM
        for line in lines
    )


def _longest_word_cm(text: str, size_pt: float) -> float:
    words = str(text).split() or [""]
    return max(text_width_cm(w, size_pt) for w in words)


def column_widths_cm(
    disp: pd.DataFrame,
    size_pt: float,
    available_cm: float,
    *,
    padding_cm: float = 0.38,
    numeric: Sequence[bool] | None = None,
    headers: Sequence[str] | None = None,
) -> tuple[list[float], float]:
    """Content-fitted column widths (cm) and the table's natural (unwrapped) width (cm).

    Each column gets the width of its widest cell (a header may wrap onto two lines at a word
    boundary). When the sum exceeds ``available_cm``, only text columns shrink, in proportion
    to their excess over their longest word, so numbers never wrap. ``headers`` are the texts
    printed above the columns when they differ from the column names (spanned groups).
    """
    numeric = list(numeric_columns(disp) if numeric is None else numeric)
    heads = [str(c) for c in disp.columns] if headers is None else list(headers)
    natural, minimum = [], []
    for col, head, is_num in zip(disp.columns, heads, numeric):
        cells = [str(v).strip() for v in disp[col]]
        head_min = _longest_word_cm(head, size_pt)
        head_w = max(head_min, text_width_cm(head, size_pt) / 2)  # headers may take two lines
        body = max([text_width_cm(c, size_pt) for c in cells] or [0.0])
        body_min = body if is_num else max([_longest_word_cm(c, size_pt) for c in cells] or [0])
        natural.append(max(head_w, body) + padding_cm)
        minimum.append(max(head_min, body_min) + padding_cm)
    total = sum(natural)
    if total <= available_cm:
        return natural, total
    excess = total - available_cm
    slack = [n - m if not is_num else 0.0 for n, m, is_num in zip(natural, minimum, numeric)]
    room = sum(slack)
    if room <= 0:
        return natural, total
    cut = min(1.0, excess / room)
    return [n - s * cut for n, s in zip(natural, slack)], total
