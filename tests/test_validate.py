"""validate (rms::validate for lrm, method boot) against rms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _calibration_data import birthwt_fit, read_ref, resamples_seed11

from hccstats.calibration import validate

COLS = ["index_orig", "training", "test", "optimism", "index_corrected", "n"]
INDEX = ["Dxy", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp"]


@pytest.fixture(scope="module")
def fit():
    return birthwt_fit()


def test_validate_on_r_resamples_against_stored_rms(fit):
    # R: set.seed(11); validate(f, B = 50) on the resamples that seed draws; 1e-6 as for calibrate
    ref = read_ref("validate_seed11_B50.csv").set_index("index")
    v = validate(fit, resamples=resamples_seed11())
    assert list(v.table.index) == INDEX
    np.testing.assert_allclose(v.table[COLS].to_numpy(), ref.to_numpy(), atol=1e-6)


@pytest.mark.r
def test_validate_on_r_resamples_against_live_rms(fit):
    from hccstats.rbridge.rms_validation import bootstrap_indices_r, validate_r

    exp = validate_r(fit, B=30, seed=9)
    v = validate(fit, resamples=bootstrap_indices_r(189, 30, 9))
    np.testing.assert_allclose(v.table.to_numpy(), exp.to_numpy(), atol=1e-6)


def test_validate_falls_inside_spread_of_rms_over_seeds(fit):
    # R: set.seed(s); validate(f, B = 200), s = 1..20: corrected indices within mean +- 4 SD
    ref = read_ref("validate_spread_B200.csv")
    v = validate(fit, B=200, seed=2024)
    runs = ref.pivot(index="seed", columns="index", values="corrected")[INDEX]
    z = (v.table["index_corrected"] - runs.mean()).abs() / runs.std()
    assert (z < 4).all(), z


def test_validate_fixed_seed_is_reproducible_and_independent_of_n_jobs(fit):
    a = validate(fit, B=120, seed=3)
    b = validate(fit, B=120, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert "Dxy" in repr(a) and a.to_frame().shape == (11, 7)
