"""The manuscript view of a :class:`TableOne`: strings as a journal's Table 1 prints them.

The numbers come from the TableOne unrounded; every rounding rule (p values, median (IQR),
n (%), mean ± SD) is :mod:`hccstats.formatting`'s (a leaf module the renderer uses too), and
the DOCX file is written by the renderer (:func:`reports.table_docx.write_table_docx`,
imported on use: the statistics never import the renderer at module level). This module only
lays the rows out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import formatting as F
from .._errors import InputError

__all__ = ["formatted_table", "write_docx", "short_test_name"]

_SHORT = {
    "Wilcoxon": "Mann–Whitney U",
    "Kruskal": "Kruskal–Wallis",
    "Fisher": "Fisher's exact",
    "Chi-squared": "χ²",
}


def short_test_name(method: str) -> str:
    """R's test name as a table prints it: "Wilcoxon rank sum exact test" → "Mann–Whitney U"."""
    for key, short in _SHORT.items():
        if key in str(method):
            return short
    return "" if method in ("", "none") else str(method)


def _digits(digits: int | Mapping[str, int], variable: str) -> int:
    return digits.get(variable, 1) if isinstance(digits, Mapping) else int(digits)


def _group_headers(t, group_names: Mapping[Any, str] | None) -> dict[Any, str]:
    names = dict(group_names or {})
    sizes = t.summary.drop_duplicates("group").set_index("group")["n_group"]
    groups = list(t.groups) + (["Overall"] if "Overall" in sizes.index else [])
    return {g: f"{names.get(g, g)} (n = {int(sizes[g])})" for g in groups}


def formatted_table(
    t,
    *,
    group_names: Mapping[Any, str] | None = None,
    digits: int | Mapping[str, int] = 1,
    smd: bool = False,
    star: bool = False,
) -> pd.DataFrame:
    """One string row per continuous variable, a header row and one row per level for
    categorical ones; columns Characteristic, one per group ("<group> (n = N)"), p value,
    Test (and SMD)."""
    heads = _group_headers(t, group_names)
    tests = t.tests.set_index("variable")
    rows = []
    for var, part in t.summary.groupby("variable", sort=False):
        test = tests.loc[var]
        miss = int(test["n_missing"])
        continuous = part["kind"].iloc[0] == "continuous"
        what = (
            ("median (IQR)" if t.continuous_stat == "median" else "mean ± SD")
            if continuous
            else "n (%)"
        )
        first = {
            "Characteristic": f"{test['label']}, {what}" + (f" [missing {miss}]" if miss else "")
        }
        first |= dict.fromkeys(heads.values(), "")
        first |= {
            "p value": F.fmt_p(test["p_value"], star=star),
            "Test": short_test_name(test["test"]),
        }
        if smd:
            first["SMD"] = F.fmt_num(test["smd"], 3)
        d = _digits(digits, var)
        if continuous:
            for _, r in part.iterrows():
                first[heads[r["group"]]] = (
                    F.fmt_median_iqr(r["median"], r["q1"], r["q3"], d)
                    if t.continuous_stat == "median"
                    else F.fmt_mean_sd(r["mean"], r["sd"], d)
                )
            rows.append(first)
            continue
        rows.append(first)
        for level, by_level in part.groupby("level", sort=False):
            row = dict.fromkeys(first, "")
            row["Characteristic"] = f"    {level}"
            for _, r in by_level.iterrows():
                row[heads[r["group"]]] = F.fmt_n_pct(r["n"], pct=r["percent"])
            rows.append(row)
    columns = ["Characteristic", *heads.values(), "p value", "Test"] + (["SMD"] if smd else [])
    return pd.DataFrame(rows, columns=columns, dtype=object)


def write_docx(
    t, path: str | os.PathLike, *, caption: str, footnote: str | None, **view: Any
) -> Path:
    """Write the formatted table as a DOCX file (journal three-line table), atomically."""
    from reports.table_docx import write_table_docx

    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise InputError(f"path {str(path)!r}: expected a .docx file name")
    if not path.parent.is_dir():
        raise InputError(f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    table = formatted_table(t, **view)
    if footnote is None:
        footnote = default_footnote(t)
    return write_table_docx(
        table,
        path,
        caption=caption,
        footnote=footnote,
        section="Baseline characteristics",
        name="table_one",
    )


def default_footnote(t) -> str:
    """Which summary and which tests the table shows."""
    used = [short_test_name(m) for m in dict.fromkeys(t.tests["test"]) if m not in ("", "none")]
    summary = "Median (interquartile range)" if t.continuous_stat == "median" else "Mean ± SD"
    return (
        f"{summary} for continuous variables, n (%) of the recorded values for categorical ones; "
        f"tests: {', '.join(used) if used else 'none'}. Missing values are counted per variable."
    )
