"""The report's R recomputations (hccstats.rbridge.report_checks): memoised on content.

Oracle: R itself, live through hccstats.rbridge.run (stats::glm, pROC). The memo must never
hand one data set's result to another, even when Python reuses an object's id.
"""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from hccstats.rbridge import report_checks as rc
from hccstats.rbridge import run


def _frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=80)
    y = (rng.random(80) < 1 / (1 + np.exp(-(0.3 + 0.9 * x)))).astype(float)
    return pd.DataFrame({"y": y, "x": x})


def _r_or(d: pd.DataFrame) -> float:
    return float(run("unname(exp(coef(glm(y ~ x, data = d, family = binomial)))[2])", d=d))


@pytest.mark.r
def test_glm_or_memo_by_content_against_r_glm():
    """Data freed and replaced (its id free for reuse) gets its own result; equal content hits."""
    rc._MEMO.clear()
    ids, got, want = [], [], []
    for seed in (1, 2, 3):
        d = _frame(seed)
        ids.append(id(d))
        got.append(float(rc.glm_or(d, "y", ["x"]).loc["x", "estimate"]))
        want.append(_r_or(d))  # R's glm on this very data
        del d
        gc.collect()
    # deterministic ML fits: R's convergence epsilon 1e-8 vs 1e-14 here, so 1e-6 relative
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(set(got)) == 3  # three data sets, three results, whatever their ids were
    n = len(rc._MEMO)
    same = _frame(2)  # same content as the second, a new object
    assert float(rc.glm_or(same, "y", ["x"]).loc["x", "estimate"]) == got[1]
    assert len(rc._MEMO) == n  # a cache hit: nothing new computed
    changed = same.copy()
    changed.loc[0, "x"] += 1.0  # one value differs: a new key, R's new answer
    assert rc.content_key("glm", changed) != rc.content_key("glm", same)
    assert float(rc.glm_or(changed, "y", ["x"]).loc["x", "estimate"]) == pytest.approx(
        _r_or(changed), rel=1e-6
    )
    assert len(rc._MEMO) == n + 1


@pytest.mark.r
def test_auc_ci_memo_by_content_against_r_proc():
    """auc_ci (through rbridge.proc) on two score vectors: each its own pROC DeLong AUC."""
    rc._MEMO.clear()
    d = _frame(4)
    y = d["y"].to_numpy()
    a = d["x"].to_numpy()
    b = -a + np.linspace(0, 3, len(a))
    for s in (a, b):
        want = float(
            run(
                "as.numeric(pROC::auc(pROC::roc(y, s, levels = c(0, 1), direction = '<', "
                "quiet = TRUE)))",
                y=y,
                s=s,
            )
        )
        assert rc.auc_ci(y, s)[0] == pytest.approx(want, abs=1e-12)  # same R call: exact
    assert len(rc._MEMO) == 2
    rc.auc_ci(y.copy(), a.copy())  # equal content, other arrays: cached
    assert len(rc._MEMO) == 2
    assert rc.content_key("x", np.array([1.0, 2.0])) != rc.content_key("x", np.array([1, 2]))
