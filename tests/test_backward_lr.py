"""backward_lr (SPSS Backward: LR) against R: glm with a drop1(test = "LRT") / add1(test = "Rao") loop.

R's loop is written in the test (the SPSS BSTEP(LR) algorithm: remove the variable with the
largest LR p above `removal`; when none, re-enter the removed variable with the smallest score p
below `entry`). Deterministic algebra on both sides: step statistics to 1e-6 relative (add1 refits
its base model without a start, ~1e-8 error), coefficients to 1e-7.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError

BACKWARD_R = """
bw <- function(d, outcome, cands, entry = 0.05, removal = 0.10) {
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  fitm <- function(terms) {
    f <- reformulate(if (length(terms)) terms else "1", response = outcome)
    g <- glm(f, family = binomial, data = d, control = ctl)
    for (i in 1:2) g <- glm(f, family = binomial, data = d, control = ctl, start = coef(g))
    g
  }
  key <- function(t) paste(sort(t), collapse = "+")
  inm <- cands; seen <- key(inm); g <- fitm(inm)
  log <- data.frame(step = integer(0), action = character(0), term = character(0),
                    statistic = numeric(0), df = integer(0), p_value = numeric(0))
  repeat {
    if (length(inm)) {
      dr <- drop1(g, test = "LRT")[-1, , drop = FALSE]
      p <- dr[["Pr(>Chi)"]]; w <- which.max(p)
      if (p[w] > removal) {
        red <- setdiff(inm, rownames(dr)[w])
        if (key(red) %in% seen) break
        seen <- c(seen, key(red))
        log[nrow(log) + 1, ] <- list(nrow(log) + 1, "remove", rownames(dr)[w], dr$LRT[w], dr$Df[w], p[w])
        inm <- red; g <- fitm(inm); next
      }
    }
    out <- setdiff(cands, inm)
    if (!length(out)) break
    a <- add1(g, scope = out, test = "Rao")[-1, , drop = FALSE]
    p <- a[["Pr(>Chi)"]]; b <- which.min(p)
    if (!(p[b] < entry)) break
    new <- c(inm, rownames(a)[b])
    if (key(new) %in% seen) break
    seen <- c(seen, key(new))
    log[nrow(log) + 1, ] <- list(nrow(log) + 1, "enter", rownames(a)[b], a[["Rao score"]][b], a$Df[b], p[b])
    inm <- new; g <- fitm(inm)
  }
  list(log = log, coef = coef(g), terms = inm)
}
"""


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    from hccstats.rbridge import r_available, run

    if not r_available("MASS"):
        pytest.skip("R with MASS is needed for birthwt")
    bw = run("MASS::birthwt")
    out = pd.DataFrame({"low": bw["low"].to_numpy(int)})
    out["age"] = bw["age"].to_numpy(float)
    out["lwt"] = bw["lwt"].to_numpy(float)
    out["race"] = pd.Categorical(
        bw["race"].map({1: "white", 2: "black", 3: "other"}), ["white", "black", "other"]
    )
    for c in ("smoke", "ht", "ui"):
        out[c] = pd.Categorical(bw[c].map({0: "no", 1: "yes"}), ["no", "yes"])
    out["ptl"] = bw["ptl"].to_numpy(float)
    out["ftv"] = bw["ftv"].to_numpy(float)
    return out


CANDS = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"]


@pytest.mark.r
@pytest.mark.parametrize("entry,removal", [(0.05, 0.10), (0.10, 0.20)])
def test_backward_lr_steps_and_coefficients_against_r_drop1_add1(birthwt, entry, removal):
    from hccstats.rbridge import run

    sw = hs.backward_lr(birthwt, "low", CANDS, entry=entry, removal=removal)
    r = run(
        BACKWARD_R + "bw(d, 'low', cands, entry = e, removal = rm)",
        d=birthwt,
        cands=np.array(CANDS, dtype=object),
        e=entry,
        rm=removal,
    )
    log = r["log"]
    assert list(sw.steps["action"]) == list(log["action"])
    assert list(sw.steps["term"]) == list(log["term"])
    np.testing.assert_allclose(sw.steps["statistic"], log["statistic"].astype(float), rtol=1e-6)
    np.testing.assert_allclose(sw.steps["p_value"], log["p_value"].astype(float), rtol=1e-6)
    assert sorted(sw.selected) == sorted(np.atleast_1d(r["terms"]).tolist())
    names = [n.replace("(Intercept)", "Intercept") for n in r["coef"].index]
    coef = pd.Series(np.asarray(r["coef"], float), index=names)
    ours = sw.fit.coef.rename(lambda t: t.replace("[T.", "").replace("]", ""))
    np.testing.assert_allclose(ours.loc[coef.index].to_numpy(), coef.to_numpy(), rtol=1e-7)
    assert sw.direction == "backward" and repr(sw).startswith("Backward stepwise")


def test_backward_lr_removes_nothing_when_all_are_strong_against_definition(birthwt):
    """Every LR p below `removal`: nothing leaves, the full model is the result."""
    sw = hs.backward_lr(birthwt, "low", ["ptl", "ht", "ui", "lwt"], removal=0.5, entry=0.05)
    full = hs.lrm("low ~ ptl + ht + ui + lwt", birthwt)
    assert (full.lr_tests()["p_value"] < 0.5).all()  # the definition: none would leave
    assert sw.steps.empty and sw.selected == ["ptl", "ht", "ui", "lwt"]
    np.testing.assert_allclose(sw.fit.coef, full.coef.loc[sw.fit.coef.index], rtol=1e-9)


def test_backward_lr_rejects_bad_input_with_input_error(birthwt):
    with pytest.raises(InputError, match="removal"):
        hs.backward_lr(birthwt, "low", CANDS, entry=0.2, removal=0.1)
    with pytest.raises(InputError, match="'nope'"):
        hs.backward_lr(birthwt, "low", ["age", "nope"])


def _reentry_data() -> pd.DataFrame:
    """Correlated predictors where a removed variable enters again (found by a seed search)."""
    rng = np.random.default_rng(1227)
    n = 120
    X = rng.normal(size=(n, 5)) @ (rng.normal(size=(5, 5)) * 0.7)
    b = rng.normal(size=5) * 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ b)))).astype(int)
    d = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    d["y"] = y
    return d


@pytest.mark.r
def test_backward_lr_reentry_step_against_r_add1_rao():
    from hccstats.rbridge import run

    d = _reentry_data()
    cands = [f"x{i}" for i in range(5)]
    sw = hs.backward_lr(d, "y", cands, entry=0.15, removal=0.2)
    assert "enter" in set(sw.steps["action"])  # the path under test
    r = run(
        BACKWARD_R + "bw(d, 'y', cands, entry = 0.15, removal = 0.2)",
        d=d,
        cands=np.array(cands, dtype=object),
    )
    log = r["log"]
    assert list(sw.steps["action"]) == list(log["action"])
    assert list(sw.steps["term"]) == list(log["term"])
    np.testing.assert_allclose(sw.steps["statistic"], log["statistic"].astype(float), rtol=1e-6)
    assert sorted(sw.selected) == sorted(np.atleast_1d(r["terms"]).tolist())
