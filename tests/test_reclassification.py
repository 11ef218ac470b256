"""improve_prob: NRI and IDI against Hmisc::improveProb (live R) and hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _calibration_data import birthwt

import hccstats as hs
from hccstats import InputError
from hccstats.reclassification import improve_prob

# Hmisc::improveProb's fields, and print.improveProb's z, 2P and limits (conf.int = 0.95)
R_IMPROVE = """
suppressMessages(library(Hmisc))
zp <- function(m, se) c(m, se, m / se, 2 * pnorm(-abs(m / se)),
                        m - qnorm(0.975) * se, m + qnorm(0.975) * se)
s <- improveProb(x1, x2, y)
tab <- rbind(zp(s$nri, s$se.nri), zp(s$nri.ev, s$se.nri.ev), zp(s$nri.ne, s$se.nri.ne),
             zp(s$idi, s$se.idi))
list(tab = tab, shares = c(s$pup.ev, s$pup.ne, s$pdown.ev, s$pdown.ne),
     sens = s$improveSens, spec = s$improveSpec, n = c(s$na, s$nb))
"""

# categorical NRI: improveProb on the category numbers scaled into [0, 1]
R_CATEGORICAL = """
suppressMessages(library(Hmisc))
k <- length(cuts) + 1
c1 <- as.numeric(cut(x1, c(0, cuts, 1), right = FALSE, include.lowest = TRUE)) / k
c2 <- as.numeric(cut(x2, c(0, cuts, 1), right = FALSE, include.lowest = TRUE)) / k
s <- improveProb(c1, c2, y)
rbind(c(s$nri, s$se.nri), c(s$nri.ev, s$se.nri.ev), c(s$nri.ne, s$se.nri.ne))
"""


def _risks():
    d = birthwt()
    old = hs.lrm("low ~ age + lwt", d).predict_risk()
    new = hs.lrm("low ~ age + lwt + smoke + ptl + ht", d).predict_risk()
    return d["low"].to_numpy(), old, new


@pytest.mark.r
def test_nri_idi_against_hmisc_live():
    from hccstats.rbridge import run

    y, old, new = _risks()
    r = run(R_IMPROVE, x1=old, x2=new, y=y.astype(float))
    res = improve_prob(y, old, new)
    got = res.table.set_index("index").loc[
        ["NRI", "NRI events", "NRI non-events", "IDI"],
        ["estimate", "se", "z", "p_value", "ci_low", "ci_high"],
    ]
    # the same sums and square roots in double precision: agreement to rounding (1e-12)
    np.testing.assert_allclose(got.to_numpy(), r["tab"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        [res.p_up_events, res.p_up_nonevents, res.p_down_events, res.p_down_nonevents],
        r["shares"],
        atol=1e-14,
    )
    np.testing.assert_allclose([res.improve_sens, res.improve_spec], [r["sens"], r["spec"]])
    assert (res.n_events, res.n_nonevents) == tuple(int(v) for v in r["n"])


@pytest.mark.r
@pytest.mark.parametrize("cuts", [[0.3], [0.2, 0.4], [0.1, 0.25, 0.5]])
def test_categorical_nri_against_hmisc_live(cuts):
    from hccstats.rbridge import run

    y, old, new = _risks()
    # a risk exactly at a cut-off goes to the higher category on both sides
    old = old.copy()
    old[:3] = cuts[0]
    exp = run(R_CATEGORICAL, x1=old, x2=new, y=y.astype(float), cuts=np.array(cuts, float))
    res = improve_prob(y, old, new, cutoffs=cuts)
    got = res.table.set_index("index").loc[
        ["NRI (categorical)", "NRI events (categorical)", "NRI non-events (categorical)"],
        ["estimate", "se"],
    ]
    np.testing.assert_allclose(got.to_numpy(), exp, rtol=1e-10, atol=1e-12)
    # the reclassification table holds every patient once
    assert int(res.reclassification.to_numpy().sum()) == len(y)


def test_nri_of_a_hand_made_case():
    # 4 events: 3 up, 1 down; 4 non-events: 1 up, 2 down, 1 unchanged (Pencina 2008, eq. 3-4)
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    old = np.array([0.2, 0.3, 0.4, 0.5, 0.3, 0.4, 0.5, 0.6])
    new = np.array([0.3, 0.4, 0.5, 0.4, 0.4, 0.3, 0.4, 0.6])
    res = improve_prob(y, old, new, cutoffs=[0.35])
    assert res["NRI events"]["estimate"] == pytest.approx((3 - 1) / 4)
    assert res["NRI non-events"]["estimate"] == pytest.approx((2 - 1) / 4)
    assert res["NRI"]["estimate"] == pytest.approx(0.75)
    v_ev = (3 + 1) / 16 - (3 - 1) ** 2 / 64
    assert res["NRI events"]["se"] == pytest.approx(np.sqrt(v_ev))
    assert res["IDI"]["estimate"] == pytest.approx(
        np.mean(new[:4] - old[:4]) - np.mean(new[4:] - old[4:])
    )
    # categories [0, 0.35), [0.35, 1]: events 0.3 -> 0.4 up, 0.4 -> 0.5 same, 0.5 -> 0.4 same
    assert res["NRI events (categorical)"]["estimate"] == pytest.approx(1 / 4)
    rt = res.reclassification.loc["event"]
    assert isinstance(rt, pd.DataFrame) and rt.to_numpy().sum() == 4


def test_improve_prob_input_errors():
    y, old, new = [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.4, 0.5]
    with pytest.raises(InputError, match="risk_new"):
        improve_prob(y, old, [0.2, 0.3, 1.4, 0.5])
    with pytest.raises(InputError, match="cutoffs"):
        improve_prob(y, old, new, cutoffs=[0.5, 0.2])
    with pytest.raises(InputError, match="y_true"):
        improve_prob([0, 0, 0, 0], old, new)
    with pytest.raises(InputError, match="length"):
        improve_prob(y, old, new[:3])


@pytest.mark.r
def test_identical_models_give_na_z_and_p_with_a_warning_as_hmisc():
    """Two models with the same predicted risks: every SE is 0; Hmisc's z = 0 / 0 is NaN."""
    from hccstats.rbridge import run

    y, old, _ = _risks()
    with pytest.warns(hs.UndefinedStatisticWarning, match="SE = 0"):
        res = improve_prob(y, old, old.copy())
    tab = res.table.set_index("index")
    assert (tab["estimate"] == 0).all() and (tab["se"] == 0).all()
    assert tab["z"].isna().all() and tab["p_value"].isna().all()
    assert tab.loc["IDI", "note"].startswith("SE = 0")
    r = run(R_IMPROVE, x1=old, x2=old.copy(), y=y.astype(float))
    assert np.isnan(r["tab"][:, 2]).all() and np.isnan(r["tab"][:, 3]).all()  # R: NaN too


def test_a_single_event_gives_na_idi_p_with_a_warning():
    """var() of one event's change is undefined (R: NA): the IDI's SE, z and p are NA."""
    y, old, new = _risks()
    y = np.zeros_like(y)
    y[int(np.argmax(new))] = 1
    with pytest.warns(hs.UndefinedStatisticWarning, match="SE undefined"):
        res = improve_prob(y, old, new)
    idi = res["IDI"]
    assert np.isfinite(idi["estimate"]) and np.isnan(idi["se"]) and np.isnan(idi["p_value"])
    assert res["NRI"]["note"] == ""
