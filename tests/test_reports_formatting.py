"""Manuscript formatting rules of reports.formatting (the study's own printed values as oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import formatting as F


@pytest.mark.parametrize(
    "p, text",
    [
        (0.039, "0.039"),
        (0.0014, "0.001"),
        (0.000999, "< 0.001"),
        (1e-12, "< 0.001"),
        (1.0, "1.000"),
        (0.0494, "0.049"),
        (float("nan"), "NA"),
        (None, "NA"),
    ],
)
def test_fmt_p_against_study_tables(p, text):
    assert F.fmt_p(p) == text


def test_fmt_p_star_marks_significance_as_in_table_3():
    assert F.fmt_p(0.014, star=True) == "0.014*"
    assert F.fmt_p(0.2, star=True) == "0.200"
    assert F.fmt_p(1e-5, star=True) == "< 0.001*"


def test_fmt_est_ci_against_table_4_text():
    # Table 4 of the study prints the DL nomogram's training AUC as 0.949 (0.919–0.980)
    assert F.fmt_est_ci(0.94912, 0.91876, 0.98004) == "0.949 (0.919\u20130.980)"


def test_fmt_or_ci_against_table_3_text():
    assert F.fmt_or_ci(3.0712, 1.5234, 6.2188) == "3.07 (1.52\u20136.22)"
    assert F.fmt_or_ci(1.61e15, 5.63e10, 4.63e19) == "1.61 × 10¹⁵ (5.63 × 10¹⁰\u20134.63 × 10¹⁹)"


def test_fmt_or_small_and_rollover():
    assert F.fmt_or(2.5e-5) == "2.50 × 10⁻⁵"
    assert F.fmt_or(9.9999e5) == "1.00 × 10⁶"
    assert F.fmt_or(0.70) == "0.70"
    assert F.fmt_or(float("inf")) == "∞"


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_fmt_or_scientific_roundtrips_within_rounding(x):
    text = F.fmt_or(x, digits=2)
    if "×" in text:
        mant, exp = text.split(" × 10")
        exp = int(exp.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
        value = float(mant) * 10.0**exp
    else:
        exp = 0
        value = float(text)
    # Two decimals (of the mantissa in scientific notation): the printed value is off by at most
    # half a unit of the last digit, 0.005 * 10**exp. Exact halves such as 0.125 may go either way
    # (0.125 prints "0.12", as R's sprintf("%.2f", 0.125) does), hence the bound is inclusive; the
    # 1e-9 relative slack covers the float error of rebuilding the value from its text.
    assert abs(value - x) <= 0.005 * 10.0**exp * (1 + 1e-9) + 1e-9 * abs(x)


def test_fmt_or_exact_half_rounds_like_r_sprintf():
    # R 4.2: sprintf("%.2f", c(0.125, 0.375, 2.675)) prints "0.12" "0.38" "2.67" (binary halves round
    # to even; 2.675 is stored as 2.67499999...). Python's format follows the same C rule.
    assert [F.fmt_or(v) for v in (0.125, 0.375, 2.675)] == ["0.12", "0.38", "2.67"]


def test_fmt_median_iqr_and_n_pct_against_study_text():
    # Results: "Early recurrence occurred in 77 (27.0%) patients"; Table 1: "0.450 (0.379, 0.545)"
    assert F.fmt_n_pct(77, 285) == "77 (27.0%)"
    assert F.fmt_n_pct(54, 195) == "54 (27.7%)"
    assert F.fmt_median_iqr(0.4501, 0.3789, 0.5452, digits=3) == "0.450 (0.379, 0.545)"
    assert F.fmt_pct(0.7636) == "76.4"


def test_fmt_num_negative_zero_and_missing():
    assert F.fmt_num(-0.0001, 2) == "0.00"
    assert F.fmt_num(np.nan) == "NA"


def test_format_table_specs_and_composites():
    df = pd.DataFrame(
        {
            "model": ["A", "B"],
            "auc": [0.9491, 0.7512],
            "lo": [0.919, 0.674],
            "hi": [0.980, 0.827],
            "p": [1e-6, 0.0389],
            "n": [195, 90],
        }
    )
    out = F.format_table(
        df,
        {
            "Model": lambda r: r["model"],
            "AUC (95% CI)": F.est_ci("auc", "lo", "hi"),
            "p": "p*",
            "n": "int",
        },
    )
    assert list(out.columns) == ["Model", "AUC (95% CI)", "p", "n"]
    assert out.iloc[1].tolist() == ["B", "0.751 (0.674\u20130.827)", "0.039*", "90"]
    auto = F.format_table(df)
    assert auto.loc[0, "auc"] == "0.949" and auto.loc[0, "n"] == "195"
    with pytest.raises(KeyError):
        F.format_table(df, {"missing": "3f"})
    with pytest.raises(ValueError):
        F.format_value(1.0, "weird")


def test_negative_numbers_take_a_true_minus_and_their_ci_reads_to():
    from reports.formatting import fmt_est_ci, fmt_num, fmt_p_text

    assert fmt_num(-1.8312) == "\u22121.831" and fmt_num(-0.0001) == "0.000"
    assert fmt_est_ci(-0.138, -0.292, 0.016) == "\u22120.138 (\u22120.292 to 0.016)"
    assert fmt_est_ci(0.949, 0.919, 0.980) == "0.949 (0.919\u20130.980)"  # en dash kept
    assert fmt_p_text(2e-7) == "p < 0.001" and fmt_p_text(0.0389) == "p = 0.039"


def test_coefficients_keep_three_significant_figures_below_0_1():
    from reports.formatting import fmt_coef

    assert fmt_coef(0.000312) == "0.000312" and fmt_coef(-0.0413) == "\u22120.0413"
    assert fmt_coef(1.83124) == "1.831" and fmt_coef(0.0) == "0.000"
