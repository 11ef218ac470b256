"""``repr(LogisticFit)`` against what ``print(rms::lrm(...))`` prints, live in R.

Every line must equal R's to the character, except the call line (R prints the data's name)
and the value of ``max |deriv|`` (the gradient left at convergence depends on the fitting
algorithm: Newton to 1e-12 here, rms's own tolerance there).
"""

from __future__ import annotations

import pytest
from _datasets import birthwt, infert

import hccstats as hs
from hccstats.logistic._rms_print import format_p

pytestmark = pytest.mark.r


def _r_print(formula: str, data) -> list[str]:
    from hccstats.rbridge import run

    code = f"""
    suppressMessages(library(rms))
    capture.output(print(lrm({formula}, data = d)))
    """
    return list(run(code, d=data))


def _without_call(lines: list[str]) -> list[str]:
    """The lines without the call (from "lrm(formula =" to the blank line after it)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("lrm(formula ="))
    end = lines.index("", start)
    return lines[:start] + lines[end:]


def _compare(ours: str, theirs: list[str]) -> None:
    mine, theirs = _without_call(ours.split("\n")), _without_call(theirs)
    assert len(mine) == len(theirs), (mine, theirs)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if b.startswith("max |deriv|"):
            assert a[:11] == b[:11] and a[17:] == b[17:], (a, b)
        else:
            assert a == b, f"line {i}:\nours: {a!r}\nR:    {b!r}"


@pytest.mark.parametrize(
    "formula",
    ["low ~ age + lwt + smoke + ptl", "low ~ smoke + ptl + ht + ui + lwt"],
)
def test_print_against_rms_print_lrm(formula):
    d = birthwt()
    _compare(repr(hs.lrm(formula, d)), _r_print(formula, d))


def test_print_factor_levels_and_small_p_against_rms():
    # infert: education a factor (rms names its columns education=6-11yrs, ...), and
    # spontaneous abortions with a p value below 1e-4 ("<0.0001")
    d = infert()
    formula = "case ~ age + education + parity + induced + spontaneous"
    theirs = _r_print(formula, d)
    assert any("<0.0001" in line for line in theirs)
    _compare(repr(hs.lrm(formula, d)), theirs)


def test_format_p_switches_to_less_than_below_the_last_digit():
    assert format_p([0.5, 0.00012, 0.00009]) == ["0.5000", "0.0001", "<0.0001"]
