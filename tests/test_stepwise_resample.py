"""The forward-LR selection as repeated in bootstrap resamples: frequency weights on the distinct
rows, and removal tests that skip the refit where a lower bound on the LR statistic already
excludes the removal (hccstats/logistic/_select_fit.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_logistic_data import BIRTHWT_CANDIDATES, birthwt

import hccstats as hs
from hccstats._jit import HAVE_NUMBA
from hccstats.logistic import _stepwise
from hccstats.logistic._design import build_design
from hccstats.logistic._fit import fit_logistic
from hccstats.logistic._select_fit import fit_weighted, removal_lr_bounds
from hccstats.logistic._stepwise import candidate_blocks, select_forward


def _design(d, outcome, cands):
    des = build_design(f"{outcome} ~ " + " + ".join(cands), d)
    return des, candidate_blocks(des, cands)


def _select_in_resample(des, blocks, cands, seed, **kw):
    """select_forward on bootstrap resample ``seed``: its distinct rows and their counts, and
    the resample's row indices."""
    rows = np.random.default_rng(seed).integers(0, len(des.y), len(des.y))
    c = np.bincount(rows, minlength=len(des.y)).astype(float)
    u = np.flatnonzero(c)
    return select_forward(des.X[u], des.y[u], blocks, cands, weights=c[u], **kw), rows


def noisy_cohort(seed: int, n: int = 300, k: int = 8) -> pd.DataFrame:
    """Two real predictors among ``k`` standard-normal candidates, and a third that mixes them:
    it tends to enter first and to leave once both have entered (removals happen)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    X[:, 2] = 0.7 * X[:, 0] + 0.7 * X[:, 1] + 0.3 * X[:, 2]
    lp = -0.3 + 0.5 * X[:, 0] + 0.5 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(k)]).assign(y=y)


@pytest.mark.parametrize("compiled", [False, True] if HAVE_NUMBA else [False])
@pytest.mark.parametrize("weighted", [False, True])
def test_removal_lr_bounds_against_refits_by_fit_logistic(weighted, compiled):
    """Every bound lies below the LR statistic of refitting the reduced model (fit_logistic,
    the rows repeated by their counts), and is close to it (within the Wald/LR difference);
    with numba (one compiled pass) and without (vectorised)."""
    d = birthwt()
    des, blocks = _design(d, "low", BIRTHWT_CANDIDATES)
    rng = np.random.default_rng(5)
    c = np.bincount(rng.integers(0, len(d), len(d)), minlength=len(d)).astype(float)
    c = c if weighted else np.ones(len(d))
    rows = np.flatnonzero(c)
    X, y, w = des.X[rows], des.y[rows], c[rows]
    rep = np.repeat(rows, c[rows].astype(int))
    terms = list(blocks)
    cols = [0] + [int(j) for t in terms for j in blocks[t]]
    full = fit_weighted(X[:, cols], y, w)
    positions, pos = [], 1
    for t in terms:
        positions.append(np.arange(pos, pos + len(blocks[t])))
        pos += len(blocks[t])
    bounds = removal_lr_bounds(X[:, cols], y, w, full, positions, compiled=compiled)
    exact = []
    for t in terms:
        rest = [0] + [int(j) for u in terms if u != t for j in blocks[u]]
        exact.append(
            2
            * (
                fit_logistic(des.X[rep][:, cols], des.y[rep]).loglik
                - fit_logistic(des.X[rep][:, rest], des.y[rep]).loglik
            )
        )
    exact = np.array(exact)
    # the full model's log-likelihood agrees with fit_logistic's on the repeated rows
    assert full.loglik == pytest.approx(
        fit_logistic(des.X[rep][:, cols], des.y[rep]).loglik, rel=1e-12
    )
    assert np.all(bounds <= exact + 1e-8)
    big = exact > 4
    assert big.any() and np.all(bounds[big] > 0.5 * exact[big])


def test_weighted_selection_against_forward_lr_on_repeated_rows():
    """select_forward on the distinct rows with their counts = forward_lr on the resample
    itself (rows repeated): the same steps, statistics to 1e-9."""
    d = birthwt()
    des, blocks = _design(d, "low", BIRTHWT_CANDIDATES)
    for seed in range(8):
        sel, rows = _select_in_resample(
            des, blocks, BIRTHWT_CANDIDATES, seed, entry=0.05, removal=0.10
        )
        ref = hs.forward_lr(d.iloc[rows].reset_index(drop=True), "low", BIRTHWT_CANDIDATES)
        assert sel.selected == ref.selected
        ours = pd.DataFrame(sel.log, columns=ref.steps.columns)
        assert list(ours["term"]) == list(ref.steps["term"])
        np.testing.assert_allclose(ours["statistic"], ref.steps["statistic"], rtol=1e-9)


def test_selection_with_bounds_against_refitting_every_reduced_model(monkeypatch):
    """The bounds only skip refits: with them disabled (every reduced model refitted), the
    selections of 40 resamples, removals included, are the same, step by step."""
    d = noisy_cohort(3)
    cands = [f"x{i}" for i in range(8)]
    des, blocks = _design(d, "y", cands)

    def run():
        out = []
        for seed in range(40):
            s, _ = _select_in_resample(des, blocks, cands, seed, entry=0.10, removal=0.15)
            out.append((s.selected, s.log, s.core.loglik))
        return out

    monkeypatch.setattr(_stepwise, "COMPILED", False)  # the numpy path's bounds
    fast = run()
    monkeypatch.setattr(
        _stepwise, "removal_lr_bounds", lambda X, y, c, cur, pos: np.zeros(len(pos))
    )
    slow = run()
    assert any(r["action"] == "remove" for _, log, _ in slow for r in log)  # removals exercised
    for (s1, l1, ll1), (s2, l2, ll2) in zip(fast, slow):
        assert s1 == s2 and [r["term"] for r in l1] == [r["term"] for r in l2]
        np.testing.assert_allclose(
            [r["statistic"] for r in l1], [r["statistic"] for r in l2], rtol=1e-9
        )
        assert ll1 == pytest.approx(ll2, rel=1e-12)


def test_score_tests_when_the_model_information_is_singular_against_projection():
    """Near separation the weights p(1 - p) of some rows vanish and X1' W X1 is singular to
    rounding (a bootstrap resample of the demo cohort did this): the score statistics are
    then those of the weighted least-squares projection (a pseudo-inverse, computed here
    independently), not an error."""
    from hccstats.logistic._fit import CoreFit
    from hccstats.logistic._stepwise import score_tests

    rng = np.random.default_rng(3)
    n = 60
    dummy = (rng.permutation(n) < 10).astype(float)  # rows whose fitted risk is 1: weight 0
    X1 = np.column_stack([np.ones(n), dummy])
    Z = rng.normal(size=(n, 3))
    p = np.where(dummy == 1, 1.0, rng.uniform(0.2, 0.8, n))
    y = np.where(dummy == 1, 1.0, (rng.uniform(size=n) < p).astype(float))
    core = CoreFit(np.zeros(2), np.eye(2), 0.0, 0.0, p, True, 1, np.zeros(2))
    blocks = [np.array([0]), np.array([1, 2])]
    stats, dfs = score_tests(X1, core, y, Z, blocks)
    w = p * (1 - p)
    H = np.sqrt(w)[:, None] * X1
    P = H @ np.linalg.pinv(H)  # projection on the span of W^1/2 X1 (rank 1 here)
    Zr = np.sqrt(w)[:, None] * Z - P @ (np.sqrt(w)[:, None] * Z)
    u = Z.T @ (y - p)
    expect0 = u[0] ** 2 / (Zr[:, 0] @ Zr[:, 0])
    V = Zr[:, 1:].T @ Zr[:, 1:]
    expect1 = u[1:] @ np.linalg.solve(V, u[1:])
    # the same algebra through a QR instead of a pseudo-inverse: rounding only
    np.testing.assert_allclose(stats, [expect0, expect1], rtol=1e-9)
    assert list(dfs) == [1, 2]
