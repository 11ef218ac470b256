"""forward_cox / backward_cox (SPSS's Forward: LR and Backward: LR for Cox models): every
step replayed in R on survival::pbc, each candidate's score test and each term's LR test
recomputed with survival::coxph, and the term chosen at each step checked to be R's choice;
without R, the selections written out in R (tests/reference/survival/stepwise_cox.R, its
output stepwise_cox_pbc.csv and .Rout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import hccstats as hs
from hccstats import InputError
from tests._survival_data import pbc

# Python candidate -> the same term in R (rms loaded for rcs)
R_TERMS = {
    "bili": "bili",
    "age": "age",
    "log_bili": "log(bili)",
    "log_albumin": "log(albumin)",
    "edema": "edema",
    "sex": "sex",
    "ascites": "ascites",
    "C(stage)": "factor(stage)",
    "rcs(protime, 4)": "rcs(protime, 4)",
    "platelet": "platelet",
}
CANDIDATES = list(R_TERMS)
COLUMNS = [
    "time", "death", "age", "bili", "log_bili", "albumin", "log_albumin", "edema", "sex",
    "ascites", "stage", "protime", "platelet",
]  # fmt: skip

# For each query: the model's terms ("|"-separated, R syntax), the term, and the kind. "score":
# the score test of adding the term at the model's estimate with the term's coefficients at 0
# (init = c(b, 0), iter.max = 0); "lr": 2 * (loglik of the model - loglik without the term);
# "lr_add": 2 * (loglik with the term - loglik of the model).
R_REPLAY = """suppressPackageStartupMessages({library(survival); library(rms)})
ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
form <- function(terms) as.formula(paste("Surv(time, death) ~",
                                         if (length(terms)) paste(terms, collapse = " + ") else "1"))
fitm <- function(terms) coxph(form(terms), data = d, control = ctl)
ll <- function(terms) tail(fitm(terms)$loglik, 1)
split <- function(s) if (nchar(s)) strsplit(s, "|", fixed = TRUE)[[1]] else character(0)
sapply(seq_along(model), function(i) {
  terms <- split(model[i])
  if (kind[i] == "lr") return(2 * (ll(terms) - ll(setdiff(terms, term[i]))))
  if (kind[i] == "lr_add") return(2 * (ll(c(terms, term[i])) - ll(terms)))
  b <- if (length(terms)) coef(fitm(terms)) else numeric(0)
  k <- ncol(model.matrix(form(c(terms, term[i])), d)) - 1 - length(b)
  suppressWarnings(coxph(form(c(terms, term[i])), data = d, init = c(b, rep(0, k)),
                         control = coxph.control(iter.max = 0))$score)
})
"""


STORED = Path(__file__).parent / "reference" / "survival" / "stepwise_cox_pbc.csv"


@pytest.fixture(scope="module")
def data():
    return pbc()[COLUMNS].dropna().reset_index(drop=True)


def _queries(sw):
    """Replay the selection: before each step (and at the end) every candidate out of the model
    is score-tested and every term in it LR-tested; the model each query is asked of."""
    model: list[str] = [] if sw.direction == "forward" else list(sw.candidates)
    states = []
    for row in [*sw.steps.to_dict("records"), None]:
        states.append((list(model), row))
        if row is None:
            break
        if row["action"] == "enter":
            model.append(row["term"])
        else:
            model.remove(row["term"])
    rows = []
    for i, (terms, _) in enumerate(states):
        for c in sw.candidates:
            kind = "lr" if c in terms else ("score" if sw.entry_test == "score" else "lr_add")
            rows.append((i, kind, c, "|".join(R_TERMS[t] for t in terms), R_TERMS[c]))
    return states, pd.DataFrame(rows, columns=["state", "kind", "term", "model", "r_term"])


def _check_against_r(sw, data):
    from hccstats.rbridge import run

    states, q = _queries(sw)
    q["r"] = np.asarray(
        run(R_REPLAY, d=data, model=list(q["model"]), term=list(q["r_term"]), kind=list(q["kind"])),
        float,
    )
    q["df"] = [
        {"C(stage)": 3, "rcs(protime, 4)": 3}.get(t, 1) for t in q["term"]
    ]  # stage has 4 levels; rcs with 4 knots has 3 columns
    q["p"] = sps.chi2.sf(q["r"], q["df"])
    for i, (_, row) in enumerate(states):
        at = q[q["state"] == i]
        if row is None:  # the final model: the candidates left out, scored as R does
            if sw.entry_test != "score":
                continue
            out = at[at["kind"] == "score"].set_index("term")
            nim = sw.not_in_model.set_index("term")
            # both fits converged to ~1e-12; the score statistic at R's and at our estimate
            np.testing.assert_allclose(nim["statistic"], out.loc[nim.index, "r"], rtol=1e-7)
            assert (out["p"] >= sw.entry).all() or sw.direction == "backward"
            continue
        pool = at[at["kind"] != "lr"] if row["action"] == "enter" else at[at["kind"] == "lr"]
        r_stat = float(pool.set_index("term").loc[row["term"], "r"])
        np.testing.assert_allclose(row["statistic"], r_stat, rtol=1e-7)
        assert row["df"] == int(pool.set_index("term").loc[row["term"], "df"])
        # R's choice: the smallest entry p (or the largest removal p) is the term taken
        pick = pool["p"].idxmin() if row["action"] == "enter" else pool["p"].idxmax()
        assert q.loc[pick, "term"] == row["term"]


@pytest.mark.r
def test_forward_cox_steps_against_r_coxph_score_and_lr(data):
    sw = hs.forward_cox(data, "time", "death", CANDIDATES)
    # bili enters first, log(bili) later, and bili leaves again: both actions are checked
    assert list(sw.steps["action"][:4]) == ["enter", "enter", "enter", "remove"]
    assert list(sw.steps["term"][[0, 2, 3]]) == ["bili", "log_bili", "bili"]
    _check_against_r(sw, data)


@pytest.mark.r
def test_backward_cox_steps_against_r_coxph_lr_and_score(data):
    sw = hs.backward_cox(data, "time", "death", CANDIDATES)
    assert (sw.steps["action"] == "remove").sum() >= 2
    _check_against_r(sw, data)


@pytest.mark.r
def test_forward_cox_with_loose_thresholds_against_r(data):
    # more entries, the factor and the spline among them
    sw = hs.forward_cox(data, "time", "death", CANDIDATES, entry=0.2, removal=0.25)
    assert {"C(stage)", "rcs(protime, 4)"} <= set(sw.selected)
    _check_against_r(sw, data)


@pytest.mark.r
def test_forward_cox_entering_by_lr_against_r(data):
    sw = hs.forward_cox(data, "time", "death", CANDIDATES, entry_test="lr")
    assert sw.entry_test == "lr" and len(sw.steps) >= 4
    _check_against_r(sw, data)


@pytest.mark.parametrize(
    ("direction", "entry", "removal"),
    [("forward", 0.05, 0.10), ("backward", 0.05, 0.10), ("forward", 0.20, 0.25)],
)
def test_selection_against_stored_r_implementation(data, direction, entry, removal):
    ref = pd.read_csv(STORED, comment="#")
    ref = ref[(ref["direction"] == direction) & np.isclose(ref["entry"], entry)]
    select = hs.forward_cox if direction == "forward" else hs.backward_cox
    sw = select(data, "time", "death", CANDIDATES, entry=entry, removal=removal)
    assert sw.steps[["action", "term", "df"]].values.tolist() == (
        ref[["action", "term", "df"]].values.tolist()
    )
    # R's fits at eps 1e-14 and 15 significant digits stored: 1e-7 relative
    np.testing.assert_allclose(sw.steps["statistic"], ref["statistic"], rtol=1e-7)
    np.testing.assert_allclose(sw.steps["p_value"], ref["p_value"], rtol=1e-6)


def test_multi_column_terms_enter_as_one_candidate_with_their_df(data):
    sw = hs.forward_cox(data, "time", "death", ["C(stage)", "rcs(protime, 4)", "log_bili"])
    dfs = dict(zip(sw.steps["term"], sw.steps["df"]))
    assert dfs.get("C(stage)", 3) == 3 and dfs.get("rcs(protime, 4)", 3) == 3
    assert sum(len(c) for c in sw.fit.term_columns.values()) == sum(dfs[t] for t in sw.selected)


def test_final_fit_is_coxph_of_the_selected_terms(data):
    sw = hs.forward_cox(data, "time", "death", ["age", "log_bili", "sex", "platelet"])
    ref = hs.coxph("Surv(time, death) ~ " + " + ".join(sw.selected), data)
    np.testing.assert_allclose(sw.fit.coef, ref.coef, rtol=1e-10)
    assert sw.n == len(data) and sw.events == int(data["death"].sum())
    assert "Forward stepwise Cox regression" in repr(sw)


def test_nothing_enters_gives_no_fit_and_all_candidates_scored(data):
    rng = np.random.default_rng(0)
    d = data.assign(noise=rng.normal(size=len(data)))
    sw = hs.forward_cox(d, "time", "death", ["noise"], entry=1e-6, removal=1e-5)
    assert sw.fit is None and sw.selected == [] and list(sw.not_in_model["term"]) == ["noise"]


def test_entry_lr_agrees_with_score_on_a_strong_predictor(data):
    sw = hs.forward_cox(data, "time", "death", ["log_bili", "age"], entry_test="lr")
    assert sw.steps["term"].iloc[0] == "log_bili" and sw.entry_test == "lr"
    fit = hs.coxph("Surv(time, death) ~ log_bili", data)
    np.testing.assert_allclose(sw.steps["statistic"].iloc[0], fit.lr_test, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": []}, "at least one candidate"),
        ({"entry": 0.2, "removal": 0.1}, "must not be smaller than entry"),
        ({"entry": 1.5}, "entry: expected a probability"),
        ({"candidates": ["time"]}, "cannot be a candidate"),
        ({"candidates": ["nope"]}, "nope"),
        ({"entry_test": "wald"}, "entry_test"),
        ({"ties": "exact"}, "ties"),
    ],
)
def test_bad_input_raises_input_error(data, kwargs, message):
    args = {"candidates": ["age"], **kwargs}
    with pytest.raises(InputError, match=message):
        hs.forward_cox(data, "time", "death", **args)


def test_missing_values_raise_unless_omitted():
    d = pbc()
    with pytest.raises(InputError, match="missing values"):
        hs.forward_cox(d, "time", "death", ["age", "C(stage)"])
    sw = hs.forward_cox(d, "time", "death", ["age", "C(stage)"], nan_policy="omit")
    assert sw.n == int(d["stage"].notna().sum())


def test_column_names_with_spaces_are_candidates(data):
    d = data.rename(columns={"log_bili": "log bili", "time": "follow up"})
    sw = hs.forward_cox(d, "follow up", "death", ["log bili", "age"])
    ref = hs.forward_cox(data, "time", "death", ["log_bili", "age"])
    assert sw.selected == ["log bili", "age"] and ref.selected == ["log_bili", "age"]
    np.testing.assert_allclose(sw.steps["statistic"], ref.steps["statistic"], rtol=1e-12)
    u = hs.univariate_cox(d, "follow up", "death", ["log bili"]).to_frame()
    assert u["term"].tolist() == ["Q('log bili')"] and np.isfinite(u["estimate"].iloc[0])


def test_first_entry_is_the_score_test_of_the_one_term_model(data):
    sw = hs.forward_cox(data, "time", "death", ["bili", "C(stage)"])
    first = sw.steps.iloc[0]
    fit = hs.coxph(f"Surv(time, death) ~ {first['term']}", data)
    np.testing.assert_allclose(first["statistic"], fit.score_test, rtol=1e-10)


def test_statistics_do_not_depend_on_the_units_of_a_candidate(data):
    d = data.assign(age=data["age"] * 365.25 + 10.0, platelet=data["platelet"] / 1000.0)
    a = hs.forward_cox(data, "time", "death", ["age", "platelet", "log_bili", "edema"])
    b = hs.forward_cox(d, "time", "death", ["age", "platelet", "log_bili", "edema"])
    assert a.selected == b.selected
    np.testing.assert_allclose(a.steps["statistic"], b.steps["statistic"], rtol=1e-8)
    np.testing.assert_allclose(a.not_in_model["statistic"], b.not_in_model["statistic"], rtol=1e-8)


def test_an_interaction_enters_after_its_main_effects_and_holds_them(data):
    sw = hs.forward_cox(data, "time", "death", ["log_bili * edema", "age"], entry=0.5, removal=0.6)
    assert sw.candidates == ["log_bili", "edema", "log_bili:edema", "age"]
    assert sw.requires == {"log_bili:edema": ["log_bili", "edema"]}
    entered = list(sw.steps.loc[sw.steps["action"] == "enter", "term"])
    assert "log_bili:edema" in entered
    at = entered.index("log_bili:edema")
    assert {"log_bili", "edema"} <= set(entered[:at])
    # backward on noise: the interaction leaves before either of its main effects
    rng = np.random.default_rng(7)
    noise = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    noise["time"], noise["death"] = rng.exponential(10, 150), rng.integers(0, 2, 150)
    full = hs.coxph("Surv(time, death) ~ a + b + a:b", noise).lr_tests().set_index("term")
    assert full.loc["b", "p_value"] > full.loc["a:b", "p_value"] > 0.02  # b would go first
    back = hs.backward_cox(noise, "time", "death", ["a * b"], entry=0.01, removal=0.02)
    removed = list(back.steps["term"])
    assert removed and removed[0] == "a:b" and back.requires == {"a:b": ["a", "b"]}
