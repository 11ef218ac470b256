"""validate for Cox models (``hccstats.validate(coxfit)``) against rms::validate(cph(...,
x = TRUE, y = TRUE, surv = TRUE), B): the apparent indices, the bootstrap on R's own resamples,
the bootstrap on our resamples within R's seed-to-seed spread, and a stepwise selection
repeated in every resample (pbc's 312 trial patients)."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats.survival._validate_cox import COX_INDICES
from tests._survival_data import PBC_FORMULA, pbc_split

B = 60
SEEDS = np.arange(1, 9)  # R's seeds for the seed-to-seed spread

# rms::validate.cph's table for each seed (index.orig, training, test, optimism,
# index.corrected, n; rows Dxy, R2, Slope, D, U, Q, g). cph's eps = 1e-10: the model iterated
# to convergence (its default 1e-4 leaves g 1e-6 away from the maximum).
R_VALIDATE = """
suppressPackageStartupMessages(library(rms))
f <- cph(Surv(time, death) ~ age + log_bili + log_albumin + edema, data = d, x = TRUE,
         y = TRUE, surv = TRUE, eps = 1e-10, tol = 1e-13)
do.call(rbind, lapply(seeds, function(s) {
  set.seed(s); invisible(capture.output(v <- validate(f, B = B))); unclass(v)[, 1:6] }))
"""


@pytest.fixture(scope="module")
def data():
    return pbc_split()[0][["time", "death", "age", "log_bili", "log_albumin", "edema"]]


@pytest.fixture(scope="module")
def fit(data):
    return hs.coxph(PBC_FORMULA, data)


@pytest.fixture(scope="module")
def rms_tables(data):
    from hccstats.rbridge import run

    out = run(R_VALIDATE, d=data, seeds=SEEDS.astype(float), B=float(B))
    return np.asarray(out, float).reshape(len(SEEDS), len(COX_INDICES), 6)


@pytest.mark.r
def test_apparent_indices_against_rms_validate_cph(fit, rms_tables):
    v = hs.validate(fit, B=5, seed=1)
    assert list(v.table.index) == COX_INDICES
    # index.orig does not depend on the seed; the same sums on the same model: 1e-6
    np.testing.assert_allclose(v.table["index_orig"], rms_tables[0][:, 0], rtol=1e-6, atol=1e-9)
    assert v.table.loc["Slope", "index_orig"] == 1.0


@pytest.mark.r
def test_bootstrap_on_r_resamples_against_rms(fit, rms_tables):
    # R's own resamples (set.seed(1), the draws predab.resample makes). rms refits with
    # coxphFit(iter.max = 10, eps = 1e-4), this library to convergence, so each refit's
    # coefficients differ in about the 5th digit: training, test and optimism agree to 1e-4.
    from hccstats.rbridge.rms_validation import bootstrap_indices_r

    v = hs.validate(fit, resamples=bootstrap_indices_r(fit.n, B, 1))
    np.testing.assert_allclose(v.table.to_numpy(), rms_tables[0], atol=1e-4)
    assert v.n_failed == 0 and v.B == B


@pytest.mark.r
def test_bootstrap_on_own_resamples_within_r_seed_spread(fit, rms_tables):
    # Our resamples come from numpy, R's from set.seed: the corrected indices are draws of the
    # same bootstrap distribution. With R's mean m and SD s over K = 8 seeds, ours - m has SD
    # s * sqrt(1 + 1/K); a 4-SD bound fails a correct implementation about once in 10^4 and an
    # optimism off by more than ~4 SD (Dxy: ~0.03, slope: ~0.06) always.
    corrected = rms_tables[:, :, 4]
    m, s = corrected.mean(axis=0), corrected.std(axis=0, ddof=1)
    bound = 4.0 * s * np.sqrt(1.0 + 1.0 / len(SEEDS))
    for seed in (5, 6):
        v = hs.validate(fit, B=B, seed=seed)
        got = v.table["index_corrected"].to_numpy()
        for k, name in enumerate(COX_INDICES):
            assert abs(got[k] - m[k]) <= bound[k], (name, seed, got[k], m[k], s[k])
        assert 0 < v.table.loc["Slope", "index_corrected"] < 1  # shrinkage


def test_same_seed_same_table_and_threads_do_not_matter(fit):
    a = hs.validate(fit, B=20, seed=3)
    b = hs.validate(fit, B=20, seed=3, n_jobs=2)
    np.testing.assert_array_equal(a.table.to_numpy(), b.table.to_numpy())
    assert a.retained is None and a.selection_frequency is None


@pytest.mark.parametrize("select", ["forward_cox", "backward_cox"])
def test_selection_repeated_in_every_resample(data, select):
    cands = ["age", "log_bili", "log_albumin", "edema", "noise"]
    d = data.assign(noise=np.random.default_rng(7).normal(size=len(data)))
    sw = getattr(hs, select)(d, "time", "death", cands)
    # the repetition on the original patients is the selection itself
    design, blocks = sw.candidate_design()
    assert sw.repeat_on(design, blocks) == sw.selected
    v = hs.validate(sw, B=30, seed=2)
    plain = hs.validate(sw.fit, B=30, seed=2)
    # same apparent model; the selection adds its own optimism to the refit's
    np.testing.assert_array_equal(v.table["index_orig"], plain.table["index_orig"])
    assert v.retained.shape == (30 - v.n_failed, len(cands))
    freq = v.selection_frequency
    assert freq["log_bili"] == 1.0 and 0 <= freq["noise"] < 1
    assert not np.allclose(v.table["optimism"], plain.table["optimism"])
    same = hs.validate(sw.fit, B=30, seed=2, selection=sw)
    np.testing.assert_array_equal(same.table.to_numpy(), v.table.to_numpy())


def test_a_resample_that_keeps_no_term_scores_everyone_alike():
    # sex (univariable p 0.04) alone: many resamples keep nothing, a constant score (rms: Dxy
    # 0, slope 1, D = U = Q = g = 0); such a resample is used, not failed
    d = pbc_split()[0].assign(female=lambda x: (x["sex"] == "f").astype(int))
    sw = hs.forward_cox(d, "time", "death", ["female"])
    assert sw.selected == ["female"]
    v = hs.validate(sw, B=40, seed=1)
    empty = int((~v.retained["female"]).sum())
    assert v.n_failed == 0 and 0 < empty < 40
    # the test Dxy averages the kept resamples' Dxy with zeros
    assert 0 < v.table.loc["Dxy", "test"] < v.table.loc["Dxy", "index_orig"]


def test_failed_refits_are_counted_and_left_out(data):
    # a binary column with 2 patients at 1: most resamples make it constant (a singular fit)
    d = data.assign(rare=0)
    d.loc[d.index[:2], "rare"] = 1
    fit = hs.coxph("Surv(time, death) ~ log_bili + rare", d)
    v = hs.validate(fit, B=20, seed=1)
    assert 0 < v.n_failed < 20
    assert (v.table["n"] == 20 - v.n_failed).all()


def test_bad_input_is_an_input_error(fit, data):
    sw = hs.forward_cox(data, "time", "death", ["age", "log_bili"])
    with pytest.raises(InputError, match="selection: fit is not the model it selected"):
        hs.validate(fit, B=5, seed=1, selection=sw)
    with pytest.raises(InputError, match="expected the CoxStepwise"):
        hs.validate(fit, B=5, seed=1, selection="forward")
    none = hs.forward_cox(data.assign(z=np.arange(len(data)) % 2), "time", "death", ["z"])
    assert none.fit is None
    with pytest.raises(InputError, match="the selection kept no term"):
        hs.validate(none, B=5, seed=1)
