"""calibrate (rms::calibrate, method boot) and calibration_curve against rms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _calibration_data import birthwt_fit, read_ref, resamples_seed11

import hccstats as hs
from hccstats import InputError
from hccstats.calibration import calibrate, calibration_curve, val_prob
from hccstats.rbridge.rms_validation import CALIBRATE_COLUMNS

COLS = list(CALIBRATE_COLUMNS)


@pytest.fixture(scope="module")
def fit():
    return birthwt_fit()


def test_calibrate_on_r_resamples_against_stored_rms(fit):
    # R: set.seed(11); calibrate(f, B = 50), and the 50 resamples that seed draws. Same
    # resamples + the same lrm.fit iterations + the same lowess -> the same table; the fit's
    # coefficients differ from rms's by ~1e-8 (convergence criterion), hence 1e-6.
    ref = read_ref("calibrate_seed11_B50.csv")
    ref.columns = COLS
    cal = calibrate(fit, resamples=resamples_seed11())
    np.testing.assert_allclose(cal.table[COLS].to_numpy(), ref.to_numpy(), atol=1e-6)
    assert cal.n_failed == 0 and cal.B == 50 and cal.n == 189


@pytest.mark.r
def test_calibrate_on_r_resamples_against_live_rms(fit):
    from hccstats.rbridge.rms_validation import bootstrap_indices_r, calibrate_r

    exp = calibrate_r(fit, B=30, seed=5)
    cal = calibrate(fit, resamples=bootstrap_indices_r(189, 30, 5))
    np.testing.assert_allclose(cal.table[COLS].to_numpy(), exp["table"][COLS].to_numpy(), atol=1e-6)
    assert cal.mean_abs_error == pytest.approx(exp["mae"], abs=1e-6)
    assert cal.mean_squared_error == pytest.approx(exp["mse"], abs=1e-6)
    assert cal.quantile_90 == pytest.approx(exp["q90"], abs=1e-6)


def test_calibrate_falls_inside_spread_of_rms_over_seeds(fit):
    # R: set.seed(s); calibrate(f, B = 200) for s = 1..20. hccstats draws other resamples, so
    # its curve is one more draw from the same distribution: within mean +- 4 SD of rms's runs.
    ref = read_ref("calibrate_spread_B200.csv")
    cal = calibrate(fit, B=200, seed=2024)
    curves = ref.pivot(index="seed", columns="predy", values="corrected")
    np.testing.assert_allclose(curves.columns.to_numpy(), cal.table["predicted"], atol=1e-7)
    mean, sd = curves.mean().to_numpy(), curves.std().to_numpy()
    z = np.abs(cal.table["bias_corrected"].to_numpy() - mean) / sd
    assert np.nanmax(z) < 4, np.nanmax(z)
    for ours, col in [
        (cal.mean_abs_error, "mae"),
        (cal.mean_squared_error, "mse"),
        (cal.quantile_90, "q90"),
    ]:
        runs = ref.groupby("seed")[col].first()
        assert abs(ours - runs.mean()) < 4 * runs.std(), col


def test_calibrate_fixed_seed_is_reproducible_and_independent_of_n_jobs(fit):
    a = calibrate(fit, B=120, seed=7)
    b = calibrate(fit, B=120, seed=7, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert a.mean_abs_error == b.mean_abs_error
    c = calibrate(fit, B=120, seed=8)
    assert not np.array_equal(a.table["bias_corrected"], c.table["bias_corrected"])


def test_calibrate_counts_failed_resamples_without_events():
    # a resample with no events cannot be fitted (rms: "Divergence or singularity"); counted
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=40)})
    d["y"] = (rng.random(40) < 1 / (1 + np.exp(-d["x"]))).astype(int)
    fit = hs.lrm("y ~ x", d)
    good = rng.integers(0, 40, size=(4, 40))
    no_events = np.tile(np.flatnonzero(d["y"] == 0)[:1], (1, 40))
    cal = calibrate(fit, resamples=np.vstack([good, no_events]))
    assert cal.n_failed == 1
    assert cal.table["n"].max() <= 4
    v = hs.validate(fit, resamples=np.vstack([good, no_events]))
    assert v.n_failed == 1 and v.table["n"].max() == 4


def test_calibrate_bad_input(fit):
    with pytest.raises(InputError, match="seed"):
        calibrate(fit, B=10)
    with pytest.raises(InputError, match="B"):
        calibrate(fit, B=0, seed=1)
    with pytest.raises(InputError, match="resamples"):
        calibrate(fit, resamples=np.zeros((3, 5), int))
    with pytest.raises(InputError, match="fit"):
        calibrate(object(), B=10, seed=1)


def test_calibration_curve_is_val_prob_lowess_against_stored_rms():
    # the external-data curve is val.prob's lowess read at the grid; its mean absolute error
    # over the patients equals val.prob's Eavg up to interpolation between the 50 grid points
    from _calibration_data import birthwt

    y = birthwt()["low"].to_numpy()
    p = read_ref("risks_birthwt.csv")["birthwt_shrunk"].to_numpy()
    cc = calibration_curve(y, p)
    assert cc.B == 0 and cc.table["bias_corrected"].isna().all()
    eavg = read_ref("val_prob.csv").set_index("case").loc["birthwt_shrunk", "Eavg"]
    assert cc.mean_abs_error == pytest.approx(float(eavg), abs=0.01)
    assert val_prob(y, p).eavg == pytest.approx(float(eavg), abs=1e-9)


def test_calibration_plot_delegates_to_plots(fit):
    import matplotlib

    matplotlib.use("Agg")
    cal = calibrate(fit, B=20, seed=1)
    fig = cal.plot()
    assert fig.axes and len(fig.axes[0].lines) >= 2
    assert "Mean absolute error" in repr(cal)


def test_calibrate_hands_a_cox_model_to_calibrate_cox_and_names_the_horizon():
    from _survival_data import r_data

    d = r_data("lung")[["time", "status", "age", "sex"]]
    cox = hs.coxph("Surv(time, status) ~ age + sex", d)
    with pytest.raises(hs.InputError, match="give times"):
        hs.calibrate(cox)
    direct = hs.calibrate_cox(cox, 365, B=5, seed=1)
    for kw in ({"times": 365}, {"u": 365}):  # u: rms's name, as an R user types it
        via = hs.calibrate(cox, B=5, seed=1, **kw)
        pd.testing.assert_frame_equal(via.table, direct.table)
    fit = birthwt_fit()
    with pytest.raises(hs.InputError, match="for Cox models"):
        hs.calibrate(fit, u=5)


def test_batched_fits_identical_with_and_without_the_compiled_terms(fit):
    # the compiled per-patient terms (numba) against the numpy evaluation that runs without
    # numba: the same iterations, coefficients and deviances to rounding, on R's resamples
    from hccstats._jit import HAVE_NUMBA
    from hccstats.calibration._batched_newton import lrm_fit_batch
    from hccstats.calibration._resample import counts, fit_arrays

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: the numpy path is the only one")
    X, y, _ = fit_arrays(fit)
    W = counts(resamples_seed11(), len(y))
    W[3] = 0.0  # a resample without patients fails on both paths
    fast = lrm_fit_batch(X, y, W, tol=1e-13, compiled=True)
    plain = lrm_fit_batch(X, y, W, tol=1e-13, compiled=False)
    np.testing.assert_array_equal(fast.fail, plain.fail)
    np.testing.assert_array_equal(fast.iterations, plain.iterations)
    np.testing.assert_allclose(fast.coef, plain.coef, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.deviance, plain.deviance, rtol=1e-12)
    assert fast.fail[3] and not fast.fail[:3].any()
    lean = lrm_fit_batch(X, y, W, tol=1e-13, deviance=False)  # calibrate's: coefficients only
    np.testing.assert_array_equal(lean.coef, fast.coef)
    assert np.isnan(lean.deviance).all()
    # from a common start (calibrate's): the first evaluation's risks are computed once
    X, y, coef = fit_arrays(fit)
    fast = lrm_fit_batch(X, y, W, tol=1e-13, start=coef, compiled=True)
    plain = lrm_fit_batch(X, y, W, tol=1e-13, start=coef, compiled=False)
    np.testing.assert_array_equal(fast.iterations, plain.iterations)
    np.testing.assert_allclose(fast.coef, plain.coef, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.deviance, plain.deviance, rtol=1e-12)


def test_recalibration_fits_identical_with_and_without_the_compiled_pass(fit):
    # validate's recalibration of each bootstrap model's linear predictor on the original
    # patients (lrm_fit_rows): the compiled pass (vexp / vlog, sums in the patients' order)
    # against numpy's, the same iterations, failures, coefficients and deviances to rounding;
    # predictors reaching the clip at |eta| = 30, a row with a missing value, and one that
    # separates the outcome
    from hccstats._jit import HAVE_NUMBA
    from hccstats.calibration._batched_newton import lrm_fit_rows
    from hccstats.calibration._resample import fit_arrays

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: the numpy path is the only one")
    X, y, coef = fit_arrays(fit)
    lp = X @ coef
    rng = np.random.default_rng(5)
    rows = np.vstack([lp + rng.normal(0, s, lp.size) for s in (0.0, 0.3, 1.0, 3.0)])
    rows = np.vstack([rows, 40.0 * lp, np.where(y > 0, 1.0, -1.0), lp])
    rows[-1, 7] = np.nan
    fast = lrm_fit_rows(rows, y, tol=1e-13, compiled=True)
    plain = lrm_fit_rows(rows, y, tol=1e-13, compiled=False)
    np.testing.assert_array_equal(fast.fail, plain.fail)
    np.testing.assert_array_equal(fast.iterations, plain.iterations)
    # an intercept of ~1e-11 (the first row recalibrates itself) differs by rounding only
    np.testing.assert_allclose(fast.coef, plain.coef, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fast.deviance, plain.deviance, rtol=1e-12)
    assert fast.fail[-1] and not fast.fail[:4].any()


def test_compiled_terms_match_numpy_at_extreme_and_clipped_risks(fit):
    # the vectorised per-patient pass (vexp / vlog) against numpy's exp / log where the risks
    # reach the clip at |eta| = 30 and 1 - p loses most of its digits (rms's naive log(1 - p))
    from hccstats._jit import HAVE_NUMBA
    from hccstats.calibration import _batched_newton as bn
    from hccstats.calibration._resample import counts, fit_arrays

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: the numpy path is the only one")
    X, y, coef = fit_arrays(fit)
    W = counts(resamples_seed11()[:6], len(y))
    beta = coef * np.array([1.0, 0.5, 2.0, 8.0, 40.0, 400.0])[:, None]  # |eta| up to >> 30
    idx = np.arange(6)
    fast = bn._compiled_evaluation(X, y, W)(idx, beta)
    plain = bn._numpy_evaluation(X, y, W)(idx, beta)
    assert np.abs(beta @ X.T).max() > 30
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def test_fits_started_at_the_full_fit_fail_where_rms_start_fails_and_agree_elsewhere(fit):
    # calibrate starts each resample's fit at the full-sample coefficients: fewer Newton steps
    # to the same maximum. A separated resample (no finite maximum: rms's 11 steps do not
    # converge) and a singular one (smoke constant) must still fail, as from rms's start.
    from hccstats.calibration._batched_newton import lrm_fit_batch
    from hccstats.calibration._resample import counts, fit_arrays

    X, y, coef = fit_arrays(fit)
    n = len(y)
    rng = np.random.default_rng(0)
    separated = np.flatnonzero(((y == 1) & (X[:, 2] < 120)) | ((y == 0) & (X[:, 2] >= 120)))
    no_smokers = np.flatnonzero(X[:, 3] == 0)
    resamples = np.vstack(
        [resamples_seed11()[:10], rng.choice(separated, n), rng.choice(no_smokers, n)]
    )
    W = counts(resamples, n)
    cold = lrm_fit_batch(X, y, W, tol=1e-13, deviance=False)
    warm = lrm_fit_batch(X, y, W, tol=1e-13, deviance=False, start=coef)
    np.testing.assert_array_equal(warm.fail, cold.fail)
    assert cold.fail[10:].all() and not cold.fail[:10].any()
    np.testing.assert_array_equal(warm.iterations[10:], cold.iterations[10:])  # refitted
    assert warm.iterations[:10].sum() < cold.iterations[:10].sum()
    # rms's criterion (deviance change <= 0.025, one more step) leaves ~1e-7 on these
    # coefficients, which lie 0.003 to 1.1 from 0
    np.testing.assert_allclose(warm.coef[:10], cold.coef[:10], rtol=0, atol=1e-5)


def test_slow_fits_from_the_full_fit_are_redone_from_rms_start(fit):
    # where rms's fit needs 6+ steps (a flat likelihood: where rms's criterion stops depends
    # on the path) the fit started at the full-sample coefficients is slow too and is redone
    # from rms's start: it ends exactly where rms's does
    from hccstats._random import bootstrap_indices
    from hccstats.calibration._batched_newton import lrm_fit_batch
    from hccstats.calibration._resample import counts, fit_arrays

    X, y, coef = fit_arrays(fit)
    W = counts(bootstrap_indices(len(y), 1000, 1, None), len(y))
    cold = lrm_fit_batch(X, y, W, tol=1e-13, deviance=False)
    warm = lrm_fit_batch(X, y, W, tol=1e-13, deviance=False, start=coef)
    slow = cold.iterations >= 6
    assert slow.sum() >= 2 and not cold.fail.any() and not warm.fail.any()
    np.testing.assert_array_equal(warm.coef[slow], cold.coef[slow])
    np.testing.assert_array_equal(warm.iterations[slow], cold.iterations[slow])


def test_compiled_risks_match_numpy(fit):
    # calibrate's risks of the bootstrap models (vexp, one pass) against numpy's formula;
    # linear predictors out to +-800, where numpy's exp overflows (risk 0 or 1)
    from hccstats._jit import HAVE_NUMBA
    from hccstats.calibration._batched_newton import risk_rows
    from hccstats.calibration._resample import fit_arrays

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: the numpy path is the only one")
    X, _, coef = fit_arrays(fit)
    beta = coef * np.array([1.0, -3.0, 50.0, -400.0])[:, None]
    fast = risk_rows(beta, X)
    with np.errstate(over="ignore"):
        plain = risk_rows(beta, X, compiled=False)
    assert np.abs(beta @ X.T).max() > 800
    np.testing.assert_allclose(fast, plain, rtol=4e-16, atol=1e-300)
