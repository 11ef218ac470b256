"""hccstats._random: every random draw from an explicit seed, the same draws for the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats._random import bootstrap_indices, derived_seed, generator


def test_bootstrap_indices_repeat_with_the_seed_and_cover_the_rows():
    a = bootstrap_indices(50, 20, seed=3)
    assert a.shape == (20, 50) and a.min() >= 0 and a.max() < 50
    np.testing.assert_array_equal(a, bootstrap_indices(50, 20, seed=3))
    assert not np.array_equal(a, bootstrap_indices(50, 20, seed=4))
    # numpy's documented stream: default_rng(seed).integers(0, n, size=(B, n))
    np.testing.assert_array_equal(a, np.random.default_rng(3).integers(0, 50, size=(20, 50)))


@pytest.mark.parametrize("seed", [None, 1.5, "1", True, -1])
def test_a_missing_negative_or_non_integer_seed_is_refused(seed):
    with pytest.raises(InputError, match=r"seed: expected an integer >= 0 \(the bootstrap draws"):
        generator(seed)
    with pytest.raises(InputError, match="seed"):
        bootstrap_indices(10, 5, seed)


@pytest.mark.parametrize("B", [0, -1, 2.5, True, "10"])
def test_the_number_of_resamples_is_checked(B):
    with pytest.raises(InputError, match="B: expected an integer"):
        bootstrap_indices(10, B, seed=1)


def test_derived_seed_depends_on_the_parts_only():
    seeds = {
        derived_seed(2023, phase, rep, fold)
        for phase in range(3)
        for rep in range(2)
        for fold in range(5)
    }
    assert len(seeds) == 30 and all(0 <= s < 2**31 for s in seeds)
    assert derived_seed(2023, 1, 0, 4) == derived_seed(2023, 1, 0, 4)


def test_every_bootstrap_of_the_library_needs_a_seed():
    y = [0, 1, 1, 0] * 5
    s = np.linspace(0, 1, 20)
    r = hs.roc(y, s, direction="<")
    fit = hs.lrm("y ~ s", pd.DataFrame({"y": y, "s": s}))
    calls = {
        "ci_auc": lambda: hs.ci_auc(r, method="bootstrap", B=10),
        "roc_test": lambda: hs.roc_test(r, r, method="bootstrap", B=10),
        "validate": lambda: hs.validate(fit, B=10),
        "calibrate": lambda: hs.calibrate(fit, B=10),
        "dca": lambda: hs.dca(y, {"s": s}, B=10),
    }
    for name, call in calls.items():
        with pytest.raises(InputError, match="seed"):
            call()
            pytest.fail(f"{name} ran without a seed")
