"""The compiled passes behind roc() and DeLong (numba) against the vectorised numpy path that
runs without numba: the same groups, curve, thresholds and AUC bit for bit, DeLong's sums to
rounding. The numbers of both paths are checked against pROC in test_roc.py / test_delong.py
(which run the path of the installed environment); here the other path is held to it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import hccstats as hs
from hccstats._jit import HAVE_NUMBA
from hccstats.discrimination._delong import centred_sums
from hccstats.discrimination._groups import score_groups
from hccstats.discrimination._roc import curve_points, thresholds_from_values

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed: one path only")

GROUP_FIELDS = ("values", "case_counts", "control_counts", "case_group", "control_group")


@st.composite
def labelled(draw):
    n = draw(st.integers(2, 400))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda a: 0 < a.sum() < a.size))
    kind = draw(st.sampled_from(["any", "tied", "alike"]))
    if kind == "any":
        x = draw(arrays(np.float64, n, elements=st.floats(allow_nan=False, allow_infinity=False)))
    elif kind == "tied":
        x = draw(arrays(np.int64, n, elements=st.integers(-3, 3))).astype(float) * 0.37
    else:  # neighbours a few ulps apart: they share every bit the packed keys keep
        base = draw(st.floats(-1e3, 1e3, allow_nan=False))
        steps = draw(arrays(np.int64, n, elements=st.integers(0, 6)))
        x = base + steps * np.spacing(base if base else 1.0)
    return y, x


def assert_same_groups(x: np.ndarray, y: np.ndarray) -> None:
    fast, plain = score_groups(x, y, compiled=True), score_groups(x, y, compiled=False)
    for name in GROUP_FIELDS:
        a, b = getattr(fast, name), getattr(plain, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@settings(max_examples=150, deadline=None)
@given(data=labelled())
def test_groups_curve_and_thresholds_identical_on_both_paths(data):
    y, x = data
    assert_same_groups(x, y)
    g = score_groups(x, y)
    m = int(y.sum())
    sens_c, spec_c, auc_c = curve_points(g, m, y.size - m, compiled=True)
    sens_p, spec_p, auc_p = curve_points(g, m, y.size - m, compiled=False)
    np.testing.assert_array_equal(sens_c, sens_p)
    np.testing.assert_array_equal(spec_c, spec_p)
    assert auc_c == auc_p  # both exact: integer numerator / half-integer float sum
    for direction in ("<", ">"):
        np.testing.assert_array_equal(
            thresholds_from_values(g.values, direction, compiled=True),
            thresholds_from_values(g.values, direction, compiled=False),
        )


def test_groups_identical_where_many_values_differ_in_the_last_bits():
    # 200,000 values 1 ulp apart share their high bits: one long stretch to put in order
    x = 1.0 + np.arange(200_000) * np.finfo(float).eps
    rng = np.random.default_rng(1)
    rng.shuffle(x)
    y = (rng.random(x.size) < 0.4).astype(np.int64)
    assert_same_groups(x, y)
    assert score_groups(x, y).size == x.size


def test_groups_identical_on_a_million_patients_with_ties_and_near_ties():
    rng = np.random.default_rng(2)
    n = 1_000_000
    y = (rng.random(n) < 0.3).astype(np.int64)
    x = np.round(y + rng.normal(size=n), 3)  # many ties
    x[:1000] = np.nextafter(x[1000:2000], np.inf)  # values 1 ulp from others
    x[2000:2010] = -0.0
    x[2010:2020] = 0.0
    assert_same_groups(x, y)


def test_thresholds_identical_where_midpoints_overflow_or_round_onto_a_neighbour():
    v = np.array([-1.7e308, -1e300, 1.0, np.nextafter(1.0, 2.0), 1e300, 1.7e308])
    for direction in ("<", ">"):
        np.testing.assert_array_equal(
            thresholds_from_values(v, direction, compiled=True),
            thresholds_from_values(v, direction, compiled=False),
        )


@settings(max_examples=100, deadline=None)
@given(data=labelled(), seed=st.integers(0, 2**32 - 1))
def test_delong_sums_agree_on_both_paths(data, seed):
    y, x = data
    rng = np.random.default_rng(seed)
    x2 = np.where(rng.random(x.size) < 0.5, x, rng.normal(size=x.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.discrimination.ConstantScoreWarning)
        r1, r2 = hs.roc(y, x, direction="<"), hs.roc(y, x2, direction=">")
    for a, b in ((r1, r2), (r1, r1)):
        fast, plain = centred_sums(a, b, compiled=True), centred_sums(a, b, compiled=False)
        # rounding of a sum of products is relative to sum |u v| <= (sum u^2 + sum v^2) / 2
        scale = (plain[:, [0]] + plain[:, [2]]) / 2.0
        assert np.all(np.abs(fast - plain) <= 1e-12 * scale), (fast, plain)


def test_delong_sums_agree_on_a_million_patients():
    rng = np.random.default_rng(3)
    n = 1_000_000
    y = (rng.random(n) < 0.3).astype(np.int64)
    s1 = y + rng.normal(size=n)
    s2 = 0.8 * s1 + 0.6 * rng.normal(size=n)
    r1, r2 = hs.roc(y, s1, direction="<"), hs.roc(y, s2, direction="<")
    fast, plain = centred_sums(r1, r2, compiled=True), centred_sums(r1, r2, compiled=False)
    np.testing.assert_allclose(fast, plain, rtol=1e-12)


def test_groups_identical_along_numpys_permutation_when_keys_cannot_be_packed(monkeypatch):
    # beyond 2**30 patients the index does not fit the packed keys: the compiled pass walks
    # numpy's sorting permutation instead (forced here on a small tied score)
    from hccstats.discrimination import _groups

    monkeypatch.setattr(_groups, "packed_index_bits", lambda n: None)
    rng = np.random.default_rng(4)
    y = (rng.random(5000) < 0.3).astype(np.int64)
    x = np.round(rng.normal(size=5000), 2)
    assert_same_groups(x, y)
