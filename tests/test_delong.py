"""DeLong variance, covariance, CI and tests (ci_auc, roc_test) against pROC and invariants."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import _datasets
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import hccstats as hs
from hccstats.discrimination import (
    ConstantScoreWarning,
    DirectionWarning,
    delong_cov,
    delong_var,
    placements,
)

REF = Path(__file__).parent / "reference" / "roc"
# Tolerance for numbers pROC computes by another summation order: 1e-8 relative (the project's
# bound); the absolute floor 1e-12 covers values that are 0 up to rounding (a covariance,
# a difference of equal AUCs), where a relative bound means nothing.
TOL = dict(rel=1e-8, abs=1e-12)


def reference() -> dict:
    """pROC 1.18.0 outputs written by tests/reference/roc/make_reference.R (numbers as %.17g strings)."""
    return json.loads((REF / "proc_reference.json").read_text())


def f(values) -> np.ndarray | float:
    arr = np.array([float(v) for v in np.atleast_1d(values)])
    return arr if arr.size > 1 else float(arr[0])


def asah_rocs() -> dict[str, hs.Roc]:
    d = _datasets.asah()
    ref = reference()
    return {
        p: hs.roc(d["outcome"], d[p], direction=ref[p]["direction"], levels=("Good", "Poor"))
        for p in ("s100b", "ndka", "wfns")
    }


# --- stored pROC outputs (aSAH) -----------------------------------------------------------------


@pytest.mark.parametrize("predictor", ["s100b", "ndka", "wfns"])
def test_delong_var_ci_and_placements_against_stored_proc_asah(predictor):
    ref = reference()[predictor]
    r = asah_rocs()[predictor]
    assert delong_var(r) == pytest.approx(f(ref["var"]), **TOL)
    p = placements(r)
    np.testing.assert_allclose(p.cases, f(ref["placements_cases"]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.controls, f(ref["placements_controls"]), rtol=1e-12, atol=1e-15)
    low, mid, high = f(ref["ci_delong"])
    ci = hs.ci_auc(r)
    assert (ci.low, ci.auc, ci.high) == pytest.approx((low, mid, high), **TOL)
    assert ci.se == pytest.approx(np.sqrt(f(ref["var"])), **TOL)
    ci90 = hs.ci_auc(r, conf_level=0.9)
    assert (ci90.low, ci90.high) == pytest.approx(tuple(f(ref["ci_delong_90"])[[0, 2]]), **TOL)


@pytest.mark.parametrize("pair", [("s100b", "ndka"), ("s100b", "wfns"), ("wfns", "ndka")])
def test_paired_delong_test_against_stored_proc_asah(pair):
    ref = reference()[f"paired_{pair[0]}_vs_{pair[1]}"]
    rocs = asah_rocs()
    r1, r2 = rocs[pair[0]], rocs[pair[1]]
    assert delong_cov(r1, r2) == pytest.approx(f(ref["cov"]), **TOL)
    for alternative, key in (("two.sided", "two_sided"), ("greater", "greater"), ("less", "less")):
        t = hs.roc_test(r1, r2, alternative=alternative)
        assert t.paired is True
        assert t.statistic == pytest.approx(f(ref[key]["statistic"]), **TOL)
        assert t.p_value == pytest.approx(f(ref[key]["p_value"]), **TOL)
        assert (t.auc1, t.auc2) == pytest.approx(tuple(f(ref[key]["estimate"])), **TOL)
        assert tuple(t.ci) == pytest.approx(tuple(f(ref[key]["conf_int"])), **TOL)
    t90 = hs.roc_test(r1, r2, conf_level=0.9)
    assert tuple(t90.ci) == pytest.approx(tuple(f(ref["level_90"]["conf_int"])), **TOL)


def _unpaired_rocs():
    d = _datasets.asah()
    u1 = hs.roc(d["outcome"][:60], d["s100b"][:60], direction="<", levels=("Good", "Poor"))
    u2 = hs.roc(d["outcome"][60:], d["ndka"][60:], direction="<", levels=("Good", "Poor"))
    return u1, u2


def test_unpaired_delong_test_against_stored_proc_asah():
    ref = reference()["unpaired_s100b_1_60_vs_ndka_61_113"]
    u1, u2 = _unpaired_rocs()
    for alternative, key in (("two.sided", "two_sided"), ("greater", "greater")):
        t = hs.roc_test(u1, u2, alternative=alternative)
        assert t.paired is False and t.statistic_name == "D"
        assert t.statistic == pytest.approx(f(ref[key]["statistic"]), **TOL)
        assert t.df == pytest.approx(f(ref[key]["df"]), **TOL)
        assert t.p_value == pytest.approx(f(ref[key]["p_value"]), **TOL)
        assert t.title == ref[key]["method"]


def test_bootstrap_ci_against_stored_proc_within_monte_carlo_error():
    ref = reference()["s100b_ci_bootstrap"]
    r = asah_rocs()["s100b"]
    ci = hs.ci_auc(r, method="bootstrap", B=2000, seed=2023)
    low, _, high = f(ref["ci"])
    # Both are 2.5%/97.5% quantiles of 2000 stratified bootstrap AUCs, with different random
    # numbers. SE of such a quantile ~ sqrt(.025*.975/2000)/dnorm(1.96)*SE(AUC) ~ 0.003 here;
    # the difference of two independent estimates has SD ~ 0.0045: 0.02 is > 4 SD.
    assert ci.low == pytest.approx(low, abs=0.02)
    assert ci.high == pytest.approx(high, abs=0.02)
    assert ci.B == 2000 and ci.method == "bootstrap"


def test_bootstrap_test_against_stored_proc_within_monte_carlo_error():
    ref = reference()["paired_s100b_vs_ndka_bootstrap"]
    rocs = asah_rocs()
    t = hs.roc_test(rocs["s100b"], rocs["ndka"], method="bootstrap", B=2000, seed=2023)
    # D = d / sd(d*): the bootstrap SD has a relative SE ~ 1/sqrt(2*2000) = 1.6%; two
    # independent runs differ by ~2.2% SD, so 10% relative (> 4 SD) on D.
    assert t.statistic == pytest.approx(f(ref["statistic"]), rel=0.10)
    assert t.p_value == pytest.approx(f(ref["p_value"]), abs=0.03)
    assert t.title == ref["method"]


# --- live pROC: aSAH and random draws ---------------------------------------------------------


@pytest.mark.r
def test_delong_against_live_proc_asah():
    from hccstats.rbridge import proc

    rocs = asah_rocs()
    out = proc.delong_summary(rocs["s100b"], rocs["ndka"])
    t = hs.roc_test(rocs["s100b"], rocs["ndka"])
    assert t.statistic == pytest.approx(out["z"], **TOL)
    assert t.p_value == pytest.approx(out["p"], **TOL)
    assert delong_cov(rocs["s100b"], rocs["ndka"]) == pytest.approx(out["cov"], **TOL)
    u1, u2 = _unpaired_rocs()
    live = proc.roc_test(u1, u2)
    t = hs.roc_test(u1, u2)
    assert (t.statistic, t.df, t.p_value) == pytest.approx(
        (live["statistic"], live["df"], live["p_value"]), **TOL
    )


def _tied(n):
    return arrays(np.int64, n, elements=st.integers(0, 7)).map(lambda a: a * 0.37 - 1.1)


@st.composite
def paired_draws(draw):
    n = draw(st.integers(6, 80))
    y = draw(
        arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda a: 2 <= a.sum() <= a.size - 2)
    )
    cont = st.floats(-50, 50, allow_nan=False, allow_subnormal=False)
    s1 = draw(st.one_of(_tied(n), arrays(np.float64, n, elements=cont)))
    s2 = draw(st.one_of(_tied(n), arrays(np.float64, n, elements=cont), st.just(s1.copy())))
    return y, s1, s2


@pytest.mark.r
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=paired_draws(), direction=st.sampled_from(["<", ">"]))
def test_paired_delong_against_live_proc_random(data, direction):
    from hccstats.rbridge import proc

    y, s1, s2 = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        r1, r2 = hs.roc(y, s1, direction=direction), hs.roc(y, s2, direction=direction)
    out = proc.delong_summary(r1, r2)
    assert r1.auc == pytest.approx(out["auc1"], **TOL)
    assert delong_var(r1) == pytest.approx(out["var1"], **TOL)
    assert delong_var(r2) == pytest.approx(out["var2"], **TOL)
    assert delong_cov(r1, r2) == pytest.approx(out["cov"], **TOL)
    c1 = hs.ci_auc(r1)
    assert (c1.low, c1.auc, c1.high) == pytest.approx(tuple(out["ci1"]), **TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.UndefinedStatisticWarning)  # both curves perfect
        t = hs.roc_test(r1, r2)
        tg = hs.roc_test(r1, r2, alternative="greater")
        tl = hs.roc_test(r1, r2, alternative="less")
    # Z = d / se: d is a difference of two AUCs, exact in both up to ~1e-16, so the absolute
    # floor scales by 1/se; 1e-10 covers se down to 1e-6 (smaller se only for equal curves, Z = 0)
    assert t.statistic == pytest.approx(out["z"], rel=1e-8, abs=1e-10)
    assert t.p_value == pytest.approx(out["p"], rel=1e-8, abs=1e-10)
    assert tg.p_value == pytest.approx(out["p_greater"], rel=1e-8, abs=1e-10)
    assert tl.p_value == pytest.approx(out["p_less"], rel=1e-8, abs=1e-10)
    assert tuple(t.ci) == pytest.approx(tuple(out["conf_int"]), **TOL)


@st.composite
def unpaired_draws(draw):
    def one():
        n = draw(st.integers(6, 60))
        y = draw(
            arrays(np.int64, n, elements=st.integers(0, 1)).filter(
                lambda a: 2 <= a.sum() <= a.size - 2
            )
        )
        return y, draw(_tied(n))

    return one(), one()


@pytest.mark.r
@settings(max_examples=20, deadline=None, derandomize=True)
@given(data=unpaired_draws())
def test_unpaired_delong_against_live_proc_random(data):
    from hccstats.rbridge import proc

    (y1, s1), (y2, s2) = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantScoreWarning)
        r1, r2 = hs.roc(y1, s1, direction="<"), hs.roc(y2, s2, direction="<")
    paired = hs.discrimination.are_paired(r1, r2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = hs.roc_test(r1, r2, paired=False)
        out = proc.roc_test(r1, r2, paired=False)
    if not np.isfinite(out["statistic"]):
        # pROC: 0/0 = NaN for two zero-variance curves; hccstats documents Z = 0, p = 1 there
        assert t.se == 0.0
        return
    assert t.statistic == pytest.approx(out["statistic"], rel=1e-8, abs=1e-10)
    assert t.df == pytest.approx(out["df"], **TOL)
    assert t.p_value == pytest.approx(out["p_value"], rel=1e-8, abs=1e-10)
    assert isinstance(paired, bool)


@pytest.mark.r
def test_ci_bootstrap_near_live_proc():
    from hccstats.rbridge import proc

    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 150)
    r = hs.roc(y, y + rng.normal(size=150), direction="<")
    live = proc.ci_auc(r, method="bootstrap", B=2000, seed=5)
    ci = hs.ci_auc(r, method="bootstrap", B=2000, seed=5)
    # same Monte-Carlo tolerance as the stored comparison (> 4 SD of the difference)
    assert ci.low == pytest.approx(live["low"], abs=0.02)
    assert ci.high == pytest.approx(live["high"], abs=0.02)


# --- fast algorithm vs the O(mn) definition; invariants -------------------------------------------


def _brute_delong(x: np.ndarray, z: np.ndarray):
    psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10, v01


def test_placements_equal_delong_1988_definition():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    s1 = rng.integers(0, 15, 400).astype(float)
    s2 = s1 + rng.normal(size=400)
    r1, r2 = hs.roc(y, s1, direction="<"), hs.roc(y, s2, direction="<")
    theta1, x1, z1 = _brute_delong(s1[y == 1], s1[y == 0])
    theta2, x2, z2 = _brute_delong(s2[y == 1], s2[y == 0])
    p1 = placements(r1)
    np.testing.assert_allclose(p1.cases, x1, rtol=1e-14)
    np.testing.assert_allclose(p1.controls, z1, rtol=1e-14)
    m, n = len(x1), len(z1)
    s10 = np.cov(np.vstack([x1, x2]))
    s01 = np.cov(np.vstack([z1, z2]))
    cov = s10 / m + s01 / n
    assert delong_var(r1) == pytest.approx(cov[0, 0], rel=1e-12)
    assert delong_cov(r1, r2) == pytest.approx(cov[0, 1], rel=1e-12)


def test_identical_curves_give_zero_statistic_and_p_one():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 50)
    s = rng.normal(size=50)
    r = hs.roc(y, s, direction="<")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero RuntimeWarning
        t = hs.roc_test(r, r)
        u = hs.roc_test(r, hs.roc(y, s.copy(), direction="<"), paired=True)
    assert (t.statistic, t.p_value) == (0.0, 1.0)
    assert (u.statistic, u.p_value) == (0.0, 1.0)
    with pytest.warns(hs.UndefinedStatisticWarning, match="AUC == 1"):
        perfect = hs.roc([0, 0, 1, 1], [1.0, 2.0, 3.0, 4.0], direction="<")
        tp = hs.roc_test(perfect, perfect)
    assert (tp.statistic, tp.p_value) == (0.0, 1.0)
    with pytest.warns(hs.UndefinedStatisticWarning, match="perfect"):
        ci = hs.ci_auc(perfect)
    assert (ci.low, ci.high, ci.se) == (1.0, 1.0, 0.0)


@settings(max_examples=40, deadline=None)
@given(data=paired_draws(), seed=st.integers(0, 2**32 - 1))
def test_delong_invariant_to_patient_order(data, seed):
    y, s1, s2 = data
    perm = np.random.default_rng(seed).permutation(y.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = hs.roc_test(hs.roc(y, s1, direction="<"), hs.roc(y, s2, direction="<"))
        b = hs.roc_test(
            hs.roc(y[perm], s1[perm], direction="<"), hs.roc(y[perm], s2[perm], direction="<")
        )
    assert b.statistic == pytest.approx(a.statistic, rel=1e-9, abs=1e-9)
    assert b.se == pytest.approx(a.se, rel=1e-9, abs=1e-15)


def test_bootstrap_same_seed_same_result_and_needs_seed():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    r1 = hs.roc(y, y + rng.normal(size=80), direction="<")
    r2 = hs.roc(y, y + rng.normal(size=80), direction="<")
    a = hs.ci_auc(r1, method="bootstrap", B=300, seed=4)
    assert a == hs.ci_auc(r1, method="bootstrap", B=300, seed=4)
    assert a != hs.ci_auc(r1, method="bootstrap", B=300, seed=5)
    t1 = hs.roc_test(r1, r2, method="bootstrap", B=300, seed=4)
    t2 = hs.roc_test(r1, r2, method="bootstrap", B=300, seed=4)
    assert (t1.statistic, t1.p_value) == (t2.statistic, t2.p_value)
    with pytest.raises(hs.InputError, match="seed"):
        hs.ci_auc(r1, method="bootstrap")
    with pytest.raises(hs.InputError, match="seed"):
        hs.roc_test(r1, r2, method="bootstrap")
    nonstrat = hs.ci_auc(r1, method="bootstrap", B=300, seed=4, stratified=False)
    assert nonstrat.low < r1.auc < nonstrat.high


def test_bootstrap_se_close_to_delong_se():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 400)
    r = hs.roc(y, y + rng.normal(size=400), direction="<")
    # the bootstrap SD and DeLong's SE estimate the same quantity: within 10% at B = 2000
    assert hs.ci_auc(r, method="bootstrap", B=2000, seed=1).se == pytest.approx(
        hs.ci_auc(r).se, rel=0.1
    )


# --- bad input -------------------------------------------------------------------------------------


def test_roc_test_and_ci_bad_input():
    y = [0, 1, 0, 1, 1, 0]
    r = hs.roc(y, [1, 2, 3, 4, 5, 6], direction="<")
    other = hs.roc([1, 0, 0, 1, 1, 0], [1, 2, 3, 4, 5, 6], direction="<")
    with pytest.raises(hs.InputError, match="paired"):
        hs.roc_test(r, other, paired=True)
    with pytest.raises(hs.InputError, match="alternative"):
        hs.roc_test(r, r, alternative="bigger")
    with pytest.raises(hs.InputError, match="method"):
        hs.roc_test(r, r, method="venkatraman")
    with pytest.raises(hs.InputError, match="roc2"):
        hs.roc_test(r, [1, 2])
    with pytest.raises(hs.InputError, match="conf_level"):
        hs.ci_auc(r, conf_level=95)
    with pytest.raises(hs.InputError, match="B"):
        hs.ci_auc(r, method="bootstrap", B=0, seed=1)
    with pytest.warns(hs.HccstatsWarning, match="seem to be paired"):
        hs.roc_test(r, r, paired=False)
    with pytest.warns(DirectionWarning, match="different directions"):
        hs.roc_test(r, hs.roc(y, [1, 2, 3, 4, 5, 6], direction=">"))
    with pytest.warns(hs.UndefinedStatisticWarning, match="at least 2 cases"):
        ci = hs.ci_auc(hs.roc([0, 0, 1], [1.0, 2.0, 3.0], direction="<"))
    assert np.isnan(ci.low)


def test_roc_test_returns_one_type_for_every_method():
    rocs = asah_rocs()
    r1, r2 = rocs["s100b"], rocs["ndka"]
    u1, u2 = _unpaired_rocs()
    tests = {
        "paired DeLong": hs.roc_test(r1, r2),
        "unpaired DeLong": hs.roc_test(u1, u2),
        "bootstrap": hs.roc_test(r1, r2, method="bootstrap", B=50, seed=1),
    }
    for name, t in tests.items():
        assert isinstance(t, hs.DeLongTest), name
        assert isinstance(t.ci, hs.ConfidenceInterval)
        assert t.estimate == pytest.approx(t.auc1 - t.auc2, abs=1e-15)
        row = t.to_frame().iloc[0]
        assert (row["p_value"], row["ci_low"], row["ci_high"]) == (t.p_value, *t.ci)
    assert tests["paired DeLong"].cov is not None and tests["unpaired DeLong"].cov is None
    assert tests["bootstrap"].B == 50 and tests["paired DeLong"].B is None
    for method in ("delong", "bootstrap"):  # an AUC's CI is a ConfidenceInterval too
        ci = hs.ci_auc(r1, method=method, B=50, seed=1)
        assert isinstance(ci, hs.ConfidenceInterval) and ci.low < ci.auc < ci.high
        assert tuple(ci) == (ci.low, ci.high)
