"""hccstats.rbridge.stats (the report's R cross-check) against hccstats's own numbers.

Both sides are live: these tests check that the cross-check recomputes the same
quantities in R (glm, MASS, rms, car, add1/drop1) and returns them in hccstats's shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_logistic_data import BIRTHWT_CANDIDATES, BIRTHWT_FORMULA, birthwt

import hccstats as hs

pytestmark = pytest.mark.r
RTOL = 1e-8  # same optimum on both sides (R restarted at its own estimates)


@pytest.mark.parametrize("method", ["wald", "profile"])
def test_odds_ratios_against_rbridge_glm(method):
    from hccstats.rbridge import stats as rstats

    fit = hs.lrm("low ~ age + np.log(lwt) + race + smoke", birthwt())
    ours = fit.odds_ratios(method=method)
    ref = rstats.glm_odds_ratios(fit, method=method)
    assert list(ref["term"]) == list(ours["term"])
    np.testing.assert_allclose(
        ours[["estimate", "ci_low", "ci_high", "p_value"]],
        ref[["estimate", "ci_low", "ci_high", "p_value"]],
        rtol=RTOL,
    )


def test_model_stats_against_rbridge_rms():
    from hccstats.rbridge import stats as rstats

    fit = hs.lrm(BIRTHWT_FORMULA, birthwt())
    st = rstats.lrm_stats(fit)
    for k in ("lr_chi2", "R2", "df", "n"):
        np.testing.assert_allclose(fit.stats[k], st[k], rtol=1e-8, err_msg=k)
    np.testing.assert_allclose(fit.stats["C"], st["somers2_C"], rtol=1e-12)


def test_univariate_against_rbridge_glm():
    from hccstats.rbridge import stats as rstats

    d = birthwt()
    d.loc[[2, 5], "age"] = np.nan
    kw = dict(per={"lwt": 10, "age": "sd"}, ci_method="profile", test="lr")
    ours = hs.univariate(d, "low", ["age", "lwt", "race"], nan_policy="omit", **kw).to_frame()
    ref = rstats.univariate_r(d, "low", ["age", "lwt", "race"], **kw)
    np.testing.assert_allclose(
        ours[["estimate", "ci_low", "ci_high", "p_value", "n"]],
        ref[["estimate", "ci_low", "ci_high", "p_value", "n"]],
        rtol=RTOL,
    )
    assert list(ref["term"]) == ["age", "lwt", "raceblack", "raceother"]


def test_vif_against_rbridge_car():
    from hccstats.rbridge import stats as rstats

    d = birthwt()
    for outcome in (None, "low"):
        ours = hs.vif(d, ["age", "lwt", "race", "smoke"], outcome=outcome).to_frame()
        ours = ours.set_index("term")
        ref = (
            rstats.vif_r(d, ["age", "lwt", "race", "smoke"], outcome=outcome)
            .set_index("term")
            .loc[ours.index]
        )
        np.testing.assert_allclose(
            ours[["vif", "df", "gvif_adj"]], ref[["vif", "df", "gvif_adj"]], rtol=RTOL
        )


def test_forward_lr_against_rbridge_loop():
    from hccstats.rbridge import stats as rstats

    d = birthwt()
    sw = hs.forward_lr(d, "low", BIRTHWT_CANDIDATES, entry=0.10, removal=0.10)
    ref = rstats.forward_lr_r(d, "low", BIRTHWT_CANDIDATES, entry=0.10, removal=0.10)
    assert list(ref["steps"]["term"]) == list(sw.steps["term"]) and ref["selected"] == sw.selected
    # R's add1 refits without a start: ~1e-8 in its statistics (see test_stepwise.py)
    np.testing.assert_allclose(sw.steps["statistic"], ref["steps"]["statistic"], rtol=1e-7)
