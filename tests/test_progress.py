"""Progress bars (tqdm, with the time left) of the slow loops: off by default, same results on."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _calibration_data import birthwt_fit

import hccstats as hs

# tqdm's "done/total [elapsed<remaining": resamples done and the time left
ETA = r"{what}:.* [1-9]\d*/{total} \[\d\d:\d\d<\d\d:\d\d"


@pytest.fixture(autouse=True)
def every_update_drawn(monkeypatch):
    """tqdm redraws at most every 0.1 s; these loops are faster, so draw on every update.

    (tqdm reads ``TQDM_MININTERVAL`` once, when it is first imported: within a whole test
    session that happened long before this test, so the bar class itself is patched.)
    """
    import functools

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", functools.partial(tqdm.auto.tqdm, mininterval=0))


def test_bootstrap_progress_shows_resamples_and_time_left(capsys):
    fit = birthwt_fit()
    quiet = hs.calibrate(fit, B=60, seed=4)
    assert capsys.readouterr().err == ""  # the library is silent by default
    loud = hs.calibrate(fit, B=60, seed=4, progress=True)
    err = capsys.readouterr().err
    assert re.search(ETA.format(what="calibrate", total=60), err), err
    pd.testing.assert_frame_equal(quiet.table, loud.table, check_exact=True)
    v = hs.validate(fit, B=60, seed=4, progress=True, n_jobs=2)
    err = capsys.readouterr().err
    assert re.search(ETA.format(what="validate", total=60), err), err
    pd.testing.assert_frame_equal(v.table, hs.validate(fit, B=60, seed=4).table, check_exact=True)


def test_signature_search_progress_counts_the_folds(capsys):
    rng = np.random.default_rng(3)
    y = pd.Series(np.repeat([0, 1], 30), index=[f"p{i}" for i in range(60)])
    X = pd.DataFrame(rng.normal(size=(60, 12)), index=y.index).add_prefix("f")
    X["f0"] += 1.5 * y
    kw = dict(selectors=["anova"], classifiers=["lasso"], preset="fast", seed=1)
    quiet = hs.signature_search(X, y, **kw)
    assert capsys.readouterr().err == ""
    loud = hs.signature_search(X, y, progress=True, **kw)
    err = capsys.readouterr().err
    assert re.search(ETA.format(what=r"signature search \(folds\)", total=5), err), err
    pd.testing.assert_frame_equal(quiet.table, loud.table, check_exact=True)
