"""Invariants of the stratified random split (hypothesis) and its worked example."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstats.study._split import random_split


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.tuples(st.integers(0, 1), st.sampled_from("ABC")), min_size=1, max_size=120),
    ratio=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_split_invariants(labels, ratio, seed):
    strata = pd.DataFrame(labels, columns=["y", "centre"])
    split = random_split(strata, ratio, seed)
    n = len(strata)
    train = split == "training"
    # total fixed by the ratio; every stratum within one patient of its share; deterministic
    assert train.sum() == int(np.floor(ratio * n + 0.5))
    for _, idx in strata.groupby(["y", "centre"]).groups.items():
        assert abs(train[idx].sum() - ratio * len(idx)) < 1.0 + 1e-9
    assert split.equals(random_split(strata, ratio, seed))
    assert set(split) <= {"training", "validation"}


def test_random_split_worked_example():
    # 10 patients, strata of 6 (y=0) and 4 (y=1); ratio 0.7: floor(7.5) = 7 training,
    # shares 4.2 and 2.8 -> 4 + 3 (the larger remainder, 0.8, gets the extra patient).
    strata = pd.DataFrame({"y": [0] * 6 + [1] * 4})
    split = random_split(strata, 0.7, seed=1)
    assert (split[:6] == "training").sum() == 4
    assert (split[6:] == "training").sum() == 3


def test_random_split_without_strata():
    split = random_split(pd.DataFrame(index=range(285)), 0.7, seed=2023)
    assert (split == "training").sum() == 200
