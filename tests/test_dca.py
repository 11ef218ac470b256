"""dca: net benefit (Vickers & Elkin 2006, as dcurves::dca) against R and hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _calibration_data import DCA_REF, asah, birthwt, read_ref
from hypothesis import given, settings
from hypothesis import strategies as st

import hccstats as hs
from hccstats import InputError
from hccstats.decision_curve import dca

TH = np.arange(0.01, 1.0, 0.01)


def _data(name):
    if name == "birthwt":
        y = birthwt()["low"].to_numpy()
        return y, {"lrm": read_ref("risks_birthwt.csv")["birthwt_apparent"].to_numpy()}
    a = asah()
    return a["poor"].to_numpy(), {
        "lrm": read_ref("risks_asah.csv")["asah_apparent"].to_numpy(),
        "s100b": a["s100b"].to_numpy() / 2.5,
    }


@pytest.mark.parametrize("data", ["birthwt", "asah"])
def test_net_benefit_against_stored_r(data):
    # R: mean(p >= t & y == 1) - mean(p >= t & y == 0) * t / (1 - t) (make_reference.R);
    # the same sums, so 1e-12 would do; 1e-6 is the project's bound
    ref = read_ref("net_benefit.csv", DCA_REF)
    ref = ref[ref["data"] == data]
    y, risks = _data(data)
    got = dca(y, risks).table
    for model, exp in ref.groupby("model"):
        ours = got[got["model"] == model].sort_values("threshold")
        # R wrote seq(0.01, 0.99, by = 0.01) with 15 digits; the doubles equal np.arange's
        np.testing.assert_allclose(ours["threshold"], exp["threshold"], atol=1e-12)
        np.testing.assert_allclose(
            ours["net_benefit"], exp["net_benefit"], atol=1e-6, err_msg=model
        )


@pytest.mark.r
def test_net_benefit_against_live_r():
    from hccstats.rbridge import run
    from hccstats.rbridge.rms_validation import dca_r

    # the default thresholds are R's seq(0.01, 0.99, by = 0.01), double for double
    np.testing.assert_array_equal(TH, run("seq(0.01, 0.99, by = 0.01)"))
    rng = np.random.default_rng(4)
    p = np.round(rng.random(200), 2)  # ties at the thresholds: "risk >= threshold" is positive
    y = (rng.random(200) < p).astype(int)
    th = np.array([0.0, 0.05, 0.2, 0.5, 0.73, 0.9])
    exp = dca_r(y, {"m": p}, th)
    got = dca(y, {"m": p}, th).table
    got = got[got["model"].isin(["m", "Treat all"])]
    np.testing.assert_allclose(
        got["net_benefit"].to_numpy(), exp["net_benefit"].to_numpy(), atol=1e-12
    )


def test_net_benefit_hand_computed_vickers_elkin():
    # 8 patients, 4 events. At t = 0.25 the positives (risk >= 0.25) are 6: 4 TP, 2 FP
    # NB = 4/8 - 2/8 * (0.25/0.75) = 0.41667; treat all = 0.5 - 0.5/3 = 0.33333;
    # interventions avoided per 100 = (0.41667 - 0.33333) / (1/3) * 100 = 25
    y = [0, 0, 1, 1, 0, 1, 0, 1]
    r = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    t = dca(y, {"m": r}, [0.25], standardized=True).table.set_index("model")
    assert t.loc["m", "net_benefit"] == pytest.approx(5 / 12)
    assert t.loc["Treat all", "net_benefit"] == pytest.approx(1 / 3)
    assert t.loc["Treat none", "net_benefit"] == 0
    assert t.loc["m", "net_intervention_avoided"] == pytest.approx(25)
    assert t.loc["m", "standardized_net_benefit"] == pytest.approx(5 / 6)
    assert t.loc["m", "pos_rate"] == pytest.approx(0.75)
    h = dca(y, {"m": r}, [0.25], harm={"m": 0.1}).table.set_index("model")
    assert h.loc["m", "net_benefit"] == pytest.approx(5 / 12 - 0.1)


def test_treat_all_against_published_dcurves_values():
    # dcurves reference page (as_tibble.dca example, df_binary, prevalence 0.14, n 750): Treat All
    # net benefit 0.131, 0.122, 0.113, 0.104, 0.0947, 0.0851, 0.0753, 0.0652, 0.0549 at
    # thresholds 0.01..0.09 (printed to 3 significant digits, hence the tolerance).
    y = np.r_[np.ones(105), np.zeros(645)]  # 105 / 750 = 0.14
    t = dca(y, {"m": np.full(750, 0.5)}, np.arange(1, 10) / 100).table
    nb = t[t["model"] == "Treat all"]["net_benefit"].to_numpy()
    published = [0.131, 0.122, 0.113, 0.104, 0.0947, 0.0851, 0.0753, 0.0652, 0.0549]
    np.testing.assert_allclose(nb, published, atol=6e-4)


def test_dca_bootstrap_bands_are_seeded_and_cover_the_estimate():
    y, risks = _data("asah")
    a = dca(y, risks, [0.1, 0.3], B=200, seed=5).table
    b = dca(y, risks, [0.1, 0.3], B=200, seed=5).table
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    own = a[a["model"] != "Treat none"]
    assert (
        (own["ci_low"] <= own["net_benefit"] + 0.02) & (own["net_benefit"] <= own["ci_high"] + 0.02)
    ).all()


def test_dca_input_checks_and_plot():
    with pytest.raises(InputError, match=r"risks\['m'\].*outside"):
        dca([0, 1, 1], {"m": [0.1, 2, 0.3]})
    with pytest.raises(InputError, match="thresholds"):
        dca([0, 1, 1], {"m": [0.1, 0.2, 0.3]}, thresholds=[0.5, 1.0])
    with pytest.raises(InputError, match="reserved"):
        dca([0, 1, 1], {"Treat all": [0.1, 0.2, 0.3]})
    with pytest.raises(InputError, match="seed"):
        dca([0, 1, 1], {"m": [0.1, 0.2, 0.3]}, B=10)
    dc = hs.dca([0, 1, 1, 0], pd.DataFrame({"a": [0.1, 0.8, 0.6, 0.3]}))
    assert set(dc.table["model"]) == {"a", "Treat all", "Treat none"}
    assert dc.plot().axes


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(10, 200))
def test_net_benefit_bounds_invariant(seed, n):
    # no model beats perfect knowledge: NB <= prevalence, with equality for risk = y
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    if y.min() == y.max():
        return
    t = dca(y, {"m": rng.random(n), "perfect": y.astype(float)}, thresholds=[0.05, 0.3, 0.8]).table
    prev = y.mean()
    assert (t["net_benefit"] <= prev + 1e-12).all()
    np.testing.assert_allclose(t[t["model"] == "perfect"]["net_benefit"], prev, atol=1e-12)
