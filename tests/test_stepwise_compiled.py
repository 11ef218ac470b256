"""The compiled pass of the forward-LR removal bounds (numba) against the vectorised numpy path
that runs without numba: the same bounds to rounding, and the same selections and optimism
tables when the selection is repeated in bootstrap resamples. The numbers of the installed
path are checked against R in test_stepwise.py and test_validate_selection.py; here the other
path is held to it."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from test_logistic_data import BIRTHWT_CANDIDATES, birthwt
from test_stepwise_resample import _design, noisy_cohort

import hccstats as hs
from hccstats._jit import HAVE_NUMBA
from hccstats.logistic import _stepwise
from hccstats.logistic._select_fit import fit_weighted, removal_lr_bounds

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed: one path only")


@pytest.mark.parametrize("seed", range(5))
def test_bounds_compiled_against_numpy(seed):
    """Every term's bound, on a bootstrap resample of birthwt, from both paths (rounding of
    differently ordered sums only)."""
    d = birthwt()
    des, blocks = _design(d, "low", BIRTHWT_CANDIDATES)
    c = np.bincount(np.random.default_rng(seed).integers(0, len(d), len(d)), minlength=len(d))
    rows = np.flatnonzero(c)
    cols = [0] + [int(j) for t in blocks for j in blocks[t]]
    X, y, w = des.X[rows][:, cols], des.y[rows], c[rows].astype(float)
    full = fit_weighted(X, y, w)
    positions, pos = [], 1
    for t in blocks:
        positions.append(np.arange(pos, pos + len(blocks[t])))
        pos += len(blocks[t])
    fast = removal_lr_bounds(X, y, w, full, positions, compiled=True)
    slow = removal_lr_bounds(X, y, w, full, positions, compiled=False)
    assert np.all(fast >= 0) and np.any(fast > 1)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)


def test_validate_with_selection_compiled_against_numpy(monkeypatch):
    """validate() with forward LR repeated in 60 resamples (removals among them): the same
    candidates kept in every resample and the same optimism table from both paths."""
    d = noisy_cohort(3)
    sw = hs.forward_lr(d, "y", [f"x{i}" for i in range(8)], entry=0.10, removal=0.15)
    fast = hs.validate(sw, B=60, seed=4)
    monkeypatch.setattr(
        _stepwise, "removal_lr_bounds", functools.partial(removal_lr_bounds, compiled=False)
    )
    slow = hs.validate(sw, B=60, seed=4)
    assert fast.retained.equals(slow.retained)
    assert fast.n_failed == slow.n_failed
    np.testing.assert_allclose(fast.table.to_numpy(), slow.table.to_numpy(), rtol=1e-12, atol=1e-13)
