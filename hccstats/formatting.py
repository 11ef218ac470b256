"""Manuscript formatting: the ONLY place where numbers are rounded for display.

Rules (journal style, as in Yan et al., Eur Radiol 2023):

- p values: three decimals, ``"< 0.001"`` below 0.001, ``"NA"`` when undefined; in running
  text ``"p < 0.001"`` or ``"p = 0.039"`` (:func:`fmt_p_text`), never ``"p = < 0.001"``.
- negative numbers with a true minus sign (U+2212): ``"−0.138"``.
- estimate with CI: ``"0.949 (0.919–0.980)"`` (en dash between the limits); ``"to"`` when a
  limit is negative, where a dash would read as a minus: ``"−0.138 (−0.292 to 0.016)"``.
- odds ratios: two decimals; very large or small ones in powers of ten,
  ``"1.61 × 10¹⁵"`` (Unicode superscripts, so HTML, DOCX and CSV all show them).
- median (IQR): ``"54.0 (45.0, 62.0)"``; mean ± SD: ``"54.0 ± 9.8"``; counts: ``"54 (27.7%)"``.
- percentages of a proportion: ``0.764`` → ``"76.4"``.
- typography (:func:`typeset`, applied to every displayed cell, header, caption and note):
  ``"≥"``/``"≤"`` for ``>=``/``<=``, ``"×10⁹/L"`` for ``x10^9/L``.

Everything else in the project keeps numbers unrounded.

A leaf module: it imports nothing of the project, so that both the statistics (figure text,
``TableOne.formatted``) and the renderer (:mod:`reports`, which re-exports it as
``reports.formatting``) use it without either importing the other (docs/architecture.md,
"Import direction").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NA",
    "EN_DASH",
    "MINUS",
    "Format",
    "fmt_p",
    "fmt_p_text",
    "fmt_num",
    "fmt_coef",
    "ci_text",
    "fmt_or",
    "fmt_est_ci",
    "fmt_or_ci",
    "or_digits",
    "fmt_median_iqr",
    "fmt_mean_sd",
    "fmt_n_pct",
    "fmt_pct",
    "format_value",
    "format_table",
    "est_ci",
    "or_ci",
    "col",
    "typeset",
]

NA = "NA"
EN_DASH = "\u2013"
MINUS = "\u2212"
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_p(p: Any, *, digits: int = 3, star: bool = False, alpha: float = 0.05) -> str:
    """A p value: ``0.0389`` → ``"0.039"``, ``2e-7`` → ``"< 0.001"``; ``star`` marks p < ``alpha``."""
    if _missing(p):
        return NA
    p = float(p)
    floor = 10.0 ** (-digits)
    text = f"< {floor:.{digits}f}" if p < floor else f"{min(p, 1.0):.{digits}f}"
    if star and p < alpha:
        text += "*"
    return text


def fmt_p_text(p: Any, *, digits: int = 3) -> str:
    """A p value in running text: ``"p < 0.001"``, ``"p = 0.039"`` (``"p = NA"`` when undefined)."""
    text = fmt_p(p, digits=digits)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def fmt_num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals (``"NA"`` when missing); negatives with a true minus
    sign (U+2212), and never ``"−0.000"``."""
    if _missing(x):
        return NA
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def fmt_coef(x: Any, digits: int = 3, most: int = 10) -> str:
    """A regression coefficient with enough digits to rebuild the model: ``digits`` decimals,
    or ``digits`` significant figures when it is smaller than 0.1 (``0.000312``, never
    ``0.000``)."""
    if _missing(x):
        return NA
    x = float(x)
    if x == 0 or not math.isfinite(x) or abs(x) >= 0.1:
        return fmt_num(x, digits)
    decimals = min(most, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return fmt_num(x, max(decimals, digits))


def ci_text(low: str, high: str) -> str:
    """Two formatted CI limits joined: an en dash, or ``" to "`` when a limit is negative."""
    sep = " to " if low.startswith(MINUS) or high.startswith(MINUS) else EN_DASH
    return f"{low}{sep}{high}"


def fmt_or(x: Any, digits: int = 2, *, sci_above: float = 1e4, sci_below: float = 1e-3) -> str:
    """An odds ratio: ``3.0712`` → ``"3.07"``; ``1.6e15`` → ``"1.61 × 10¹⁵"``."""
    if _missing(x):
        return NA
    x = float(x)
    if math.isinf(x):
        return "∞"
    if x != 0 and (abs(x) >= sci_above or abs(x) < sci_below):
        exp = int(math.floor(math.log10(abs(x))))
        mant = x / 10.0**exp
        if round(mant, digits) >= 10:  # 9.999e5 -> 10.00 x 10^5 -> 1.00 x 10^6
            mant /= 10
            exp += 1
        return f"{mant:.{digits}f} × 10{str(exp).translate(_SUP)}"
    return fmt_num(x, digits)


def fmt_est_ci(est: Any, low: Any, high: Any, digits: int = 3) -> str:
    """``"0.949 (0.919–0.980)"``."""
    if _missing(est):
        return NA
    return f"{fmt_num(est, digits)} ({ci_text(fmt_num(low, digits), fmt_num(high, digits))})"


def or_digits(est: Any, low: Any, high: Any, digits: int = 2, most: int = 5) -> int:
    """Decimals for an odds ratio and its CI: ``digits``, unless all three would print the same.

    A continuous variable on a fine scale (AFP in ng/mL) has an OR per unit like 1.0004
    (1.0001–1.0007), which two decimals print as "1.00 (1.00–1.00)": then more decimals (up to
    ``most``) until estimate and limits print apart.
    """

    def texts(d: int) -> set[str]:
        return {fmt_or(est, d), fmt_or(low, d), fmt_or(high, d)}

    if len(texts(digits)) > 1:
        return digits
    for d in range(digits + 1, most + 1):
        if len(texts(d)) == 3:
            return d
    return most


def fmt_or_ci(est: Any, low: Any, high: Any, digits: int = 2) -> str:
    """``"3.07 (1.52–6.22)"``, or in powers of ten for huge odds ratios; more decimals when
    ``digits`` would print "1.00 (1.00–1.00)" (see :func:`or_digits`)."""
    if _missing(est):
        return NA
    digits = or_digits(est, low, high, digits)
    return f"{fmt_or(est, digits)} ({ci_text(fmt_or(low, digits), fmt_or(high, digits))})"


def fmt_median_iqr(median: Any, q1: Any, q3: Any, digits: int = 1) -> str:
    """``"54.0 (45.0, 62.0)"`` (median with lower and upper quartile)."""
    if _missing(median):
        return NA
    return f"{fmt_num(median, digits)} ({fmt_num(q1, digits)}, {fmt_num(q3, digits)})"


def fmt_n_pct(n: Any, total: Any = None, *, pct: Any = None, digits: int = 1) -> str:
    """``"54 (27.7%)"`` from a count and its total (or a ready percentage ``pct``)."""
    if _missing(n):
        return NA
    if pct is None:
        pct = 100.0 * float(n) / float(total) if total else float("nan")
    return f"{int(round(float(n)))} ({fmt_num(pct, digits)}%)"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """A proportion as a percentage without the sign: ``0.764`` → ``"76.4"``."""
    if _missing(x):
        return NA
    return fmt_num(100.0 * float(x), digits)


def format_value(x: Any, spec: str = "auto") -> str:
    """Format one value by spec.

    Specs: ``"p"`` / ``"p*"`` (p value, starred when < 0.05), ``"<k>f"`` (k decimals),
    ``"or"`` (odds ratio), ``"pct"`` (proportion → percent), ``"int"``, ``"text"``,
    ``"auto"`` (integers as is, other numbers with 3 decimals, text unchanged).
    """
    if spec == "text":
        return "" if _missing(x) else str(x)
    if _missing(x):
        return NA if spec != "auto" or not isinstance(x, str) else ""
    if spec == "p":
        return fmt_p(x)
    if spec == "p*":
        return fmt_p(x, star=True)
    if spec == "or":
        return fmt_or(x)
    if spec == "pct":
        return fmt_pct(x)
    if spec == "int":
        return str(int(round(float(x))))
    if spec.endswith("f") and spec[:-1].isdigit():
        return fmt_num(x, int(spec[:-1]))
    if spec == "auto":
        if isinstance(x, (bool, np.bool_)):
            return str(bool(x))
        if isinstance(x, (int, np.integer)):
            return str(int(x))
        if isinstance(x, (float, np.floating)):
            return str(int(x)) if float(x).is_integer() and abs(x) < 1e9 else fmt_num(x, 3)
        return str(x)
    raise ValueError(f"unknown format spec {spec!r}")


Format = str | Callable[[pd.Series], str]


def est_ci(est: str, low: str, high: str, digits: int = 3) -> Callable[[pd.Series], str]:
    """A column format joining three data columns: ``"0.949 (0.919–0.980)"``."""
    return lambda row: fmt_est_ci(row[est], row[low], row[high], digits)


def or_ci(est: str, low: str, high: str, digits: int = 2) -> Callable[[pd.Series], str]:
    """A column format joining three data columns as an odds ratio with its CI."""
    return lambda row: fmt_or_ci(row[est], row[low], row[high], digits)


def col(name: str, spec: str = "auto") -> Callable[[pd.Series], str]:
    """A column format showing data column ``name`` with ``spec`` under another header."""
    return lambda row: format_value(row[name], spec)


def format_table(data: pd.DataFrame, formats: Mapping[str, Format] | None = None) -> pd.DataFrame:
    """Strings for display: one column per ``formats`` entry (or every column, ``"auto"``).

    A string spec formats the same-named data column (spec ``"text"`` shows it unchanged);
    a callable receives each row and returns the cell text.
    """
    formats = dict(formats or {}) or {c: "auto" for c in data.columns}
    out: dict[str, list[str]] = {}
    rows = [row for _, row in data.iterrows()]
    for col, spec in formats.items():
        if callable(spec):
            out[col] = [spec(row) for row in rows]
        else:
            if col not in data.columns:
                raise KeyError(f"format for {col!r} but the table has no such column")
            out[col] = [format_value(v, spec) for v in data[col].tolist()]
    return pd.DataFrame(
        {typeset(c): [typeset(v) for v in vals] for c, vals in out.items()},
        index=range(len(data)),
        dtype=object,
    )


_EXP = r"10\^(?:\((-?\d+)\)|(-?\d+))"
#: "x10^9", "x 10^9" after a number, a space or "(", and a unit "10^9/L" opening a unit
_TIMES_POWER = re.compile(r"(?:(?<=[\d\s(])|^)[xX×*] ?" + _EXP)
_UNIT_POWER = re.compile(r"(?:(?<=\()|(?<=, )|^)" + _EXP + r"(?=/)")
_POWER = re.compile(r"(?<![\w.^])" + _EXP)
_SYMBOLS = (("<=", "≤"), (">=", "≥"), ("+/-", "±"), ("=<", "≤"), ("=>", "≥"))


def typeset(text: Any) -> Any:
    """Journal typography of a label or cell: ``">=500"`` → ``"≥500"``, ``"<="`` → ``"≤"``,
    ``"+/-"`` → ``"±"``, ``"x10^9/L"`` and a unit ``"10^9/L"`` → ``"×10⁹/L"``, other
    ``"10^-3"`` → ``"10⁻³"``.

    Non-strings are returned unchanged; so is text without these ASCII stand-ins.
    """
    if not isinstance(text, str):
        return text
    for ascii_, sign in _SYMBOLS:
        text = text.replace(ascii_, sign)
    text = _TIMES_POWER.sub(lambda m: "×10" + _sup(m), text)
    text = _UNIT_POWER.sub(lambda m: "×10" + _sup(m), text)
    return _POWER.sub(lambda m: "10" + _sup(m), text)


def _sup(m: re.Match) -> str:
    return (m.group(1) or m.group(2)).translate(_SUP)


def fmt_mean_sd(mean: Any, sd: Any, digits: int = 1) -> str:
    """``"54.0 ± 9.8"`` (mean ± standard deviation)."""
    if _missing(mean):
        return NA
    return f"{fmt_num(mean, digits)} ± {fmt_num(sd, digits)}"
