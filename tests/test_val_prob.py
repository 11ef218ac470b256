"""val_prob (rms::val.prob), Hosmer-Lemeshow and le Cessie-van Houwelingen against R."""

from __future__ import annotations

import numpy as np
import pytest
from _calibration_data import asah, birthwt, birthwt_fit, read_ref
from hypothesis import given, settings
from hypothesis import strategies as st

import hccstats as hs
from hccstats import InputError
from hccstats.calibration import hosmer_lemeshow, le_cessie, val_prob

# The same arithmetic as rms (same lrm.fit iterations, same lowess, same binned C), so the
# agreement is ~1e-12; 1e-6 is the project's bound and leaves room for BLAS differences.
TOL = 1e-6


def _case_data(case):
    if case.startswith("birthwt"):
        return birthwt()["low"].to_numpy(), read_ref("risks_birthwt.csv")[case].to_numpy()
    return asah()["poor"].to_numpy(), read_ref("risks_asah.csv")[case].to_numpy()


@pytest.mark.parametrize(
    "case", ["birthwt_apparent", "birthwt_shrunk", "asah_apparent", "asah_shifted"]
)
def test_val_prob_against_stored_rms(case):
    # R: val.prob(p, y, pl = FALSE) in make_reference.R
    ref = read_ref("val_prob.csv").set_index("case").loc[case]
    y, p = _case_data(case)
    got = val_prob(y, p).to_series()
    for name, expected in ref.items():
        expected = float(expected)
        if np.isnan(expected):
            assert np.isnan(got[name]), name
        else:
            assert got[name] == pytest.approx(expected, abs=TOL), name


@pytest.mark.r
def test_val_prob_against_live_rms():
    from hccstats.rbridge.rms_validation import val_prob_r

    rng = np.random.default_rng(5)
    p = rng.beta(2, 5, size=300)
    y = (rng.random(300) < np.clip(p * 1.3, 0, 1)).astype(int)
    expected = val_prob_r(y, p)
    got = val_prob(y, p).to_series()
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=TOL, equal_nan=True)


def test_val_prob_constant_risk_against_rms_special_case():
    # rms: Dxy 0, C 0.5, R2 0, Slope 0, Emax 0, E90 = Eavg = |p - mean(y)|
    y = np.array([0, 1, 0, 0, 1, 0])
    with pytest.warns(hs.UndefinedStatisticWarning):
        v = val_prob(y, np.full(6, 0.25))
    assert (v.dxy, v.c, v.r2, v.slope, v.emax) == (0.0, 0.5, 0.0, 0.0, 0.0)
    assert v.eavg == pytest.approx(abs(0.25 - 2 / 6))
    assert v.intercept == pytest.approx(np.log((2 / 6) / (4 / 6)))


def test_val_prob_bad_input():
    with pytest.raises(InputError, match="risk: .*outside"):
        val_prob([0, 1, 1], [0.2, 1.4, 0.5])
    with pytest.raises(InputError, match="y_true: only one class"):
        val_prob([1, 1, 1], [0.2, 0.4, 0.5])
    with pytest.raises(InputError, match="mismatched"):
        val_prob([0, 1, 1], [0.2, 0.4])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_val_prob_recalibrated_risk_has_intercept_0_slope_1_invariant(seed):
    # risks from a logistic fit of y on logit(risk) are perfectly calibrated in the large
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, 80)
    y = (rng.random(80) < p).astype(int)
    if y.min() == y.max():
        return
    v = val_prob(y, p)
    q = 1 / (1 + np.exp(-(v.intercept + v.slope * np.log(p / (1 - p)))))
    v2 = val_prob(y, q)
    assert v2.intercept == pytest.approx(0, abs=1e-5)
    assert v2.slope == pytest.approx(1, abs=1e-5)


@pytest.mark.parametrize(
    "case,g",
    [
        ("birthwt_apparent", 10),
        ("birthwt_apparent", 8),
        ("asah_apparent", 10),
        ("asah_shifted", 10),
    ],
)
def test_hosmer_lemeshow_against_stored_r(case, g):
    # R: base-R transcription of ResourceSelection::hoslem.test (make_reference.R, function hl)
    key = {
        ("birthwt_apparent", 10): "birthwt_g10",
        ("birthwt_apparent", 8): "birthwt_g8",
        ("asah_apparent", 10): "asah_g10",
        ("asah_shifted", 10): "asah_shifted_g10",
    }[(case, g)]
    ref = read_ref("hosmer_lemeshow.csv").set_index("case").loc[key]
    y, p = _case_data(case)
    res = hosmer_lemeshow(y, p, g=g)
    assert res.statistic == pytest.approx(ref["statistic"], abs=TOL)
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["p_value"], abs=TOL)


@pytest.mark.r
def test_hosmer_lemeshow_with_tied_risks_against_live_r():
    from hccstats.rbridge.rms_validation import hosmer_lemeshow_r

    rng = np.random.default_rng(9)
    p = np.round(rng.uniform(0.05, 0.6, 150), 1)  # heavy ties: fewer groups than g
    y = (rng.random(150) < p).astype(int)
    exp = hosmer_lemeshow_r(y, p)
    got = hosmer_lemeshow(y, p)
    assert got.statistic == pytest.approx(exp["statistic"], abs=TOL)
    # hoslem.test's df is g - 2 = 8 whatever the number of groups tied risks leave (here 5)
    assert got.n_groups < 10 and got.df == exp["df"] == 8
    assert got.p_value == pytest.approx(exp["p_value"], abs=TOL)


@pytest.mark.r
def test_hosmer_lemeshow_empty_group_is_nan_as_hoslem_test():
    """Four distinct risks: the interpolated deciles leave two groups empty (E = 0); R's
    hoslem.test transcription gives NaN, hccstats nan with a typed warning and a note."""
    from hccstats.rbridge.rms_validation import hosmer_lemeshow_r

    p = np.repeat([0.1, 0.2, 0.5, 0.8], 3)
    y = np.array([0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0])
    exp = hosmer_lemeshow_r(y, p)
    with pytest.warns(hs.UndefinedStatisticWarning, match="risk groups empty"):
        got = hosmer_lemeshow(y, p)
    assert np.isnan(exp["statistic"]) and np.isnan(got.statistic) and np.isnan(got.p_value)
    assert got.df == exp["df"] == 8 and "2 of the 6 risk groups empty" in got.note


@pytest.mark.parametrize("case", ["birthwt", "asah"])
def test_le_cessie_against_stored_rms(case):
    # R: residuals(lrm(..., x = TRUE, y = TRUE), type = "gof")
    ref = read_ref("le_cessie.csv").set_index("case").loc[case]
    if case == "birthwt":
        fit = birthwt_fit()
    else:
        fit = hs.lrm("poor ~ s100b + ndka + age", asah())
    res = le_cessie(fit)
    assert res.sse == pytest.approx(ref["Sum of squared errors"], abs=TOL)
    assert res.expected == pytest.approx(ref["Expected value|H0"], abs=TOL)
    assert res.sd == pytest.approx(ref["SD"], abs=TOL)
    assert res.statistic == pytest.approx(ref["Z"], abs=TOL)
    assert res.p_value == pytest.approx(ref["P"], abs=TOL)


@pytest.mark.r
def test_le_cessie_with_factor_against_live_rms():
    from hccstats.rbridge.rms_validation import le_cessie_r

    d = birthwt().assign(race=lambda df: np.where(df["age"] > 25, "older", "younger"))
    fit = hs.lrm("low ~ lwt + smoke + race", d)
    exp = le_cessie_r(fit)
    res = le_cessie(fit)
    assert res.statistic == pytest.approx(exp["Z"], abs=TOL)
    assert res.p_value == pytest.approx(exp["P"], abs=TOL)


def test_arguments_in_rms_order_named_as_swapped():
    # rms::val.prob(p, y) takes the risk first; hccstats's val_prob(y_true, risk) the outcome
    rng = np.random.default_rng(3)
    risk = rng.uniform(0.05, 0.95, 100)
    y = (rng.uniform(size=100) < risk).astype(int)
    with pytest.raises(hs.InputError, match="look swapped"):
        hs.val_prob(risk, y)
    assert np.isfinite(hs.val_prob(y, risk).slope)
