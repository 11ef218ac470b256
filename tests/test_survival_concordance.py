"""Harrell's and Uno's concordance (timewt = "n" / "n/G2") against survival::concordance live:
C, R's infinitesimal-jackknife variance and the (weighted) pair counts, on a development and a
validation part of survival::pbc and on survival::lung, with ties in time and score."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from tests._survival_data import PBC_FORMULA, lung, pbc_split

R_PBC_FIT = """suppressPackageStartupMessages(library(survival))
fit <- coxph(Surv(time, death) ~ age + log(bili) + log(albumin) + edema, data = dev,
             control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
"""
R_COUNTS = "c(k$concordance, sqrt(k$var), k$count)"
PBC_COLUMNS = ["time", "death", "age", "bili", "albumin", "edema"]


def _values(k):
    return [k.concordance, k.se, k.concordant, k.discordant, k.tied_x, k.tied_y, k.tied_xy]


def _check(k, r):
    # the same sums over the same pairs with the same weights: equal to rounding. C and its SE
    # to 1e-10 relative; counts (weighted sums for Uno) to 1e-10 relative
    np.testing.assert_allclose(_values(k), np.asarray(r, float), rtol=1e-10, atol=1e-12)


@pytest.mark.r
@pytest.mark.parametrize("timewt", ["n", "n/G2"])
def test_concordance_of_a_cox_fit_and_on_validation_data_against_r_survival(timewt):
    # R: concordance(fit, timewt = ...) on the development data (the 312 trial patients), and
    # concordance(Surv(time, death) ~ lp, reverse = TRUE, timewt = ...) on the 106 others
    from hccstats.rbridge import run

    dev, val = pbc_split()
    fit = hs.coxph(PBC_FORMULA, dev)
    r_dev = run(
        R_PBC_FIT + "k <- concordance(fit, timewt = tw); " + R_COUNTS,
        dev=dev[PBC_COLUMNS],
        tw=timewt,
    )
    _check(hs.concordance(fit, timewt=timewt), r_dev)
    r_val = run(
        R_PBC_FIT + "val$lp <- predict(fit, newdata = val); "
        "k <- concordance(Surv(time, death) ~ lp, data = val, reverse = TRUE, timewt = tw); "
        + R_COUNTS,
        dev=dev[PBC_COLUMNS],
        val=val[PBC_COLUMNS],
        tw=timewt,
    )
    lp = fit.predict(val)
    _check(hs.concordance(val["time"], val["death"], lp, reverse=True, timewt=timewt), r_val)


@pytest.mark.r
@pytest.mark.parametrize("ymax", [None, 365.0])
@pytest.mark.parametrize("reverse", [False, True])
def test_uno_c_of_a_tied_score_against_r_survival(reverse, ymax):
    # lung: days with ties in time and censorings tied with deaths; ph.ecog (0-3) is mostly ties
    from hccstats.rbridge import run

    d = lung()
    r = run(
        "suppressPackageStartupMessages(library(survival)); "
        "k <- concordance(Surv(time, death) ~ x, reverse = reverse, timewt = 'n/G2', "
        "ymax = if (ymax < 0) NULL else ymax); " + R_COUNTS,
        time=d["time"].to_numpy(float),
        death=d["death"].to_numpy(float),
        x=d["ph_ecog"].to_numpy(float),
        reverse=reverse,
        ymax=-1.0 if ymax is None else ymax,
    )
    k = hs.concordance(
        d["time"], d["death"], d["ph_ecog"], reverse=reverse, timewt="n/G2", ymax=ymax
    )
    _check(k, r)
    assert k.timewt == "n/G2"


def test_uno_equals_harrell_without_censoring():
    # no censoring: G = 1 throughout, so every pair weighs 1 and Uno's C is Harrell's
    rng = np.random.default_rng(7)
    t = rng.exponential(size=80).round(2) + 0.01
    x = rng.normal(size=80).round(1)
    a = hs.concordance(t, np.ones(80), x, timewt="n")
    b = hs.concordance(t, np.ones(80), x, timewt="n/G2")
    assert _values(a) == pytest.approx(_values(b), rel=1e-12)


def test_concordance_old_keyword_and_bad_input():
    d = lung()
    new = hs.concordance(d["time"], d["death"], d["age"], reverse=True)
    with pytest.warns(DeprecationWarning, match="x= is deprecated"):
        old = hs.concordance(time=d["time"], event=d["death"], x=d["age"], reverse=True)
    assert _values(new) == _values(old)
    with pytest.raises(InputError, match="timewt"):
        hs.concordance(d["time"], d["death"], d["age"], timewt="S/G")
    with pytest.raises(InputError, match="score= only"):
        hs.concordance(d["time"], d["death"], d["age"], x=d["age"])
    with pytest.raises(InputError, match="ymax"):
        hs.concordance(d["time"], d["death"], d["age"], ymax=float("nan"))
