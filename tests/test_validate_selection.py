"""validate() with the variable selection repeated in every resample, against
rms::validate(bw = TRUE) and against validating the selected model as if prespecified.

rms repeats its own selection, fastbw's backward step-down (approximate Wald deletions from
the full model, rule = "p", sls), in each resample; hccstats repeats forward LR (score test to
enter, LR test to remove, each model refitted). The selections differ in method, so the
comparison is of what both estimate: the model chosen on all patients (the same here, so the
apparent indices agree to 1e-6), how often each candidate is kept and the optimism, on the
same resamples (R's), within the spread that another seed would give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError


def noisy_cohort(seed: int, n: int = 150, k: int = 8) -> pd.DataFrame:
    """Two real predictors (log OR 0.9 and 0.7 per SD) among ``k`` standard-normal candidates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    lp = -0.5 + 0.9 * X[:, 0] + 0.7 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(k)]).assign(y=y)


CANDIDATES = [f"x{i}" for i in range(8)]


@pytest.mark.parametrize("seed", [7, 11])
def test_optimism_with_selection_at_least_prespecified_against_harrell(seed):
    """Harrell (RMS, 2015, sec. 5.3): validating only the final model hides the optimism of
    choosing it; repeating the selection shows more optimism in C (Dxy), slope and Brier."""
    d = noisy_cohort(seed, n=120, k=8)
    sw = hs.forward_lr(d, "y", CANDIDATES)
    plain = hs.validate(sw.fit, B=200, seed=1).table["optimism"]
    honest = hs.validate(sw, B=200, seed=1).table["optimism"]
    assert honest["Dxy"] >= plain["Dxy"] and honest["R2"] >= plain["R2"]
    assert honest["Slope"] >= plain["Slope"]  # optimism of the slope is 1 - test slope
    assert honest["B"] <= plain["B"]  # the Brier score is lower (better) in training
    assert honest["Dxy"] - plain["Dxy"] > 0.02  # not a tie: selection adds real optimism


def test_selection_validation_is_reproducible_and_says_what_it_kept():
    d = noisy_cohort(11)
    sw = hs.forward_lr(d, "y", CANDIDATES)
    a = hs.validate(sw, B=60, seed=5)
    b = hs.validate(sw.fit, B=60, seed=5, selection=sw, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert a.retained.shape == (60 - a.n_failed, len(CANDIDATES))
    assert a.selection_frequency["x0"] == a.retained["x0"].mean()
    assert "candidates kept" in repr(a) and "x0" in repr(a)
    assert hs.validate(sw.fit, B=60, seed=5).retained is None
    with pytest.raises(InputError, match="not the model it selected"):
        hs.validate(hs.lrm("y ~ x3", d), B=10, seed=1, selection=sw)
    with pytest.raises(InputError, match="Stepwise"):
        hs.validate(sw.fit, B=10, seed=1, selection="forward")


@pytest.mark.r
def test_selection_frequency_and_optimism_against_rms_validate_bw():
    from hccstats import rbridge
    from hccstats.rbridge.rms_validation import bootstrap_indices_r

    d = noisy_cohort(11)
    n, B, seed = len(d), 200, 3
    sw = hs.forward_lr(d, "y", CANDIDATES, entry=0.05, removal=0.10)
    ours = hs.validate(sw, resamples=bootstrap_indices_r(n, B, seed))
    r = rbridge.run(
        """suppressMessages(library(rms))
        f <- lrm(as.formula(paste("y ~", paste(cands, collapse = " + "))), data = d, x = TRUE, y = TRUE)
        set.seed(s)
        invisible(capture.output(
          v <- validate(f, B = B, bw = TRUE, rule = "p", sls = 0.05, type = "individual")))
        list(table = unclass(v)[, 1:6], kept = attr(v, "kept") * 1,
             orig = fastbw(f, rule = "p", sls = 0.05, type = "individual")$names.kept)""",
        d=d,
        cands=np.asarray(CANDIDATES, dtype=object),
        s=seed,
        B=B,
    )
    rms = pd.DataFrame(r["table"], index=ours.table.index, columns=ours.table.columns)
    kept = pd.DataFrame(np.asarray(r["kept"]), columns=CANDIDATES)
    # both choose x0 + x1 on all patients: the same model, so the apparent indices agree
    assert sw.selected == ["x0", "x1"] and sorted(np.atleast_1d(r["orig"])) == ["x0", "x1"]
    np.testing.assert_allclose(ours.table["index_orig"], rms["index_orig"], atol=1e-6)
    # how often each candidate is kept: within 3 binomial SDs of B resamples (the spread
    # another seed gives); both keep the real predictors and rarely the noise
    freq, freq_r = ours.selection_frequency, kept.mean()
    sd = np.sqrt(np.maximum(freq_r * (1 - freq_r), 0.05 * 0.95) / B)
    assert ((freq - freq_r).abs() <= 3 * sd).all(), pd.DataFrame({"ours": freq, "rms": freq_r})
    assert freq["x0"] > 0.95 and freq_r["x0"] > 0.95 and freq[CANDIDATES[2:]].max() < 0.35
    # the optimism: within 3 SDs of our own estimate over seeds
    spread = pd.concat(
        [hs.validate(sw, B=B, seed=s).table["optimism"] for s in range(4)], axis=1
    ).std(axis=1)
    for index in ("Dxy", "R2", "Slope", "B"):
        assert (
            abs(ours.table.loc[index, "optimism"] - rms.loc[index, "optimism"]) <= 3 * spread[index]
        ), (index, ours.table.loc[index, "optimism"], rms.loc[index, "optimism"], spread[index])


def test_full_column_rank_is_matrix_ranks_answer():
    """The resample check of the selected model's columns: the cross-products' shortcut gives
    numpy's matrix_rank answer on well-conditioned, exactly collinear, nearly collinear (to
    matrix_rank's tolerance and just above it), constant and non-finite designs."""
    from hccstats.calibration._validate import full_column_rank

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 6))])
    cases = {"well conditioned": X}
    for name, eps in (("collinear", 0.0), ("within tolerance", 1e-15), ("near", 1e-9)):
        Y = X.copy()
        Y[:, 3] = 2.0 * Y[:, 2] + eps * rng.normal(size=500)
        cases[name] = Y
    cases["constant column"] = np.column_stack([X, np.full(500, 3.0)])
    Y = X.copy()
    Y[7, 2] = np.nan
    cases["nan"] = Y
    answers = {}
    for name, A in cases.items():
        with np.errstate(all="ignore"):
            try:
                expected = bool(np.linalg.matrix_rank(A) == A.shape[1])
            except np.linalg.LinAlgError:
                expected = None
        if expected is None:
            with pytest.raises(np.linalg.LinAlgError):
                full_column_rank(A)
            continue
        answers[name] = full_column_rank(A)
        assert answers[name] == expected, name
    assert answers["well conditioned"] and answers["near"]  # both kinds of answer were seen
    assert not answers["collinear"] and not answers["constant column"]


def test_report_validations_run_beside_with_the_calls_numbers_and_errors():
    """The report's internal validations on a background thread: the tables (and candidates
    kept) of the direct call bit for bit, BLAS on one thread while they run, the call's error
    raised by result()."""
    from threadpoolctl import threadpool_info

    from hccstats.report._calib import internal_validation, validations_beside

    d = noisy_cohort(11)
    sw = hs.forward_lr(d, "y", CANDIDATES)
    plain = hs.lrm("y ~ x0 + x3", d)
    direct = {
        "sel": internal_validation(sw.fit, 40, 5, sw),
        "plain": internal_validation(plain, 40, 5),
    }
    with validations_beside({"sel": sw.fit, "plain": plain}, 40, 5, {"sel": sw}) as jobs:
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        got = {name: job.result() for name, job in jobs.items()}
    assert blas and set(blas) == {1}
    for name, v in direct.items():
        pd.testing.assert_frame_equal(got[name].table, v.table, check_exact=True)
    pd.testing.assert_frame_equal(got["sel"].retained, direct["sel"].retained, check_exact=True)
    assert got["plain"].retained is None
    with pytest.raises(InputError, match="not the model it selected"):
        with validations_beside({"bad": plain}, 40, 5, {"bad": sw}) as jobs:
            jobs["bad"].result()
