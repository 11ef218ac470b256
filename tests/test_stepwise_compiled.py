"""The compiled forward-LR selection of a bootstrap resample (numba: ``_select_compiled.py``, and
the compiled pass of the removal bounds) against the numpy path that runs without numba: the
same bounds to rounding, the same steps and fits, and the same selections and optimism tables
when the selection is repeated in bootstrap resamples. The numbers of the installed path are
checked against R in test_stepwise.py and test_validate_selection.py; here the other path is
held to it."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.special import chdtrc
from test_logistic_data import BIRTHWT_CANDIDATES, birthwt
from test_stepwise_resample import _design, noisy_cohort

import hccstats as hs
from hccstats._jit import HAVE_NUMBA
from hccstats.logistic import _stepwise
from hccstats.logistic._candidates import candidate_requires, expand_candidates
from hccstats.logistic._select_fit import fit_weighted, removal_lr_bounds
from hccstats.logistic._select_newton import chi2_sf

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed: one path only")


@pytest.fixture(autouse=True)
def _compiled_on_small_data(monkeypatch):
    """The compiled selection on these small data sets too (it runs from 1000 rows)."""
    monkeypatch.setattr(_stepwise, "COMPILED_MIN_ROWS", 0)


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
    fast = hs.validate(sw, B=60, seed=4, n_jobs=2)
    monkeypatch.setattr(_stepwise, "COMPILED", False)
    monkeypatch.setattr(
        _stepwise, "removal_lr_bounds", functools.partial(removal_lr_bounds, compiled=False)
    )
    slow = hs.validate(sw, B=60, seed=4)
    assert fast.retained.equals(slow.retained)
    assert fast.n_failed == slow.n_failed
    np.testing.assert_allclose(fast.table.to_numpy(), slow.table.to_numpy(), rtol=1e-12, atol=1e-13)


def test_chi2_upper_tail_against_scipy_chdtrc():
    """The compiled closed forms of the chi-squared upper tail (integer df) against
    scipy.special.chdtrc: equal to 1e-12 relative down to tails of 1e-290 (cephes' series
    loses ~1e-13 there), and 0 where chdtrc flushes to 0 (its prefactor below
    exp(-MAXLOG)), so that ties at 0 fall as in the numpy path. Nearer the subnormal range
    only the zeros are compared."""
    x = np.r_[0.0, 1e-300, 1e-12, np.linspace(0.01, 200, 2001), np.linspace(1380, 1480, 401)]
    for df in range(1, 8):
        ours = np.array([chi2_sf(df, v) for v in x])
        ref = chdtrc(df, x)
        assert np.array_equal(ours == 0.0, ref == 0.0)
        normal = ref > 1e-290
        np.testing.assert_allclose(ours[normal], ref[normal], rtol=1e-12)


def _both_paths(monkeypatch, des, blocks, cands, seed, requires=None, **kw):
    rows = np.random.default_rng(seed).integers(0, len(des.y), len(des.y))
    c = np.bincount(rows, minlength=len(des.y)).astype(float)
    u = np.flatnonzero(c)
    args = (des.X[u], des.y[u], blocks, cands)
    fast = _stepwise.select_forward(*args, weights=c[u], requires=requires, **kw)
    with monkeypatch.context() as m:
        m.setattr(_stepwise, "COMPILED", False)
        slow = _stepwise.select_forward(*args, weights=c[u], requires=requires, **kw)
    return fast, slow


def _same_selection(fast, slow):
    assert fast.selected == slow.selected and fast.stopped == slow.stopped
    assert fast.columns == slow.columns
    assert [(r["action"], r["term"], r["df"]) for r in fast.log] == [
        (r["action"], r["term"], r["df"]) for r in slow.log
    ]
    # score statistics from the cross-products vs from the rows: rounding, amplified where a
    # candidate is nearly collinear with the model
    np.testing.assert_allclose(
        [r["statistic"] for r in fast.log], [r["statistic"] for r in slow.log], rtol=1e-9
    )
    np.testing.assert_allclose(fast.core.coef, slow.core.coef, rtol=1e-10, atol=1e-12)
    assert fast.core.loglik == pytest.approx(slow.core.loglik, rel=1e-13)
    assert fast.core.converged == slow.core.converged


@pytest.mark.parametrize("seed", range(12))
def test_selection_compiled_against_numpy_birthwt(monkeypatch, seed):
    """A factor (race: one block of two columns) among the candidates, entry 0.10 and removal
    0.15 on bootstrap resamples of birthwt: the same steps, statistics and final fit."""
    des, blocks = _design(birthwt(), "low", BIRTHWT_CANDIDATES)
    fast, slow = _both_paths(
        monkeypatch, des, blocks, BIRTHWT_CANDIDATES, seed, entry=0.10, removal=0.15
    )
    _same_selection(fast, slow)


def test_selection_compiled_against_numpy_with_removals_and_interactions(monkeypatch):
    """Resamples whose selections remove terms (noisy_cohort), and an interaction that may
    enter only after its main effects and keeps them in: the same steps from both paths."""
    d = noisy_cohort(3)
    raw = ["x0 * x1", "x2", "x3", "x4"]
    cands = expand_candidates(raw, d.columns)
    requires = candidate_requires(cands, d.columns)
    assert requires  # the interaction's main effects
    des, blocks = _design(d, "y", cands)
    removed = 0
    for seed in range(30):
        fast, slow = _both_paths(
            monkeypatch, des, blocks, cands, seed, requires=requires, entry=0.10, removal=0.15
        )
        _same_selection(fast, slow)
        removed += sum(r["action"] == "remove" for r in fast.log)
    assert removed > 0


@pytest.mark.parametrize("kind", ["fractional", "large counts"])
def test_selection_compiled_against_numpy_with_other_weights(monkeypatch, kind):
    """Frequency weights that are not small whole counts (the log-likelihood's logarithms
    then taken per row, not by the running product): the same steps and fit."""
    d = noisy_cohort(3)
    cands = [f"x{i}" for i in range(8)]
    des, blocks = _design(d, "y", cands)
    rng = np.random.default_rng(7)
    w = rng.random(len(d)) * 3 if kind == "fractional" else rng.integers(1, 30, len(d)) * 1.0
    args = (des.X, des.y, blocks, cands)
    fast = _stepwise.select_forward(*args, entry=0.10, removal=0.15, weights=w)
    monkeypatch.setattr(_stepwise, "COMPILED", False)
    slow = _stepwise.select_forward(*args, entry=0.10, removal=0.15, weights=w)
    _same_selection(fast, slow)
