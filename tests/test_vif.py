"""vif() against car::vif on lm and glm (live and stored), and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_logistic_data import BIRTHWT_CANDIDATES, DATASETS, GLM, INFERT_CANDIDATES, REF, birthwt

import hccstats as hs
from hccstats import InputError

RTOL = 1e-8  # determinants of a small correlation matrix: agree with car to ~1e-13

PREDICTORS = {"birthwt": BIRTHWT_CANDIDATES, "infert": INFERT_CANDIDATES}


@pytest.mark.parametrize("name", DATASETS)
def test_vif_against_stored_car(name):
    make, formula = DATASETS[name]
    d = make()
    ref = pd.read_csv(REF / f"vif_{name}.csv").set_index("term")
    lm = hs.vif(d, PREDICTORS[name]).to_frame().set_index("term").loc[ref.index]
    np.testing.assert_allclose(lm["vif"], ref["lm_gvif"], rtol=RTOL)
    np.testing.assert_allclose(lm["gvif_adj"], ref["lm_gvif_adj"], rtol=RTOL)
    np.testing.assert_allclose(lm["tolerance"], 1 / ref["lm_gvif"], rtol=RTOL)
    assert list(lm["df"]) == list(ref["lm_df"])
    glm = hs.vif(hs.lrm(formula, d)).to_frame().set_index("term").loc[ref.index]
    np.testing.assert_allclose(glm["vif"], ref["glm_gvif"], rtol=RTOL)
    np.testing.assert_allclose(glm["gvif_adj"], ref["glm_gvif_adj"], rtol=RTOL)


@pytest.mark.r
def test_vif_against_car():
    from hccstats import rbridge

    d = birthwt().assign(
        lwt_kg=lambda t: t["lwt"] * 0.4536 + np.sin(np.arange(len(t)))
    )  # near-collinear with lwt
    preds = ["age", "lwt", "lwt_kg", "race", "smoke"]
    ref = rbridge.run("car::vif(lm(low ~ age + lwt + lwt_kg + race + smoke, data = d))", d=d)
    ours = hs.vif(d, preds).to_frame()
    assert list(ours["term"]) == preds
    np.testing.assert_allclose(ours[["vif", "df", "gvif_adj"]].to_numpy(), ref, rtol=RTOL)
    refg = rbridge.run(f"car::vif({GLM.format(f='low ~ age + lwt + lwt_kg + race + smoke')})", d=d)
    oursg = hs.vif(d, preds, outcome="low").to_frame().set_index("term").loc[preds]
    np.testing.assert_allclose(oursg[["vif", "df", "gvif_adj"]].to_numpy(), refg, rtol=RTOL)


@pytest.mark.r
def test_vif_against_car_infert():
    from hccstats import rbridge

    make, formula = DATASETS["infert"]
    d = make()
    ref = rbridge.run(f"car::vif(lm({formula}, data = d))", d=d)
    ours = hs.vif(d, INFERT_CANDIDATES).to_frame()
    np.testing.assert_allclose(ours[["vif", "df", "gvif_adj"]].to_numpy(), ref, rtol=RTOL)
    refg = rbridge.run(f"car::vif({GLM.format(f=formula)})", d=d)
    oursg = hs.vif(hs.lrm(formula, d)).to_frame().set_index("term").loc[INFERT_CANDIDATES]
    np.testing.assert_allclose(oursg[["vif", "df", "gvif_adj"]].to_numpy(), refg, rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rho=st.floats(-0.9, 0.9))
def test_vif_of_two_predictors_is_one_over_one_minus_r2(seed, rho):
    """With two predictors both VIFs are 1 / (1 - r^2), r their sample correlation."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=50)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=50)
    out = hs.vif(pd.DataFrame({"a": a, "b": b}), ["a", "b"]).to_frame()
    r = np.corrcoef(a, b)[0, 1]
    np.testing.assert_allclose(out["vif"], 1 / (1 - r**2), rtol=1e-10)
    np.testing.assert_allclose(out["tolerance"], 1 - r**2, rtol=1e-10)


def test_vif_bad_input():
    d = birthwt()
    with pytest.raises(InputError, match="at least two"):
        hs.vif(d, ["age"])
    with pytest.raises(InputError, match="rank-deficient"):
        hs.vif(d.assign(age2=2 * d["age"]), ["age", "age2"])
    with pytest.raises(InputError, match="constant"):
        hs.vif(d.assign(k=3), ["age", "k"])


def test_vif_result_prints_car_columns():
    """car::vif prints GVIF, Df and GVIF^(1/(2*Df)) when a factor is present, else plain VIFs."""
    d = birthwt()
    gv = hs.vif(d, ["age", "lwt", "race"])
    assert isinstance(gv, hs.VIF) and gv.model == "lm" and len(gv) == 3
    assert "GVIF^(1/(2*Df))" in repr(gv) and f"{gv.to_frame()['vif'].iloc[2]:.4f}" in repr(gv)
    plain = hs.vif(hs.lrm("low ~ age + lwt + smoke", d))
    assert plain.model == "glm" and "GVIF" not in repr(plain) and "VIF" in repr(plain)
