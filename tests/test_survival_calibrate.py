"""calibrate for Cox models against rms::calibrate(cph, cmethod = "KM", u = ...)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccstats import InputError
from hccstats.survival import calibrate, coxph
from tests._survival_data import r_data

REF = Path(__file__).parent / "reference" / "survival"
U = 365.0
# the columns of R's calibrate object: mean.predicted, KM, KM.corrected, index.orig, training,
# test, mean.optimism, std.err
COLUMNS = [
    "predicted",
    "observed",
    "observed_corrected",
    "index_orig",
    "training",
    "test",
    "optimism",
    "std_err",
]


@pytest.fixture(scope="module")
def fit():
    lung = r_data("lung").dropna(subset=["ph_ecog"])
    return coxph("Surv(time, status) ~ age + sex + ph_ecog", lung)


@pytest.mark.r
def test_calibrate_on_r_resamples_against_live_rms(fit):
    # Same 30 resamples as rms draws after set.seed(3). rms's cph stops iterating earlier than
    # coxph (its eps), so predicted survival differs by ~3e-5 and the table by up to ~1e-4.
    from hccstats.rbridge import run
    from hccstats.rbridge.rms_validation import bootstrap_indices_r

    cal = calibrate(fit, U, m=50, resamples=bootstrap_indices_r(fit.n, 30, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # groupkm: "one interval had < 2 observations"
        r = run(
            """suppressPackageStartupMessages(library(rms))
            d <- subset(survival::lung, !is.na(ph.ecog))
            f <- cph(Surv(time, status) ~ age + sex + ph.ecog, data = d, x = TRUE, y = TRUE,
                     surv = TRUE, time.inc = 365)
            set.seed(3)
            invisible(capture.output(cal <- calibrate(f, cmethod = "KM", u = 365, m = 50, B = 30)))
            unclass(cal)[, c("mean.predicted", "KM", "KM.corrected", "index.orig", "training",
                             "test", "mean.optimism", "std.err")]"""
        )
    np.testing.assert_allclose(cal.table[COLUMNS].to_numpy(), r, atol=1e-3)
    assert cal.n_failed == 0 and cal.B == 30


def test_calibrate_falls_inside_spread_of_rms_over_seeds(fit):
    # R: calibrate_cph_spread.R, set.seed(s); calibrate(cph, cmethod = "KM", u = 365, m = 50,
    # B = 40) for s = 1..20. hccstats draws other resamples: one more draw from the same
    # distribution, so within mean +- 4 SD of rms's runs in every group.
    ref = pd.read_csv(REF / "calibrate_cph_spread.csv", comment="#")
    cal = calibrate(fit, U, m=50, B=40, seed=2026)
    runs = ref.pivot(index="seed", columns="group", values="KM_corrected")
    np.testing.assert_allclose(
        ref.groupby("group")["mean_predicted"].first(), cal.table["predicted"], atol=1e-4
    )
    z = np.abs(cal.table["observed_corrected"].to_numpy() - runs.mean().to_numpy())
    z /= runs.std().to_numpy()
    assert np.all(z < 4), z


def test_calibrate_is_reproducible_and_checks_input(fit):
    a = calibrate(fit, U, m=50, B=20, seed=1)
    b = calibrate(fit, U, m=50, B=20, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["n"].sum() == fit.n
    with pytest.raises(InputError, match="seed"):
        calibrate(fit, U, B=20)
    with pytest.raises(InputError, match="times: .* after the last follow-up"):
        calibrate(fit, 1e6, seed=1)
    with pytest.raises(InputError, match="CoxFit"):
        calibrate(object(), U, seed=1)


@pytest.mark.r
def test_calibrate_with_the_horizon_at_the_last_follow_up_against_live_rms():
    # lung cut at u = 365 days: everyone event-free then is censored at 365, the last time
    # (administrative censoring at the horizon). rms::calibrate(cph, u = 365) runs; so does
    # calibrate(times=365), on the same 30 resamples. The original cph at eps = 1e-11; the
    # refits inside calibrate.cph stop at rms's eps = 1e-4, which moves the table by ~1e-5.
    from hccstats.rbridge import run
    from hccstats.rbridge.rms_validation import bootstrap_indices_r
    from tests._survival_data import lung

    d = lung()
    d["death"] = np.where(d["time"] > U, 0, d["death"])
    d["time"] = np.minimum(d["time"], U)
    cut = coxph("Surv(time, death) ~ age + sex + ph_ecog", d)
    assert cut.time.max() == U
    cal = calibrate(cut, times=U, m=50, resamples=bootstrap_indices_r(cut.n, 30, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # groupkm: "one interval had < 2 observations"
        r = run(
            """suppressPackageStartupMessages(library(rms))
            options(datadist = NULL)
            f <- cph(Surv(time, death) ~ age + sex + ph_ecog, data = d, x = TRUE, y = TRUE,
                     surv = TRUE, time.inc = 365, eps = 1e-11, tol = 1e-13)
            set.seed(3)
            invisible(capture.output(cal <- calibrate(f, cmethod = "KM", u = 365, m = 50, B = 30)))
            unclass(cal)[, c("mean.predicted", "KM", "KM.corrected", "index.orig", "training",
                             "test", "mean.optimism", "std.err")]""",
            d=d[["time", "death", "age", "sex", "ph_ecog"]],
        )
    np.testing.assert_allclose(cal.table[COLUMNS].to_numpy(), r, atol=1e-4)
    assert cal.times == cal.u == U


def test_calibrate_old_keyword_u_warns(fit):
    with pytest.warns(DeprecationWarning, match="u= is deprecated"):
        a = calibrate(fit, u=U, m=50, B=5, seed=1)
    b = calibrate(fit, times=U, m=50, B=5, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_calibrate_repeats_the_selection_in_every_resample():
    # sex alone (univariable p 0.04): many resamples keep no term and predict everyone the
    # Breslow baseline survival; the apparent curve is the fixed model's
    from hccstats.survival import forward_cox
    from tests._survival_data import pbc_split

    d = pbc_split()[0].assign(female=lambda x: (x["sex"] == "f").astype(int))
    sw = forward_cox(d, "time", "death", ["female"])
    assert sw.selected == ["female"]
    plain = calibrate(sw.fit, 1826.0, B=20, m=60, seed=4)
    repeated = calibrate(sw.fit, 1826.0, B=20, m=60, seed=4, selection=sw)
    cols = ["predicted", "observed", "index_orig", "n", "events"]
    pd.testing.assert_frame_equal(plain.table[cols], repeated.table[cols])
    assert repeated.n_failed == 0
    assert not np.allclose(plain.table["optimism"], repeated.table["optimism"])
    with pytest.raises(InputError, match="selection: fit is not the model it selected"):
        calibrate(coxph("Surv(time, death) ~ log_bili", d), 1826.0, B=2, seed=1, selection=sw)
