"""Cut-offs (hccstats.coords) against pROC::coords, and proportion CIs against R's stats."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import _datasets
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import hccstats as hs
from hccstats.discrimination import ConstantScoreWarning, proportion_ci

REF = Path(__file__).parent / "reference" / "roc"
MEASURES = [
    "threshold",
    "sensitivity",
    "specificity",
    "accuracy",
    "ppv",
    "npv",
    "tp",
    "fp",
    "tn",
    "fn",
]


def reference() -> dict:
    """pROC 1.18.0 outputs written by tests/reference/roc/make_reference.R (numbers as %.17g strings)."""
    return json.loads((REF / "proc_reference.json").read_text())


def asah_roc(predictor: str, rows=slice(None)) -> hs.Roc:
    d = _datasets.asah().iloc[rows]
    direction = reference()[predictor]["direction"]
    return hs.roc(d["outcome"], d[predictor], direction=direction, levels=("Good", "Poor"))


def assert_rows_equal(ours: pd.DataFrame, theirs: dict | pd.DataFrame):
    """Threshold, sensitivity, specificity and counts exactly; accuracy, PPV, NPV to 1e-12.

    pROC rebuilds accuracy/PPV/NPV from proportions times counts (tp = se * n_cases), we
    from integer counts: equal up to the last bits.
    """
    theirs = pd.DataFrame({k: [float(v) for v in np.atleast_1d(theirs[k])] for k in MEASURES})
    assert len(ours) == len(theirs)
    for k in ("threshold", "sensitivity", "specificity"):
        np.testing.assert_array_equal(ours[k].to_numpy(float), theirs[k].to_numpy())
    for k in ("tp", "fp", "tn", "fn"):
        np.testing.assert_allclose(ours[k].to_numpy(float), theirs[k].to_numpy(), rtol=1e-12)
    for k in ("accuracy", "ppv", "npv"):
        np.testing.assert_allclose(ours[k].to_numpy(float), theirs[k].to_numpy(), rtol=1e-12)


# --- stored pROC outputs (aSAH) -----------------------------------------------------------------


@pytest.mark.parametrize("predictor", ["s100b", "ndka", "wfns"])
@pytest.mark.parametrize(
    "method, key", [("youden", "best_youden"), ("closest.topleft", "best_topleft")]
)
def test_best_cutoffs_against_stored_proc_asah(predictor, method, key):
    r = asah_roc(predictor)
    ref = reference()[predictor][key]
    table = hs.coords(r, "best", best_method=method, ties="all", ret=MEASURES).to_frame()
    assert_rows_equal(table, ref)
    first = hs.coords(r, "best", best_method=method)[0]
    assert first.threshold == float(
        ref["threshold"][0] if isinstance(ref["threshold"], list) else ref["threshold"]
    )
    assert first.n_ties == len(table)


@pytest.mark.parametrize("predictor", ["s100b", "ndka", "wfns"])
def test_cutoff_at_threshold_against_stored_proc_asah(predictor):
    r = asah_roc(predictor)
    ref = reference()[predictor]["at_median"]
    cut = hs.coords(r, x=float(ref["x"]), ret=MEASURES)[0]
    assert_rows_equal(pd.DataFrame([{k: getattr(cut, k) for k in MEASURES}]), ref)


# --- live pROC ----------------------------------------------------------------------------------


@pytest.mark.r
def test_training_cutoff_applied_to_validation_against_live_proc():
    from hccstats.rbridge import proc

    for predictor in ("s100b", "ndka", "wfns"):
        train, valid = asah_roc(predictor, slice(0, 70)), asah_roc(predictor, slice(70, None))
        cut = hs.coords(train, "best")[0]
        live_best = proc.coords_best(train)
        assert cut.threshold == live_best["threshold"].iloc[0]
        applied = hs.coords(valid, x=cut.threshold, ret=MEASURES)[0]
        live = proc.coords_at(valid, cut.threshold)
        assert_rows_equal(pd.DataFrame([{k: getattr(applied, k) for k in MEASURES}]), live)


@st.composite
def labelled_scores(draw):
    n = draw(st.integers(4, 60))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda a: 0 < a.sum() < a.size))
    s = (
        draw(arrays(np.int64, n, elements=st.integers(0, 6))) * 0.3 - 0.7
    )  # many ties -> tied best rows
    return y, s


@pytest.mark.r
@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    data=labelled_scores(),
    direction=st.sampled_from(["<", ">"]),
    method=st.sampled_from(["youden", "closest.topleft"]),
    probe=st.floats(-1.5, 1.5, allow_nan=False),
)
def test_cutoffs_against_live_proc_random(data, direction, method, probe):
    from hccstats.rbridge import proc

    y, s = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        r = hs.roc(y, s, direction=direction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.UndefinedStatisticWarning)  # PPV/NPV at an extreme cut
        table = hs.coords(r, "best", best_method=method, ties="all", ret=MEASURES).to_frame()
        at = hs.coords(r, x=probe, ret=MEASURES)[0]
    assert_rows_equal(table, proc.coords_best(r, method))
    live = proc.coords_at(r, probe)
    ours = pd.DataFrame([{k: getattr(at, k) for k in MEASURES}])
    for k in ("threshold", "sensitivity", "specificity"):
        assert ours[k].iloc[0] == float(live[k].iloc[0])
    for k in ("accuracy", "ppv", "npv"):
        np.testing.assert_allclose(ours[k].to_numpy(float), live[k].to_numpy(float), rtol=1e-12)


@pytest.mark.r
def test_wilson_and_clopper_pearson_against_live_r():
    from hccstats import rbridge

    x = np.array([0, 1, 5, 17, 40, 41, 3, 120])
    n = np.array([10, 10, 41, 41, 41, 41, 3, 200])
    for level in (0.95, 0.9):
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", rbridge.RWarning
            )  # prop.test: "Chi-squared approximation"
            live_w = rbridge.run(
                "t(mapply(function(a, b) prop.test(a, b, conf.level = cl, correct = FALSE)$conf.int, x, n))",
                x=x,
                n=n,
                cl=level,
            )
        live_cp = rbridge.run(
            "t(mapply(function(a, b) binom.test(a, b, conf.level = cl)$conf.int, x, n))",
            x=x,
            n=n,
            cl=level,
        )
        lo, hi = proportion_ci(x, n, level, "wilson")
        # same closed form; different operation order: 1e-12 relative
        np.testing.assert_allclose(lo, live_w[:, 0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hi, live_w[:, 1], rtol=1e-12, atol=1e-15)
        lo, hi = proportion_ci(x, n, level, "clopper-pearson")
        # beta quantiles: scipy (Boost) vs R's qbeta, both iterative to ~1e-15; 1e-10 relative
        np.testing.assert_allclose(lo, live_cp[:, 0], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(hi, live_cp[:, 1], rtol=1e-10, atol=1e-15)


# --- behaviour -------------------------------------------------------------------------------------


def test_cutoff_cis_and_frame():
    r = asah_roc("s100b")
    cut = hs.coords(r, "best")[0]
    assert cut.tp + cut.fn == r.n_cases and cut.tn + cut.fp == r.n_controls
    assert cut.sensitivity == cut.tp / r.n_cases
    lo, hi = proportion_ci(cut.tp, r.n_cases)
    assert (cut.ci["sensitivity"].low, cut.ci["sensitivity"].high) == (lo, hi)
    cp = hs.coords(r, "best", ci_method="clopper-pearson")[0]
    assert cp.sensitivity == cut.sensitivity and cp.ci["sensitivity"] != cut.ci["sensitivity"]
    frame = cut.to_frame()
    assert list(frame["measure"]) == [
        "threshold",
        "sensitivity",
        "specificity",
        "accuracy",
        "ppv",
        "npv",
    ]
    assert list(frame.columns) == ["measure", "estimate", "ci_low", "ci_high", "count", "n"]
    assert cut.youden_index == pytest.approx(cut.sensitivity + cut.specificity - 1)
    assert "Cut-off: score >=" in repr(cut)


def test_ties_first_last_all():
    # two points tie on Youden: (se 1, sp 2/3) and (se 2/3, sp 1)
    r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
    all_rows = hs.coords(r, "best", ties="all").to_frame()
    mids = [(0.2 + 0.35) / 2, (0.4 + 0.8) / 2]  # pROC's midpoints between adjacent scores
    assert list(all_rows["threshold"]) == mids
    assert hs.coords(r, "best")[0].threshold == mids[0]
    assert hs.coords(r, "best", ties="last")[0].threshold == mids[1]
    assert hs.coords(r, "best")[0].tied_thresholds == tuple(mids)


def test_vector_of_thresholds_gives_one_row_each():
    r = asah_roc("s100b")
    table = hs.coords(
        r, x=[0.1, 0.2, 0.3], ret=["threshold", "sensitivity", "specificity"]
    ).to_frame()
    assert list(table["threshold"]) == [0.1, 0.2, 0.3]
    assert table["sensitivity"].iloc[1] == hs.coords(r, x=0.2)[0].sensitivity
    assert "sensitivity_ci_low" in table.columns


def test_threshold_rule_and_infinite_thresholds():
    r = hs.roc([0, 0, 1, 1], [1.0, 2.0, 3.0, 4.0], direction="<")
    assert hs.coords(r, x=3.0)[0].sensitivity == 1.0  # score >= 3 is a case
    assert hs.coords(r, x=3.0)[0].specificity == 1.0
    with pytest.warns(hs.UndefinedStatisticWarning, match="ppv"):
        top = hs.coords(r, x=np.inf)[0]
    assert (top.sensitivity, top.specificity) == (0.0, 1.0) and np.isnan(top.ppv)
    rev = hs.roc([0, 0, 1, 1], [4.0, 3.0, 2.0, 1.0], direction=">")
    assert hs.coords(rev, x=2.0)[0].sensitivity == 1.0  # score <= 2 is a case


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": "middle"}, "x: expected"),
        ({"x": float("nan")}, "x: the threshold is NaN"),
        ({"best_method": "f1"}, "best_method"),
        ({"ties": "random"}, "ties"),
        ({"ret": ["auc"]}, "ret: unknown"),
        ({"ci_method": "wald"}, "ci_method"),
        ({"best_weights": (1, 1.5)}, "best_weights"),
        ({"conf_level": 1.0}, "conf_level"),
    ],
)
def test_coords_bad_input(kwargs, match):
    r = hs.roc([0, 0, 1, 1], [1.0, 2.0, 3.0, 4.0], direction="<")
    with pytest.raises(hs.InputError, match=match):
        hs.coords(r, **kwargs)


def test_coords_returns_one_type_whatever_x():
    r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.UndefinedStatisticWarning)  # PPV/NPV at -inf, inf
        calls = {
            "best": hs.coords(r, "best"),
            "best, all ties": hs.coords(r, "best", ties="all"),
            "all": hs.coords(r, "all"),
            "one threshold": hs.coords(r, x=0.3),
            "thresholds": hs.coords(r, x=[0.3, 0.5]),
        }
    lengths = {name: len(c) for name, c in calls.items()}
    assert lengths == {
        "best": 1,
        "best, all ties": 2,
        "all": len(r.thresholds),
        "one threshold": 1,
        "thresholds": 2,
    }
    for c in calls.values():
        assert isinstance(c, hs.Coords) and all(isinstance(cut, hs.Cutoff) for cut in c)
        assert len(c.to_frame()) == len(c)
        for cut in c:
            assert all(isinstance(ci, hs.ConfidenceInterval) for ci in cut.ci.values())


@pytest.mark.r
def test_coords_all_against_proc_live_without_warnings():
    """coords(r, "all") is pROC's table, nan PPV/NPV at the ±inf end rows included, and warns
    nothing (pROC does not either); a single undefined threshold still warns."""
    from hccstats import rbridge

    r = asah_roc("s100b")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = hs.coords(r, "all", ret=MEASURES).to_frame()
    theirs = rbridge.run(
        "as.data.frame(pROC::coords(pROC::roc(y, s, levels = c('Good', 'Poor'), direction = d, "
        "quiet = TRUE), 'all', ret = ret, transpose = FALSE))",
        y=np.asarray(_datasets.asah()["outcome"], dtype=object),
        s=np.asarray(_datasets.asah()["s100b"], dtype=float),
        d=reference()["s100b"]["direction"],
        ret=np.asarray(MEASURES, dtype=object),
    )
    assert np.isnan(ours["ppv"].iloc[-1]) and np.isnan(ours["npv"].iloc[0])
    assert_rows_equal(ours, theirs)
    with pytest.warns(hs.UndefinedStatisticWarning, match="ppv is undefined"):
        hs.coords(r, np.inf)
