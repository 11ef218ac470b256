"""R's lowess (clowess) and approx, re-implemented: checked against R to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest
from _calibration_data import read_ref
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstats import InputError
from hccstats.calibration import approx, lowess


def test_lowess_against_stored_r():
    # R: lowess(x, y, iter = 0 / 3) in make_reference.R; same arithmetic, so 1e-10 is generous
    ref = read_ref("lowess.csv")
    for (case, it), grp in ref.groupby(["case", "iter"]):
        xs, fitted = lowess(grp["x_in"].to_numpy(), grp["y_in"].to_numpy(float), iter=int(it))
        np.testing.assert_allclose(xs, grp["x"].to_numpy(), rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            fitted, grp["fitted"].to_numpy(), rtol=0, atol=1e-10, err_msg=f"case {case} iter {it}"
        )


@pytest.mark.r
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lowess_against_live_r(seed):
    from hccstats.rbridge.rms_validation import lowess_r

    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 300))
    x = np.round(rng.random(n), seed)  # seed 1: many ties
    y = rng.normal(size=n)
    for it in (0, 2):
        rx, ry = lowess_r(x, y, iter=it)
        xs, fitted = lowess(x, y, iter=it)
        np.testing.assert_allclose(fitted, ry, rtol=0, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(3, 80), st.floats(-50, 50), st.floats(0.01, 10), st.floats(-5, 5), st.floats(-5, 5)
)
def test_lowess_reproduces_a_line_invariant(n, start, step, a, b):
    # a local linear fit of points on a line is the line itself (evenly spaced x, so every
    # neighbourhood is spread out enough for clowess to fit a slope)
    x = start + step * np.arange(n)
    xs, fitted = lowess(x[::-1], a + b * x[::-1], iter=0)
    np.testing.assert_allclose(
        fitted, a + b * xs, atol=1e-8 * (1 + abs(a) + abs(b) * (abs(start) + step * n))
    )


def test_approx_rule1_and_ties_against_r_semantics():
    # R: approx(c(1, 2, 2, 3), c(0, 1, 3, 4), xout = c(0.5, 1.5, 2, 3, 3.5), ties = mean)
    #    -> NA 1.0 2.0 4.0 NA ; ties = function(x) x[1] -> NA 0.5 1.0 4.0 NA
    out = approx([1, 2, 2, 3], [0, 1, 3, 4], [0.5, 1.5, 2, 3, 3.5])
    np.testing.assert_allclose(out, [np.nan, 1.0, 2.0, 4.0, np.nan])
    out = approx([1, 2, 2, 3], [0, 1, 3, 4], [0.5, 1.5, 2, 3, 3.5], ties="first")
    np.testing.assert_allclose(out, [np.nan, 0.5, 1.0, 4.0, np.nan])


def test_lowess_bad_input_names_argument():
    with pytest.raises(InputError, match="^y"):
        lowess([1, 2, 3], [1, np.nan, 2])
    with pytest.raises(InputError, match="mismatched"):
        lowess([1, 2, 3], [1, 2])
    with pytest.raises(InputError, match="^f"):
        lowess([1, 2, 3], [1, 2, 3], f=0)


def test_lowess_python_fallback_matches_compiled_against_stored_r():
    # without numba the same functions run as plain Python: check that path on R's case 1
    from hccstats._jit import HAVE_NUMBA
    from hccstats.calibration import _lowess

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: the whole suite already runs the Python path")
    ref = read_ref("lowess.csv")
    grp = ref[(ref["case"] == 1) & (ref["iter"] == 3)]
    x = grp["x"].to_numpy()  # sorted already
    y = grp["y_in"].to_numpy(float)[np.argsort(grp["x_in"].to_numpy(), kind="stable")]
    out = np.empty(len(x))
    _lowess._clowess.py_func(x, y, 2.0 / 3.0, 3, 0.01 * (x[-1] - x[0]), out)
    np.testing.assert_allclose(out, grp["fitted"].to_numpy(), atol=1e-10)
    rw = np.ones(len(x))
    for unit in (True, False):  # the first pass (weights 1, not read) and later ones
        v_py, ok_py = _lowess._lowest.py_func(x, y, rw, x[3], 0, 15, unit)
        v_jit, ok_jit = _lowess._lowest(x, y, rw, x[3], 0, 15, unit)
        assert ok_py and ok_jit and v_py == pytest.approx(v_jit, abs=1e-13)


def _resample_curves(seed, n, rounding):
    """smooth_boot_at's two curves for one random resample, and its inputs."""
    from hccstats.calibration._lowess import smooth_boot_at

    rng = np.random.default_rng(seed)
    prob = np.round(rng.beta(2, 5, n), rounding)  # rounding: ties between patients
    y = (rng.random(n) < prob).astype(float)
    counts = np.bincount(rng.integers(0, n, n), minlength=n)
    grid = np.linspace(np.quantile(prob, 0.05), np.quantile(prob, 0.95), 50)
    train = np.empty((1, 50))
    test = np.empty((1, 50))
    order = np.argsort(prob)[None, :]
    smooth_boot_at(prob[None, :], order, y, counts[None, :], grid, train, test)
    return prob, y, counts, grid, train[0], test[0]


@pytest.mark.parametrize("seed, n, rounding", [(1, 300, 3), (2, 1000, 12), (3, 57, 1)])
def test_training_curve_over_distinct_patients_equals_curve_of_copies(seed, n, rounding):
    # the training curve runs over the patients in the resample, weighted by their counts;
    # clowess on the resample itself (each patient repeated) is the reference: same window of
    # copies, same anchors, same sums up to the order of the additions
    prob, y, counts, grid, train, test = _resample_curves(seed, n, rounding)
    xs, fitted = lowess(np.repeat(prob, counts), np.repeat(y, counts), iter=0)
    want = approx(xs, fitted, grid, ties="first")
    np.testing.assert_allclose(train, want, rtol=0, atol=1e-12)
    xs, fitted = lowess(prob, y, iter=0)
    np.testing.assert_allclose(test, approx(xs, fitted, grid, ties="first"), rtol=0, atol=1e-12)


@pytest.mark.r
@pytest.mark.parametrize("seed, rounding", [(4, 2), (5, 12)])
def test_training_curve_over_distinct_patients_against_live_r(seed, rounding):
    # R: approx(lowess(rep(p, counts), rep(y, counts), iter = 0), xout = grid, ties = first),
    # as rms's calibrate computes the training curve of a resample
    from hccstats.rbridge import run

    prob, y, counts, grid, train, _ = _resample_curves(seed, 400, rounding)
    want = run(
        "approx(lowess(rep(p, k), rep(y, k), iter = 0), xout = g, ties = function(v) v[1])$y",
        p=prob,
        y=y,
        k=counts.astype(float),
        g=grid,
    )
    np.testing.assert_allclose(train, want, rtol=0, atol=1e-10)


def test_sort_keys_order_risks_and_the_near_ties_are_mended():
    # calibrate sorts int64 keys (a risk's bits, its index in the low bits) instead of an
    # argsort; risks within 2**bits ulp of each other then come in index order and are mended
    from hccstats.calibration._lowess import (
        _mend_order,
        index_bits,
        risk_sort_keys,
        smooth_boot_at,
    )

    rng = np.random.default_rng(8)
    n = 600
    bits = index_bits(n)
    assert bits == 10 and index_bits(1024) == 10 and index_bits(1025) == 11
    prob = rng.beta(2, 5, (3, n))
    # near ties: pairs a few ulp apart, the larger one first by index
    prob[:, 1:200:2] = prob[:, 0:200:2]
    prob[:, 0:200:2] = np.nextafter(prob[:, 0:200:2], 1.0) + 3 * np.spacing(prob[:, 0:200:2])
    prob[:, 300:310] = 0.25  # exact ties
    keys = risk_sort_keys(prob, bits)
    keys.sort(axis=1)
    for b in range(3):
        perm = keys[b] & ((1 << bits) - 1)
        xs = prob[b][perm]
        assert (np.diff(xs) < 0).any()  # not sorted before mending
        _mend_order(xs, perm)
        assert (np.diff(xs) >= 0).all()
        np.testing.assert_array_equal(np.sort(perm), np.arange(n))
        np.testing.assert_array_equal(xs, prob[b][perm])
    y = (rng.random(n) < 0.3).astype(float)
    counts = np.vstack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(3)])
    grid = np.linspace(0.05, 0.6, 50)
    out = [np.empty((3, 50)) for _ in range(4)]
    smooth_boot_at(prob, np.argsort(prob, axis=1), y, counts, grid, out[0], out[1])
    smooth_boot_at(prob, keys, y, counts, grid, out[2], out[3], bits)
    np.testing.assert_allclose(out[2], out[0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(out[3], out[1], rtol=0, atol=1e-14)
