"""A study with both a binary outcome and the time to the event, on survival::pbc's 312 trial
patients: the binary outcome is death by 5 years, known only for the patients followed that
long or dead before; patients censored earlier lack it. The survival stage refits each logistic
model's predictors (stepwise, and prespecified with log() and rcs() terms) as a Cox model on its
own patients (those censored before the horizon in), scores each set by the Cox risk, and its
numbers are the library's and R's. One report run shared by the tests."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from test_report_cox import HORIZON
from test_report_cox import STUDY as COX_STUDY
from test_report_cox import write_study as write_cox_study

import hccstats as hs

GRID = (0.05, 0.5, 0.05)  # analysis.dca_thresholds: from, to, by
MODELS = {"Mayo": ["age", "log(bili)", "albumin", "edema"], "Spline": ["rcs(age, 3)", "log(bili)"]}

# the survival-only pbc study's variables, with a binary outcome beside the time
VARIABLES = "variables:" + COX_STUDY.split("variables:", 1)[1].split("analysis:", 1)[0]
STUDY = (
    f"""name: pbc-both
seed: 11
clinical: {{file: clinical.csv, id: patient_id}}
outcome: {{column: death5, label: Death by 5 years}}
survival: {{time: years, event: death, horizon: {HORIZON:g}, label: Follow-up, unit: years}}
"""
    + VARIABLES
    + f"""report: {{nomogram: native}}  # the logistic nomograms drawn without R: faster
analysis:
  dca_thresholds: {{from: {GRID[0]:g}, to: {GRID[1]:g}, by: {GRID[2]:g}}}
  models:
"""
    + "".join(f"    {name}: [{', '.join(map(repr, terms))}]\n" for name, terms in MODELS.items())
)


def write_study(root):
    """pbc's trial patients (two without a follow-up time) with ``death5``: 1 = death by 5
    years, 0 = followed beyond 5 years, empty = censored before (not known); three patients
    lack protime, a candidate no prespecified model holds."""
    path = write_cox_study(root, STUDY)
    table = pd.read_csv(root / "clinical.csv")
    died = (table["death"] == 1) & (table["years"] <= HORIZON)
    known = died | (table["years"] > HORIZON)
    table["death5"] = np.where(known, died.astype(float), np.nan)
    table.loc[[10, 20, 30], "protime"] = np.nan
    table.to_csv(root / "clinical.csv", index=False)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from hccstats.report import report_run
    from hccstats.study import load

    root = tmp_path_factory.mktemp("both-report")
    path = write_study(root / "study")
    run = report_run(path, out=root / "out", options={"B": 20}, quiet=True)
    res = json.loads((run.out / "results.json").read_text())
    return load(path), run.out, res


def test_study_keeps_patients_without_the_binary_outcome_for_the_time_to_event(tmp_path):
    from hccstats.study import load

    study = load(write_study(tmp_path / "study"))
    every, binary = study.survival_data, study.data
    early = (every["death"] == 0) & (every["years"] <= HORIZON)
    assert early.sum() > 0 and every.loc[early, "death5"].isna().all()
    assert not binary.index.isin(every.index[early]).any()
    # every patient of the binary analysis, with the same set; the two without a time in neither
    assert binary.index.isin(every.index).all()
    assert (every.loc[binary.index, "split"] == binary["split"]).all()
    assert len(every) == 310 and len(binary) == 310 - early.sum()
    assert set(every.loc[early, "split"]) == {"training", "validation"}
    assert study.survival["label"] == "Follow-up" and study.survival["unit"] == "years"


@pytest.mark.slow
def test_each_logistic_model_is_a_cox_model_on_its_own_patients(report):
    from hccstats.survival import concordance

    study, _, res = report
    assert res["stages"]["survival"] == "ok", res.get("errors")
    surv = res["survival"]
    every = study.survival_data
    early = int(((every["death"] == 0) & (every["years"] <= HORIZON)).sum())
    assert surv["n_added"] == early
    # every logistic model (the stepwise one and both prespecified) has its Cox model
    assert set(surv["models"]) == set(res["models"]) == {"Clinical model", "Mayo", "Spline"}
    assert surv["models"]["Spline"][0].startswith("rcs(age")
    perf = pd.DataFrame(surv["performance"]).set_index(["model", "set"])
    hrs = pd.DataFrame(surv["hazard_ratios"])
    for name in ("Mayo", "Spline"):
        for part in ("training", "validation"):
            d = every[every["split"] == part]
            # every patient of the set: no variable of these models is missing (protime is),
            # and more than the binary analysis's: those censored before 5 years are in
            row = perf.loc[(name, part)]
            assert row["n"] == len(d) > (study.data["split"] == part).sum()
            assert row["events"] == d["death"].sum()
        train = every[every["split"] == "training"]
        formula = "Surv(years, death) ~ " + " + ".join(surv["models"][name])
        fit = hs.coxph(formula, train)
        mine = hrs[hrs["model"] == name].set_index("term")["estimate"]
        np.testing.assert_allclose(mine.to_numpy(), fit.hazard_ratios()["estimate"], rtol=1e-10)
        for part in ("training", "validation"):
            d = every[every["split"] == part]
            t, e = d["years"].to_numpy(float), d["death"].to_numpy(float)
            c = concordance(time=t, event=e, score=fit.predict(d, type="lp"), reverse=True)
            assert perf.loc[(name, part), "harrell_c"] == pytest.approx(c.concordance, rel=1e-12)


@pytest.mark.slow
def test_decision_curves_hold_every_threshold_of_the_grid(report):
    _, out, res = report
    dca = res["survival"]["dca"]
    grid = np.arange(GRID[0], GRID[1] + GRID[2] / 2, GRID[2])
    np.testing.assert_allclose(dca["thresholds"], grid)
    for part in ("training", "validation"):
        table = pd.DataFrame(dca["tables"][part])
        for model in [*res["survival"]["models"], "Treat all", "Treat none"]:
            nb = table[table["model"] == model]
            np.testing.assert_allclose(nb["threshold"], grid)
            assert nb["net_benefit"].notna().all()
        assert dca["n"][part] == table["n"].iloc[0]
    shown = pd.read_csv(out / "tables" / "table_survival_dca.csv")
    np.testing.assert_allclose(sorted(set(shown["threshold"])), [0.1, 0.2, 0.3, 0.4, 0.5])
    # the table's numbers are the grid's
    full = pd.DataFrame(dca["tables"]["validation"]).set_index(["model", "threshold"])
    for _, r in shown[shown["set"] == "validation"].iterrows():
        for model in ("Mayo", "Treat all"):
            assert r[model] == pytest.approx(full.loc[(model, r["threshold"]), "net_benefit"])


@pytest.mark.slow
def test_time_label_and_unit_in_captions_axes_and_methods(report):
    _, out, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    captions = [
        html.unescape(re.sub("<[^>]+>", "", c))
        for c in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", page, flags=re.S)
    ]
    perf = [c for c in captions if "Performance of the Cox models of the logistic" in c]
    assert len(perf) == 2 and all("at 5 years" in c for c in perf)
    assert any("Net benefit of the models at 5 years" in c for c in captions)
    assert any("Follow-up" in c for c in captions if "Cox proportional-hazards" in c)
    km = [c for c in captions if c.split(" ", 2)[2].startswith("Kaplan–Meier curves")]
    assert len(km) == 2 and all(c.endswith("time axis: Follow-up (years)") for c in km)
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "Times are in years (the time to the event: Follow-up, column years)" in methods


@pytest.mark.r
@pytest.mark.slow
def test_survival_numbers_agree_with_r(report):
    from hccstats.rbridge import survival_checks as R

    study, out, res = report
    rc = pd.read_csv(out / "r_check.csv")
    surv = rc[rc["stage"] == "survival"]
    kinds = [
        "Cox Mayo: HR",
        "Cox Spline: HR",
        "PH test",
        "Log-rank",
        "Harrell's C, Mayo, validation",
        "Uno's C",
        "Time-dependent AUC at 5",
        "Brier score at 5",
        "O/E at 5",
        "Calibration slope at 5",
        "Net benefit at 5, Mayo, threshold 0.3, validation",
        "Net benefit at 5, Treat all",
    ]
    for kind in kinds:
        assert surv["quantity"].str.contains(kind, regex=False).any(), kind
    assert surv["agree"].all(), surv.loc[~surv["agree"], ["quantity", "hccstats", "r"]]
    # Harrell's C of the Cox risk is survival::concordance of the Cox linear predictor
    every = study.survival_data
    train, valid = (every[every["split"] == p] for p in ("training", "validation"))
    fit = hs.coxph("Surv(years, death) ~ " + " + ".join(MODELS["Mayo"]), train)
    t, e = valid["years"].to_numpy(float), valid["death"].to_numpy(float)
    r_c, _ = R.harrell_c(t, e, fit.predict(valid, type="lp"))
    perf = pd.DataFrame(res["survival"]["performance"]).set_index(["model", "set"])
    assert perf.loc[("Mayo", "validation"), "harrell_c"] == pytest.approx(r_c, rel=1e-10)


def test_no_cox_model_for_any_logistic_model_is_a_shortfall_with_the_reason():
    from types import SimpleNamespace

    from hccstats.report import _s_survival
    from hccstats.report._context import StageFailed

    rng = np.random.default_rng(1)
    d = pd.DataFrame(
        {"x": rng.normal(size=50), "t": rng.uniform(1, 10, 50), "e": 0, "y": rng.integers(0, 2, 50)}
    ).assign(split="training")
    fits = {"Base": hs.lrm("y ~ x", d)}  # a logistic model of a binary outcome with events ...
    study = SimpleNamespace(outcome="y")
    analysis = SimpleNamespace(survival=SimpleNamespace(time="t", event="e", horizon=5.0))
    ctx = SimpleNamespace(study=study, analysis=analysis)
    with pytest.raises(StageFailed) as err:  # ... whose time to the event has none
        _s_survival.compute(ctx, SimpleNamespace(fits=fits, data=d))
    assert str(err.value) == (
        "no logistic model's predictors could be fitted as a Cox model: Base: e: no events in the "
        "50 rows used"
    )
