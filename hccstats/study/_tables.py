"""Reading the study's CSV tables and typing their columns, with one-line errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError, listed
from ._config import Variable
from ._files import read_text

__all__ = [
    "read_table",
    "header_names",
    "check_header",
    "rows_text",
    "require_columns",
    "typed_column",
    "check_unique",
    "level_key",
]


#: other separators a header may use, and how to write them in the study file
_OTHER_SEPS = {
    "\t": ("tab-separated", 'sep: "\\t"'),
    ";": ("semicolon-separated", 'sep: ";"'),
    ",": ("comma-separated", 'sep: ","'),
}


def read_table(path: Path, what: str, *, encoding: str = "utf-8", sep: str = ",") -> pd.DataFrame:
    """A CSV as strings (empty cells and NA markers as missing); InputError if absent/unreadable.

    ``what`` is the study file's section (``clinical``, ``readers``) that names the table and
    may set its ``encoding`` and ``sep``. Refused with one line: a file that is no text (an
    Excel workbook, an archive), one that does not decode (the line), an empty file, a header
    without rows, a header separated by another character than ``sep``, a column name twice.
    """
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    text = read_text(path, encoding, setting=what)
    if not text.strip():
        raise InputError(f"{path.name}: the {what} table is empty (no header, no rows)")
    check_header(header_names(text, sep), path.name, sep, what)
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=True, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"{path.name}: cannot read {what} table ({str(exc).splitlines()[0]})"
        ) from None
    if df.empty:
        raise InputError(f"{path.name}: the {what} table has a header but no rows")
    df.columns = [str(c).strip() for c in df.columns]
    for col in df.columns:
        df[col] = df[col].str.strip()
    return df


def header_names(text: str, sep: str) -> list[str]:
    """The column names of a CSV's first row, as written (blanks stripped)."""
    first = next(csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=sep), [])
    return [name.strip() for name in first]


def check_header(names: list[str], file: str, sep: str | None = None, what: str = "") -> None:
    """InputError for a column name given twice (pandas would silently read the second as
    ``name.1``), or, for a text table read with ``sep``, a header split by another separator."""
    if sep is not None and len(names) == 1:
        for other, (kind, setting) in _OTHER_SEPS.items():
            if other != sep and other in names[0]:
                raise InputError(
                    f"{file}: is {kind}, not separated by {sep!r}: save it as CSV, or set "
                    f"{what or 'the table'}: {{file: {file}, {setting}}}"
                )
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not name:  # an unnamed column (trailing separators, as spreadsheets write): unused
            continue
        if name in seen:
            raise InputError(
                f"{file}: column {name!r} appears twice in the header (columns {seen[name]} and "
                f"{i}); rename or remove one"
            )
        seen[name] = i


def rows_text(positions: Iterable[int], ids: pd.Series | None = None, limit: int = 5) -> str:
    """'rows 3, 8 (patients P001, P006)' with spreadsheet row numbers (header = row 1)."""
    pos = list(positions)
    text = "row" + ("s " if len(pos) > 1 else " ") + listed([p + 2 for p in pos], limit, str)
    if ids is not None:
        pats = listed([ids.iloc[p] for p in pos], limit, str)
        text += f" (patient{'s' if len(pos) > 1 else ''} {pats})"
    return text


def require_columns(df: pd.DataFrame, columns: Iterable[str], file: str) -> None:
    have = set(df.columns)
    for col in columns:
        if col not in have:
            raise InputError(
                f"{file}: missing column {col!r} (columns present: {listed(df.columns)})"
            )


def check_unique(df: pd.DataFrame, keys: list[str], file: str, id_col: str) -> None:
    """InputError naming the rows where the key columns repeat (e.g. duplicate patient IDs)."""
    missing = df[keys].isna().any(axis=1).to_numpy()
    if missing.any():
        raise InputError(
            f"{file}: column {keys[0]!r}: empty key value at {rows_text(np.flatnonzero(missing))}"
        )
    dup = df.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        what = (
            "duplicate patient IDs" if keys == [id_col] else f"duplicate rows for {'/'.join(keys)}"
        )
        values = df.loc[dup, keys[0]].drop_duplicates().tolist()
        raise InputError(
            f"{file}: column {keys[0]!r}: {what} [{listed(values)}] at "
            f"{rows_text(np.flatnonzero(dup), df[id_col])}"
        )


def typed_column(raw: pd.Series, var: Variable, file: str, ids: pd.Series) -> pd.Series:
    """Convert a string column to the variable's type; InputError naming the bad rows."""
    if var.type == "continuous":
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            examples = listed(raw[bad].unique(), 3)
            raise InputError(
                f"{file}: column {var.name!r}: text in a numeric column at "
                f"{rows_text(np.flatnonzero(bad), ids)}: {examples}"
            )
        inf = np.isinf(num.to_numpy(dtype=float))
        if inf.any():
            raise InputError(
                f"{file}: column {var.name!r}: infinite value at {rows_text(np.flatnonzero(inf), ids)}"
            )
        return num.astype("float64")

    levels = var.levels
    present = raw.dropna().unique().tolist()
    if levels is None:
        nums = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
        if len(present) and nums.notna().all():
            order = sorted(range(len(present)), key=lambda i: float(nums.iloc[i]))
            levels = tuple(present[i] for i in order)
        else:
            levels = tuple(sorted(present))
        if var.type == "binary" and len(levels) > 2:
            raise InputError(
                f"{file}: column {var.name!r}: a binary variable has {len(levels)} distinct values "
                f"[{listed(levels)}]"
            )
    by_text = {level_key(lv): lv for lv in levels}
    keys = level_keys(raw)
    unknown = keys.notna().to_numpy() & ~keys.isin(list(by_text)).to_numpy()
    if unknown.any():
        examples = listed(raw[unknown].unique(), 3)
        raise InputError(
            f"{file}: column {var.name!r}: value(s) {examples} not among the declared levels "
            f"[{listed(levels, 10)}] at {rows_text(np.flatnonzero(unknown), ids)}"
        )
    return pd.Series(
        pd.Categorical(keys.map(by_text), categories=list(levels), ordered=True),
        index=raw.index,
        name=var.name,
    )


def level_keys(raw: pd.Series) -> pd.Series:
    """Each value's :func:`level_key` (text values; any other value as it is), worked out once
    per distinct value."""
    distinct = raw.dropna().unique().tolist()
    return raw.map({v: level_key(v) if isinstance(v, str) else v for v in distinct})


def level_key(value: object) -> str:
    """Compare levels as text, with 1, 1.0 and '1' the same level."""
    text = str(value).strip()
    try:
        num = float(text)
    except ValueError:
        return text
    return repr(int(num)) if num.is_integer() else repr(num)
