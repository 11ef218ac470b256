"""univariate() against one glm per predictor in R (live and stored), and OR-scaling invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_logistic_data import BIRTHWT_CANDIDATES, GLM, INFERT_CANDIDATES, REF, birthwt, infert

import hccstats as hs
from hccstats import InputError

RTOL = 1e-8  # glm iterated to its fixed point vs Newton to rounding level: agree to ~1e-12
PER = {"age": "sd", "lwt": 10}


def _ours(ci_method, test):
    return hs.univariate(
        birthwt(), "low", BIRTHWT_CANDIDATES, per=PER, ci_method=ci_method, test=test
    ).to_frame()


@pytest.mark.parametrize("ci_method", ["wald", "profile"])
def test_univariate_against_stored_glm(ci_method):
    ref = pd.read_csv(REF / "univariate_birthwt.csv")
    ours = _ours(ci_method, "wald")
    assert list(ours["predictor"]) == list(ref["predictor"])
    np.testing.assert_allclose(ours["estimate"], ref["or"], rtol=RTOL)
    np.testing.assert_allclose(ours["ci_low"], ref[f"{ci_method}_low"], rtol=RTOL)
    np.testing.assert_allclose(ours["ci_high"], ref[f"{ci_method}_high"], rtol=RTOL)
    np.testing.assert_allclose(ours["p_value"], ref["p_wald"], rtol=RTOL)
    np.testing.assert_allclose(ours["per"].fillna(1.0), ref["per"], rtol=1e-12)
    lr = _ours("wald", "lr")
    np.testing.assert_allclose(lr["p_value"], ref["p_lr"], rtol=RTOL)
    race = ours[ours["predictor"] == "race"]
    assert list(race["level"]) == ["black", "other"] and set(race["reference"]) == {"white"}
    assert (ours["n"] == 189).all() and (ours["events"] == 59).all()


LIVE = {
    "birthwt": (birthwt, "low", ["lwt", "race"], "lwt"),
    "infert": (infert, "case", INFERT_CANDIDATES, "age"),
}


@pytest.mark.r
@pytest.mark.parametrize("name", LIVE)
def test_univariate_against_glm(name):
    from hccstats import rbridge

    make, outcome, preds, scaled = LIVE[name]
    d = make()
    d.loc[[3, 17], scaled] = np.nan  # rows dropped in that model only
    ours = hs.univariate(
        d, outcome, preds, per={scaled: 0.5}, ci_method="profile", test="lr", nan_policy="omit"
    ).to_frame()
    ref = rbridge.run(
        f"""out <- list()
        for (v in preds) {{
          g <- {GLM.format(f="reformulate(v, outcome)")}
          per <- if (v == scaled) 0.5 else 1
          ci <- suppressWarnings(suppressMessages(confint(g)))[-1, , drop = FALSE]
          out[[v]] <- cbind(exp(per * coef(g)[-1]), exp(per * ci), anova(g, test = "Chisq")[["Pr(>Chi)"]][2], nobs(g))
        }}
        do.call(rbind, out)""",
        d=d,
        preds=np.asarray(preds, dtype=object),
        outcome=outcome,
        scaled=scaled,
    )
    np.testing.assert_allclose(
        ours[["estimate", "ci_low", "ci_high", "p_value", "n"]].to_numpy(), ref, rtol=RTOL
    )


@settings(max_examples=30, deadline=None)
@given(
    per=st.floats(0.01, 50).filter(lambda v: abs(v - 1) > 1e-3) | st.floats(-20, -0.05),
    seed=st.integers(0, 1000),
)
def test_or_per_scaling_is_or_to_the_power_per(per, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, 80)
    y = (rng.random(80) < 1 / (1 + np.exp(-(x - 50) / 10))).astype(int)
    d = pd.DataFrame({"y": y, "x": x})
    one = hs.univariate(d, "y", ["x"]).to_frame().iloc[0]
    scaled = hs.univariate(d, "y", ["x"], per=per).to_frame().iloc[0]
    np.testing.assert_allclose(scaled["estimate"], one["estimate"] ** per, rtol=1e-9)
    lo, hi = sorted((one["ci_low"] ** per, one["ci_high"] ** per))
    np.testing.assert_allclose([scaled["ci_low"], scaled["ci_high"]], [lo, hi], rtol=1e-9)
    assert scaled["p_value"] == one["p_value"]
    # the same as rescaling the column itself
    rescaled = hs.univariate(d.assign(x=d["x"] / per), "y", ["x"]).to_frame().iloc[0]
    np.testing.assert_allclose(rescaled["estimate"], scaled["estimate"], rtol=1e-8)


def test_univariate_bad_input():
    d = birthwt()
    with pytest.raises(InputError, match="per\\['lwt'\\]"):
        hs.univariate(d, "low", ["lwt"], per={"lwt": "iqr"})
    with pytest.raises(InputError, match="per"):
        hs.univariate(d, "low", ["lwt"], per={"bwt2": 2})
    with pytest.raises(InputError, match="'nope'"):
        hs.univariate(d, "low", ["nope"])
    with pytest.raises(InputError, match="ci_method"):
        hs.univariate(d, "low", ["lwt"], ci_method="exact")
    with pytest.raises(InputError, match="constant"):
        hs.univariate(d.assign(k=1), "low", ["k"])


def test_univariate_result_prints_its_table():
    """The result prints like R's coefficient table and hands out its unrounded table."""
    res = hs.univariate(birthwt(), "low", ["lwt", "race"], per={"lwt": 10})
    frame = res.to_frame()
    assert isinstance(res, hs.Univariate) and len(res) == len(frame) == 3
    text = repr(res)
    assert "Univariable logistic regression: low ~ x" in text and "lwt (per 10)" in text
    for v in frame["estimate"]:
        assert f"{v:.4f}" in text
    frame.loc[0, "estimate"] = -1.0  # a copy: the result is unchanged
    assert res.to_frame().loc[0, "estimate"] > 0
