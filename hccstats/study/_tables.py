"""Reading the study's CSV tables and typing their columns, with one-line errors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from ._config import Variable

__all__ = [
    "read_table",
    "rows_text",
    "require_columns",
    "typed_column",
    "check_unique",
    "level_key",
]


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV as strings (empty cells and NA markers as missing); InputError if absent/unreadable."""
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=True, skipinitialspace=True, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path.name}: cannot read {what} table ({str(exc).splitlines()[0]})"
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    for col in df.columns:
        df[col] = df[col].str.strip()
    return df


def rows_text(positions: Iterable[int], ids: pd.Series | None = None, limit: int = 5) -> str:
    """'rows 3, 8 (patients P001, P006)' with spreadsheet row numbers (header = row 1)."""
    pos = list(positions)
    shown = pos[:limit]
    more = f", ... ({len(pos)} in all)" if len(pos) > limit else ""
    text = "row" + ("s " if len(pos) > 1 else " ") + ", ".join(str(p + 2) for p in shown) + more
    if ids is not None:
        pats = ", ".join(str(ids.iloc[p]) for p in shown)
        text += f" (patient{'s' if len(pos) > 1 else ''} {pats}{', ...' if more else ''})"
    return text


def require_columns(df: pd.DataFrame, columns: Iterable[str], file: str) -> None:
    have = set(df.columns)
    for col in columns:
        if col not in have:
            raise InputError(
                f"{file}: missing column {col!r} (columns present: {', '.join(map(repr, df.columns))})"
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
            f"{file}: column {keys[0]!r}: {what} {values[:5]}"
            f"{' ...' if len(values) > 5 else ''} at {rows_text(np.flatnonzero(dup), df[id_col])}"
        )


def typed_column(raw: pd.Series, var: Variable, file: str, ids: pd.Series) -> pd.Series:
    """Convert a string column to the variable's type; InputError naming the bad rows."""
    if var.type == "continuous":
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
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
                f"{list(levels)[:5]}"
            )
    by_text = {level_key(lv): lv for lv in levels}
    keys = raw.map(lambda v: level_key(v) if isinstance(v, str) else v)
    unknown = keys.notna().to_numpy() & ~keys.isin(list(by_text)).to_numpy()
    if unknown.any():
        examples = ", ".join(repr(v) for v in raw[unknown].unique()[:3])
        raise InputError(
            f"{file}: column {var.name!r}: value(s) {examples} not among the declared levels "
            f"{list(levels)} at {rows_text(np.flatnonzero(unknown), ids)}"
        )
    values = keys.map(by_text)
    return pd.Series(
        pd.Categorical(values.tolist(), categories=list(levels), ordered=True),
        index=raw.index,
        name=var.name,
    )


def level_key(value: object) -> str:
    """Compare levels as text, with 1, 1.0 and '1' the same level."""
    text = str(value).strip()
    try:
        num = float(text)
    except ValueError:
        return text
    return repr(int(num)) if num.is_integer() else repr(num)
