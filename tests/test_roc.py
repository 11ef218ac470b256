"""ROC curves (hccstats.roc) against pROC: stored outputs, live rpy2, and invariants."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import _datasets
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import hccstats as hs
from hccstats.discrimination import ConstantScoreWarning, DirectionWarning

REF = Path(__file__).parent / "reference" / "roc"


def reference() -> dict:
    """pROC 1.18.0 outputs written by tests/reference/roc/make_reference.R (numbers as %.17g strings)."""
    return json.loads((REF / "proc_reference.json").read_text())


def asah() -> pd.DataFrame:
    return _datasets.asah()


def floats(values) -> np.ndarray:
    return np.array([float(v) for v in np.atleast_1d(values)])


def asah_roc(predictor: str, direction: str = "auto") -> hs.Roc:
    d = asah()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DirectionWarning)
        return hs.roc(d["outcome"], d[predictor], direction=direction, levels=("Good", "Poor"))


# --- stored pROC outputs (aSAH data shipped with pROC) ------------------------------------------


@pytest.mark.parametrize("predictor", ["s100b", "ndka", "wfns"])
def test_curve_against_stored_proc_asah(predictor):
    ref = reference()[predictor]
    r = asah_roc(predictor)
    assert r.direction == ref["direction"]
    # thresholds, sensitivities and specificities are computed as pROC does: bit-identical
    np.testing.assert_array_equal(r.thresholds, floats(ref["thresholds"]))
    np.testing.assert_array_equal(r.sensitivities, floats(ref["sensitivities"]))
    np.testing.assert_array_equal(r.specificities, floats(ref["specificities"]))
    # Mann-Whitney AUC vs pROC's trapezoid sum: equal up to rounding (1e-12 relative)
    assert r.auc == pytest.approx(float(ref["auc"]), rel=1e-12)


@pytest.mark.parametrize("predictor", ["s100b", "ndka", "wfns"])
def test_flipped_direction_curve_against_stored_proc_asah(predictor):
    ref = reference()[f"{predictor}_flipped"]
    r = asah_roc(predictor, direction=ref["direction"])
    np.testing.assert_array_equal(r.thresholds, floats(ref["thresholds"]))
    np.testing.assert_array_equal(r.sensitivities, floats(ref["sensitivities"]))
    np.testing.assert_array_equal(r.specificities, floats(ref["specificities"]))
    assert r.auc == pytest.approx(float(ref["auc"]), rel=1e-12)


def test_auto_direction_warns_naming_choice_as_proc():
    d = asah()
    with pytest.warns(DirectionWarning, match="chose '<'"):
        r = hs.roc(d["outcome"], d["s100b"], levels=("Good", "Poor"))
    assert r.direction == "<"
    with pytest.warns(DirectionWarning, match="chose '>'"):
        r = hs.roc(d["outcome"], -d["s100b"], levels=("Good", "Poor"))
    assert r.direction == ">"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs.roc(d["outcome"], d["s100b"], direction="<", levels=("Good", "Poor"))


def test_roc_fields_and_frame():
    r = asah_roc("s100b")
    assert (r.n_controls, r.n_cases) == (72, 41)
    assert r.levels == ("Good", "Poor")
    assert len(r.controls) == 72 and len(r.cases) == 41
    frame = r.to_frame()
    assert list(frame.columns) == ["threshold", "sensitivity", "specificity"]
    assert np.all(np.diff(r.specificities) >= 0) and np.all(np.diff(r.sensitivities) <= 0)
    assert "Area under the curve: 0.7314" in repr(r)


def test_default_levels_sorted_and_ordered_categorical_score():
    d = asah()
    cat = pd.Categorical(d["wfns"].astype(int), categories=[1, 2, 3, 4, 5], ordered=True)
    r1 = hs.roc(d["outcome"], pd.Series(cat), direction="<")  # default levels: Good < Poor
    r2 = hs.roc(d["outcome"] == "Poor", d["wfns"], direction="<")
    assert r1.levels == ("Good", "Poor")
    assert r1.auc == r2.auc


# --- live pROC --------------------------------------------------------------------------------


@pytest.mark.r
def test_curve_against_live_proc_asah():
    from hccstats.rbridge import proc

    for predictor in ("s100b", "ndka", "wfns"):
        for direction in ("<", ">"):
            r = asah_roc(predictor, direction)
            out = proc.roc_curve(r)
            np.testing.assert_array_equal(r.thresholds, out["thresholds"])
            np.testing.assert_array_equal(r.sensitivities, out["sensitivities"])
            np.testing.assert_array_equal(r.specificities, out["specificities"])
            assert r.auc == pytest.approx(out["auc"], rel=1e-12)


def _tied_scores(n: int):
    # small integer grid -> many ties; the scale makes midpoints non-trivial floats
    return arrays(np.int64, n, elements=st.integers(0, 9)).map(lambda a: a * 0.37 - 1.1)


@st.composite
def labelled_scores(draw, min_size=4, max_size=60):
    n = draw(st.integers(min_size, max_size))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda a: 0 < a.sum() < a.size))
    continuous = draw(st.booleans())
    if continuous:
        s = draw(arrays(np.float64, n, elements=st.floats(-1e3, 1e3, allow_nan=False)))
    else:
        s = draw(_tied_scores(n))
    return y, s


@pytest.mark.r
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=labelled_scores(), direction=st.sampled_from(["<", ">"]))
def test_curve_against_live_proc_random(data, direction):
    from hccstats.rbridge import proc

    y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        r = hs.roc(y, s, direction=direction)
    out = proc.roc_curve(r)
    np.testing.assert_array_equal(r.thresholds, np.atleast_1d(out["thresholds"]))
    np.testing.assert_array_equal(r.sensitivities, np.atleast_1d(out["sensitivities"]))
    np.testing.assert_array_equal(r.specificities, np.atleast_1d(out["specificities"]))
    assert r.auc == pytest.approx(out["auc"], rel=1e-8, abs=1e-14)


@pytest.mark.r
def test_near_tie_thresholds_against_live_proc():
    """Adjacent floating-point scores: the midpoint rounds onto a score; pROC moves it."""
    from hccstats.rbridge import proc

    a = 0.3
    s = np.array(
        [a, np.nextafter(a, 1), np.nextafter(np.nextafter(a, 1), 1), 0.1, 0.9, 1e300, -1e300]
    )
    y = np.array([0, 1, 1, 0, 1, 1, 0])
    for direction in ("<", ">"):
        r = hs.roc(y, s, direction=direction)
        out = proc.roc_curve(r)
        np.testing.assert_array_equal(r.thresholds, out["thresholds"])
        np.testing.assert_array_equal(r.sensitivities, out["sensitivities"])


# --- invariants ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=labelled_scores(), direction=st.sampled_from(["<", ">"]))
def test_auc_of_negated_score_is_one_minus_auc(data, direction):
    y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        a = hs.roc(y, s, direction=direction).auc
        b = hs.roc(y, -s, direction=direction).auc
    assert a == pytest.approx(1.0 - b, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=labelled_scores(), seed=st.integers(0, 2**32 - 1))
def test_auc_invariant_to_monotone_transform_and_patient_order(data, seed):
    y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        base = hs.roc(y, s, direction="<")
        # strictly increasing and injective on these values: exp keeps order; arctan too
        for transformed in (np.arctan(s / 1e3) * 7.0 + 3.0, 2.0 * s + 5.0):
            if np.unique(transformed).size != np.unique(s).size:
                continue  # the transform merged two values in floating point: not injective here
            assert hs.roc(y, transformed, direction="<").auc == pytest.approx(base.auc, abs=1e-12)
        perm = np.random.default_rng(seed).permutation(y.size)
        shuffled = hs.roc(y[perm], s[perm], direction="<")
    assert shuffled.auc == base.auc
    np.testing.assert_array_equal(shuffled.thresholds, base.thresholds)
    np.testing.assert_array_equal(shuffled.sensitivities, base.sensitivities)


def test_auc_equals_brute_force_mann_whitney():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 300)
    s = rng.integers(0, 20, 300).astype(float)
    r = hs.roc(y, s, direction="<")
    x, z = s[y == 1], s[y == 0]
    brute = ((x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])).mean()
    assert r.auc == pytest.approx(brute, rel=1e-14)


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y, s, kwargs, match",
    [
        ([1, 1, 1], [0.1, 0.2, 0.3], {}, "y_true: only one class"),
        ([0, 1, 2], [0.1, 0.2, 0.3], {}, "y_true: expected a binary outcome"),
        ([0, 1, np.nan], [0.1, 0.2, 0.3], {}, "y_true: 1 missing"),
        ([0, 1, 1], [0.1, np.nan, 0.3], {}, "score: 1 NaN or infinite"),
        ([0, 1, 1], [0.1, np.inf, 0.3], {}, "score: 1 NaN or infinite"),
        ([0, 1, 1], [0.1, 0.2], {}, "mismatched lengths: y_true has 3, score has 2"),
        ([0, 1, 1], ["a", "b", "c"], {}, "score: expected numbers"),
        ([0, 1, 1], [0.1, 0.2, 0.3], {"direction": "up"}, "direction: expected one of"),
        (
            ["a", "b", "c"],
            [0.1, 0.2, 0.3],
            {"levels": ("a", "b")},
            "y_true: 1 value.s. not among levels",
        ),
        ([0, 1, 1], [0.1, 0.2, 0.3], {"levels": (1, 1)}, "levels: expected two distinct"),
    ],
)
def test_bad_input_raises_input_error_naming_argument(y, s, kwargs, match):
    with pytest.raises(hs.InputError, match=match):
        hs.roc(y, s, **kwargs)


def test_constant_score_warns_and_gives_diagonal():
    with pytest.warns(ConstantScoreWarning, match="score: constant"):
        r = hs.roc([0, 1, 0, 1], [2.0, 2.0, 2.0, 2.0], direction="<")
    assert r.auc == 0.5
    np.testing.assert_array_equal(r.thresholds, [-np.inf, np.inf])
