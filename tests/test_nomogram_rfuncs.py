"""R's pretty(), format(), seq(length.out) and approx() as the native nomogram uses them.

Oracle: R 4.2.2 live (``@pytest.mark.r``); invariants with hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstats.nomograms._rfuncs import r_approx, r_format, r_pretty, r_seq_length

ranges = st.tuples(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(1e-4, 1e6, allow_nan=False, allow_infinity=False),
    st.integers(2, 12),
)


@pytest.mark.r
def test_pretty_against_r_live():
    from hccstats import rbridge

    rng = np.random.default_rng(7)
    lo = rng.normal(size=300) * 10.0 ** rng.integers(-4, 5, 300)
    hi = lo + np.abs(rng.normal(size=300)) * 10.0 ** rng.integers(-4, 5, 300)
    n = rng.integers(2, 13, 300)
    lo = np.r_[lo, 0.3, 0, 14, -4.1, 0.0123, 5, 0]
    hi = np.r_[hi, 0.7, 100, 45, 2.01, 0.987, 5, 0]
    n = np.r_[n, 10, 10, 10, 10, 10, 10, 10]
    expected = rbridge.run(
        "lapply(seq_along(lo), function(i) pretty(c(lo[i], hi[i]), n = nn[i]))", lo=lo, hi=hi, nn=n
    )
    for a, b, k, r in zip(lo, hi, n, expected):
        # exact: the same floating-point operations as R's C code
        np.testing.assert_array_equal(
            r_pretty([a, b], int(k)), np.atleast_1d(r), err_msg=f"pretty({a}, {b}, n={k})"
        )


@pytest.mark.r
def test_format_against_r_live():
    from hccstats import rbridge

    rng = np.random.default_rng(3)
    values = np.r_[
        rng.normal(size=200) * 10.0 ** rng.integers(-6, 8, 200),
        100000,
        1e5 + 1,
        0.1,
        0.30000000000000004,
        1e-5,
        123456789,
        0.5,
        45,
        -3.5,
        1e15,
        0.05,
        2.5e-7,
    ]
    expected = rbridge.run("sapply(v, format)", v=values)
    assert [r_format(v) for v in values] == list(expected)


@pytest.mark.r
def test_seq_and_approx_against_r_live():
    from hccstats import rbridge

    s = rbridge.run("seq(-4.25, 2.5, length = 1000)")
    np.testing.assert_array_equal(r_seq_length(-4.25, 2.5, 1000), s)
    x = np.linspace(-3, 3, 50)
    fat = np.array([0.01, 0.1, 0.5, 0.9, 0.99, 0.999])
    r = rbridge.run("approx(plogis(x), x, fat, ties = mean)$y", x=x, fat=fat)
    np.testing.assert_allclose(
        r_approx(1 / (1 + np.exp(-x)), x, fat), r, rtol=0, atol=1e-12, equal_nan=True
    )


@settings(max_examples=200, deadline=None)
@given(ranges)
def test_pretty_invariants(case):
    lo, width, n = case
    hi = lo + width
    p = r_pretty([lo, hi], n)
    # covers the range, equally spaced in a 1-2-5 x 10^k step, about n intervals
    assert p[0] <= lo + 1e-10 * abs(width) + 1e-300 and p[-1] >= hi - 1e-10 * abs(width)
    steps = np.diff(p)
    # floating error of seq(): a few ulps of the largest value
    assert np.allclose(steps, steps[0], rtol=1e-9, atol=64 * np.spacing(np.abs(p).max()))
    step = (p[-1] - p[0]) / (len(p) - 1)
    scale = 10.0 ** np.floor(np.log10(step))
    tol = 1e-9 + 64 * np.spacing(np.abs(p).max()) / scale
    assert min(abs(step / scale - m) for m in (1, 2, 5, 10)) < tol
    assert n // 3 <= len(p) - 1 <= 2 * n + 2


def test_approx_outside_range_is_nan():
    out = r_approx([0, 1, 1, 2], [0, 1, 3, 4], [-1, 0.5, 1, 2.5])
    # ties = mean: the two y at x = 1 average to 2
    assert np.isnan(out[0]) and np.isnan(out[3])
    assert out[1] == pytest.approx(1.0) and out[2] == pytest.approx(2.0)
