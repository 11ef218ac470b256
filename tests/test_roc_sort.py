"""The fast sorting permutation behind every ROC curve against numpy's stable argsort."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hccstats.discrimination._sort import sort_order


def _check(x: np.ndarray) -> None:
    order, v = sort_order(x)
    assert sorted(order.tolist()) == list(range(x.size))  # a permutation
    np.testing.assert_array_equal(v, x[order])
    np.testing.assert_array_equal(v, np.sort(x))  # sorted (ties may come in any order)


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        np.float64, st.integers(0, 300), elements=st.floats(allow_nan=False, allow_infinity=False)
    )
)
def test_sorts_any_finite_floats(x):
    _check(x)


def test_values_alike_to_the_last_bits_are_put_in_order():
    # neighbours 1 ulp apart share every bit the packed key keeps: the repair orders them
    rng = np.random.default_rng(0)
    base = rng.normal(size=5000)
    x = np.concatenate([base, np.nextafter(base, np.inf), np.nextafter(base, -np.inf), [0.0, -0.0]])
    rng.shuffle(x)
    _check(x)


def test_many_values_alike_fall_back_to_argsort():
    x = 1.0 + np.arange(200_000) * np.finfo(float).eps  # all share their high bits
    np.random.default_rng(1).shuffle(x)
    _check(x)


def test_ties_come_in_index_order():
    x = np.array([3.0, 1.0, 3.0, 1.0, 2.0, 1.0])
    order, _ = sort_order(x)
    assert order.tolist() == [1, 3, 5, 4, 0, 2]
