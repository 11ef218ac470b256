"""forward_lr() against an R loop of add1(test = "Rao")/drop1(test = "LRT")
(hccstats/rbridge/stats_forward_lr.R), live and stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_logistic_data import BIRTHWT_CANDIDATES, INFERT_CANDIDATES, REF, birthwt, infert

import hccstats as hs
from hccstats import InputError

# R's add1() refits the base model internally (no start), so its score statistics carry
# IRLS's stopping error: ~1e-8 relative, up to 3e-8 seen (the deviance is flat at the
# optimum and IRLS stops on it; p-values amplify it by ~stat/2). That is R's precision, so
# step statistics are compared to 1e-7; test_score_test_against_closed_form pins ours to 1e-12.
RTOL = 1e-7

CASES = {
    "birthwt": (birthwt, "low", BIRTHWT_CANDIDATES),
    "infert": (infert, "case", INFERT_CANDIDATES),
}


def _compare(sw, ref: pd.DataFrame):
    ours = sw.steps
    assert list(ours["action"]) == list(ref["action"])
    assert list(ours["term"]) == list(ref["term"])
    assert list(ours["df"]) == list(ref["df"]) and list(ours["step"]) == list(ref["step"])
    np.testing.assert_allclose(ours["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(ours["p_value"], ref["p_value"], rtol=RTOL)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("entry_test, r_test", [("score", "Rao"), ("lr", "LRT")])
def test_steps_against_stored_add1_drop1_loop(name, entry_test, r_test):
    make, outcome, cands = CASES[name]
    sw = hs.forward_lr(make(), outcome, cands, entry_test=entry_test)
    _compare(sw, pd.read_csv(REF / f"stepwise_{name}_{r_test}.csv"))


def test_removal_and_cycle_against_stored_add1_drop1_loop():
    sw = hs.forward_lr(birthwt(), "low", BIRTHWT_CANDIDATES, entry=0.10, removal=0.10)
    _compare(sw, pd.read_csv(REF / "stepwise_birthwt_Rao_010.csv"))
    assert sw.stopped == "no candidate with entry p below 0.1"
    assert sw.selected == ["ht", "lwt", "race", "smoke", "ui"]
    assert sorted(sw.fit.terms) == sorted(sw.selected)


def _r_loop(d, outcome, cands, **kw):
    from hccstats import rbridge

    src = (
        Path(__file__).resolve().parents[1] / "hccstats" / "rbridge" / "stats_forward_lr.R"
    ).read_text()
    args = ", ".join(
        f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in kw.items()
    )
    return rbridge.run(
        src
        + f"\nr <- forward_lr_r(d, outcome, cands{', ' + args if args else ''}); list(steps = r$steps, coef = unname(coef(r$fit)))",
        d=d,
        outcome=outcome,
        cands=np.asarray(cands, dtype=object),
    )


@pytest.mark.r
def test_steps_against_add1_drop1_loop_live():
    """A synthetic cohort with correlated candidates and a factor, loose thresholds: entries and removals."""
    rng = np.random.default_rng(7)
    n = 400
    z = rng.normal(size=(n, 6))
    z[:, 1] += 0.8 * z[:, 0]
    z[:, 4] = 0.6 * z[:, 3] + 0.8 * z[:, 4]
    g = rng.choice(["a", "b", "c"], n)
    lp = 0.5 * z[:, 0] - 0.4 * z[:, 1] + 0.3 * z[:, 3] + 0.5 * (g == "c") - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    d = pd.DataFrame(z, columns=[f"x{i}" for i in range(6)]).assign(
        g=pd.Categorical(g, ["a", "b", "c"]), y=y
    )
    cands = ["x0", "x1", "x2", "x3", "x4", "x5", "g"]
    for entry, removal in [(0.05, 0.10), (0.3, 0.3)]:
        sw = hs.forward_lr(d, "y", cands, entry=entry, removal=removal)
        ref = _r_loop(d, "y", cands, entry=entry, removal=removal)
        _compare(sw, ref["steps"])
        np.testing.assert_allclose(np.sort(sw.fit.coef.to_numpy()), np.sort(ref["coef"]), rtol=RTOL)
        # SPSS's "Variables not in the Equation" at the final model = add1(final, test = "Rao")
        from hccstats import rbridge

        rest = [c for c in cands if c not in sw.selected]
        r = rbridge.run(
            "g <- glm(reformulate(sel, 'y'), binomial, d, control = glm.control(epsilon = 1e-14, maxit = 100))\n"
            "a <- add1(g, scope = rest, test = 'Rao')[-1, ]; cbind(a[['Rao score']], a$Df, a[['Pr(>Chi)']])",
            d=d,
            sel=np.asarray(sw.selected, dtype=object),
            rest=np.asarray(rest, dtype=object),
        )
        assert list(sw.not_in_model["term"]) == rest
        np.testing.assert_allclose(
            sw.not_in_model[["statistic", "df", "p_value"]].to_numpy(float), r, rtol=RTOL
        )


def _cycling_cohort() -> pd.DataFrame:
    # 30 patients where 'b' enters by the score test (p = 0.0986 < 0.1) but its LR test
    # in the model gives p > 0.1: removing it would recreate a visited model
    rng = np.random.default_rng(1681)
    x = rng.normal(size=(30, 3))
    y = (rng.random(30) < 1 / (1 + np.exp(-(1.0 * x[:, 0] - 0.8 * x[:, 1])))).astype(int)
    return pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y)


def test_cycle_guard_stops_and_keeps_the_last_model():
    sw = hs.forward_lr(_cycling_cohort(), "y", ["a", "b", "c"], entry=0.1, removal=0.1)
    assert sw.stopped.startswith("cycle") and "'b'" in sw.stopped
    assert list(sw.steps["term"]) == ["c", "a", "b"] and sw.selected == ["c", "a", "b"]


@pytest.mark.r
def test_cycle_guard_against_add1_drop1_loop():
    d = _cycling_cohort()
    sw = hs.forward_lr(d, "y", ["a", "b", "c"], entry=0.1, removal=0.1)
    ref = _r_loop(d, "y", ["a", "b", "c"], entry=0.1, removal=0.1)
    _compare(sw, ref["steps"])
    np.testing.assert_allclose(sw.fit.coef.to_numpy(), ref["coef"], rtol=RTOL)


@pytest.mark.r
def test_score_tests_against_add1_rao():
    """The vectorised score tests of one step equal add1(test = "Rao") for every candidate."""
    from hccstats import rbridge
    from hccstats.logistic._design import build_design
    from hccstats.logistic._fit import fit_logistic
    from hccstats.logistic._stepwise import score_tests

    d = birthwt()
    des = build_design("low ~ lwt + smoke + race + age + ptl + ht", d)
    cols = des.columns
    base = [cols.index(c) for c in ("Intercept", "lwt", "smoke")]
    blocks = [[cols.index("race[T.black]"), cols.index("race[T.other]")]] + [
        [cols.index(c)] for c in ("age", "ptl", "ht")
    ]
    core = fit_logistic(des.X[:, base], des.y)
    flat = [j for b in blocks for j in b]
    local, pos = [], 0
    for b in blocks:
        local.append(np.arange(pos, pos + len(b)))
        pos += len(b)
    stat, df = score_tests(des.X[:, base], core, des.y, des.X[:, flat], local)
    ref = rbridge.run(
        """g <- glm(low ~ lwt + smoke, binomial, d, control = glm.control(epsilon = 1e-14, maxit = 100))
        a <- add1(g, scope = c("race", "age", "ptl", "ht"), test = "Rao")[-1, ]
        cbind(a[["Rao score"]], a$Df)""",
        d=d,
    )
    np.testing.assert_allclose(stat, ref[:, 0], rtol=RTOL)
    np.testing.assert_allclose(df, ref[:, 1])


def test_score_test_against_closed_form():
    """From the intercept-only model the score statistic is n * r^2-like closed form:
    U^2 / (ybar (1 - ybar) sum (x - xbar)^2), U = sum x (y - ybar)."""
    from hccstats.logistic._fit import fit_logistic
    from hccstats.logistic._stepwise import score_tests

    d = birthwt()
    y = d["low"].to_numpy(float)
    Z = d[["age", "lwt", "ptl"]].to_numpy(float)
    one = np.ones((len(y), 1))
    stat, df = score_tests(
        one, fit_logistic(one, y), y, Z, [np.array([0]), np.array([1]), np.array([2])]
    )
    ybar = y.mean()
    u = (Z * (y - ybar)[:, None]).sum(axis=0)
    expected = u**2 / (ybar * (1 - ybar) * ((Z - Z.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(stat, expected, rtol=1e-12)
    assert list(df) == [1, 1, 1]


def test_forward_lr_bad_input():
    d = birthwt()
    with pytest.raises(InputError, match="removal"):
        hs.forward_lr(d, "low", ["age"], entry=0.2, removal=0.1)
    with pytest.raises(InputError, match="entry_test"):
        hs.forward_lr(d, "low", ["age"], entry_test="wald")
    with pytest.raises(InputError, match="'nope'"):
        hs.forward_lr(d, "low", ["age", "nope"])
    with pytest.raises(InputError, match="outcome"):
        hs.forward_lr(d, "low", ["age", "low"])
    d.loc[0, "age"] = np.nan
    with pytest.raises(InputError, match="'age'"):
        hs.forward_lr(d, "low", ["age", "lwt"])
    sw = hs.forward_lr(d, "low", ["age", "lwt"], nan_policy="omit")
    assert sw.fit.stats["n"] == 188 and sw.fit.stats["n_omitted"] == 1


def test_nothing_enters_gives_intercept_model():
    d = birthwt()
    sw = hs.forward_lr(d, "low", ["age", "ftv"], entry=0.01, removal=0.02)
    assert sw.selected == [] and len(sw.steps) == 0 and list(sw.fit.coef.index) == ["Intercept"]
    assert "Forward stepwise" in repr(sw)


def test_max_steps_stops():
    sw = hs.forward_lr(birthwt(), "low", BIRTHWT_CANDIDATES, max_steps=2)
    assert len(sw.steps) == 2 and sw.stopped.startswith("max_steps")


def test_stepwise_result_prints_the_step_log():
    """to_frame() is the step log; the print shows each step, the stop and the left-out tests."""
    sw = hs.forward_lr(birthwt(), "low", BIRTHWT_CANDIDATES, entry=0.10, removal=0.10)
    log = sw.to_frame()
    assert list(log.columns) == ["step", "action", "term", "statistic", "df", "p_value"]
    assert list(log["action"]) == ["enter"] * 6 + ["remove"]
    text = repr(sw)
    assert "selected: ht, lwt, race, smoke, ui" in text and "Variables not in the equation" in text
    for v in log["statistic"]:
        assert f"{v:.4f}" in text
