"""What the report says when the data fall short: models that cannot be estimated, no model at
all, too few events, failed bootstrap refits, R errors in the cross-check.

Real runs of ``python -m hccstats.report`` on R's MASS::birthwt with added columns (a constant
marker, a marker recorded only in the validation cohort), real R for the cross-check; the
expected numbers come from results.json and the library, never typed in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report_pipeline import STUDY_YAML, _birthwt, _run, finish, started_report

from hccstats.report._events import EPV_MIN

GIVEN_SPLIT = "split: {column: cohort, training: train, validation: test}"
EXTRA = "  flat: {type: continuous, label: Flat marker}\n  marker: {type: continuous, label: Late marker}\n"
BAD_MODELS = "Flat: [age, flat], Late: [lwt, marker]"


def _data() -> pd.DataFrame:
    d = _birthwt()
    rng = np.random.default_rng(5)
    d["cohort"] = np.where(np.arange(len(d)) % 3 == 0, "test", "train")
    d["flat"] = 2.0  # constant: its model cannot be estimated
    d["marker"] = np.where(
        d["cohort"] == "test", rng.normal(size=len(d)), np.nan
    )  # no training value
    return d


def _study(folder: Path, analysis: str) -> Path:
    folder.mkdir(parents=True)
    _data().to_csv(folder / "clinical.csv", index=False)
    text = STUDY_YAML.replace(
        "split: {method: random, ratio: 0.7, stratify: true, seed: 7}", GIVEN_SPLIT
    )
    (folder / "study.yaml").write_text(text + EXTRA + f"analysis: {analysis}\n")
    return folder / "study.yaml"


def _top(out: Path) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    return html[: html.index('<nav class="toc">')]


@pytest.fixture(scope="module")
def no_model_run(tmp_path_factory):
    """Prespecified models only (selection: none), none of them estimable: the run started and
    not waited for (on two cores it overlaps with the mixed study's run): (out, process)."""
    folder = tmp_path_factory.mktemp("nomodel")
    cfg = _study(folder / "study", f"{{B: 20, selection: none, models: {{{BAD_MODELS}}}}}")
    with started_report("--config", str(cfg), "--out", str(folder / "out"), "--quiet") as proc:
        yield folder / "out", proc


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, no_model_run):
    """Three good prespecified models (one with many variables) beside two that cannot be
    estimated, and the forward LR clinical model."""
    folder = tmp_path_factory.mktemp("mixed")
    models = f"{{Weight: [lwt, smoke, ht], Many: [age, lwt, race, smoke, ptl, ht, ui, ftv], {BAD_MODELS}}}"
    cfg = _study(folder / "study", f"{{B: 20, models: {models}}}")
    proc = _run("--config", str(cfg), "--out", str(folder / "out"))
    return folder / "out", proc


@pytest.mark.r
def test_one_bad_prespecified_model_leaves_every_other_model_and_its_checks(mixed):
    out, proc = mixed
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["models"] == res["stages"]["performance"] == "ok"
    assert set(res["models"]) == {"Clinical model", "Weight", "Many"}
    why = res["models_not_estimable"]
    assert why["Flat"].startswith("predictor 'flat' is constant (2)")
    assert why["Late"] == "predictor 'marker' has no non-missing values in the training set"
    assert "only one class" not in proc.stderr
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert f"Late ({why['Late']})" in methods and "Not estimable on these data" in methods
    for name in ("Flat", "Late"):
        assert any(
            line.startswith(f"warning: {name}: not estimable") for line in proc.stderr.splitlines()
        )
        assert f"{name}: not estimable" in _top(out)
    # the good models are evaluated and checked in R as if the bad ones were not there
    perf = pd.read_csv(out / "tables" / "table4_model_performance.csv")
    assert {"Weight", "Many"} <= set(perf["model"])
    check = pd.read_csv(out / "r_check.csv")
    assert check["quantity"].str.startswith("Weight: OR").any()
    assert (check["result"] == "agree").all(), check.loc[check["result"] != "agree"]


@pytest.mark.r
def test_events_per_variable_below_10_is_an_alert(mixed):
    out, proc = mixed
    res = json.loads((out / "results.json").read_text())
    flagged = set()
    for name, model in res["models"].items():
        n, events = model["n"], model["events"]
        df = len([t for t in model["coef"] if t != "Intercept"])
        epv = min(events, n - events) / df
        assert model["events_per_variable"]["epv"] == pytest.approx(epv)
        if epv < EPV_MIN:
            flagged.add(name)
            says = f"Too few events for the {name}: {min(events, n - events)} events"
            assert any(says in a for a in res["alerts"]), res["alerts"]
            assert f"warning: {says}" in proc.stderr and says in _top(out)
        else:
            assert not any(f"Too few events for the {name}:" in a for a in res["alerts"])
    assert "Many" in flagged  # 9 degrees of freedom for about 40 events


def test_internal_validation_table_shows_resamples_used_and_failed(mixed):
    out, _ = mixed
    iv = pd.read_csv(out / "tables" / "table_internal_validation.csv")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<th class="num">Resamples used (failed)</th>' in html
    for model, sub in iv.groupby("model", sort=False):
        b, failed = int(sub["B"].iloc[0]), int(sub["n_failed"].iloc[0])
        assert f"{model} {b - failed} ({failed})" in html  # in the caption
        assert f'<td class="num">{b - failed} ({failed})</td>' in html


@pytest.fixture(scope="module")
def no_model(no_model_run):
    """The no-model run, finished: (out, completed process)."""
    out, proc = no_model_run
    return out, finish(proc)


def test_models_declared_but_none_fitted_is_a_shortfall_exit_3(no_model):
    out, proc = no_model
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "partial report written" in proc.stderr
    assert re.search(
        r"^  models: This stage failed: no multivariable model could be fitted: "
        r"Flat: not estimable \(predictor 'flat' is constant",
        proc.stderr,
        re.M,
    )
    res = json.loads((out / "results.json").read_text())
    # survival is not asked for (no survival section): blocked, but not a shortfall
    assert list(res["failed_stages"]) == ["models", "performance"]
    assert (
        "Late: not estimable (predictor 'marker' has no non-missing values in the training set)"
        in res["failed_stages"]["models"]
    )
    assert (
        "Incomplete report: Multivariable models and nomograms (This stage failed: no multivariable model"
        in _top(out)
    )
    from docx import Document

    paras = [p.text for p in Document(str(out / "report.docx")).paragraphs]
    first = next(i for i, t in enumerate(paras) if t.startswith("1. "))
    assert any(
        t.startswith("Warning: Incomplete report: Multivariable models") for t in paras[:first]
    )


@pytest.mark.r
def test_r_check_verdict_names_the_stages_without_numbers(no_model):
    out, _ = no_model
    res = json.loads((out / "results.json").read_text())
    rc = res["r_check"]
    assert rc["n"] > 0 and rc["n_agree"] == rc["n"]  # baseline and univariable numbers agree
    assert "All" not in rc["verdict"]
    assert rc["verdict"].startswith(f"The {rc['n']} headline numbers that were computed agree")
    assert (
        "not checked, as these stages computed no numbers: Multivariable models and nomograms "
        "(failed: This stage failed: no multivariable model could be fitted" in rc["verdict"]
    )
    assert "Model performance (not available" in rc["verdict"]
    assert set(rc["unchecked_stages"]) == {
        "Multivariable models and nomograms",
        "Model performance",
    }


def test_no_candidate_reaching_the_entry_p_is_a_result_said_honestly(tmp_path):
    """ftv alone (univariable p about 0.4): no candidate, no model; exit 0, said plainly."""
    cfg = _study(tmp_path / "study", "{B: 20, clinical_candidates: [ftv]}")
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"), "--quiet", "--no-r")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    uni = pd.DataFrame(res["univariate"]["table"])
    assert (uni.loc[uni["predictor"] == "ftv", "p_value"] >= 0.05).all()
    assert res["failed_stages"] == {} and res["stages"]["models"] == "not available"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert (
        "no variable reached p &lt; 0.05 in the univariable analysis, so there was no candidate "
        "for a multivariable model; a result, not a failure" in html
    )


@pytest.mark.r
def test_r_error_is_its_own_result_counted_apart_and_a_shortfall(tmp_path):
    """Three checks run by real R: one agrees, one disagrees, one fails in R; a headline stage
    that computed nothing is named. The R error is neither an agreement nor a disagreement."""
    from hccstats.rbridge import run
    from hccstats.report import _s_rcheck
    from hccstats.report._context import Context, Options
    from hccstats.report._stages import stage_titles
    from hccstats.study import load
    from reports import Report

    folder = tmp_path / "study"
    folder.mkdir()
    _birthwt().to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(STUDY_YAML)
    study = load(folder / "study.yaml")
    ctx = Context(study=study, options=Options(), out=tmp_path, work=tmp_path, report=Report("x"))
    for key, title in stage_titles().items():
        if key != "rcheck":
            ctx.section(title)
            ctx.stage_status[key] = "ok"
    perf = next(s for s in ctx.report.sections if s.title == "Model performance")
    perf.status, perf.message = "failed", "This stage failed: no risk"
    ctx.stage_status["performance"] = "failed"
    y = study.data[study.outcome].to_numpy(float)
    ctx.check("baseline", "share of events", y.mean(), "mean(y)", lambda: run("mean(y)", y=y))
    ctx.check("baseline", "a wrong number", 1.0, "1 + 1", lambda: run("1 + 1"))
    ctx.check(
        "baseline", "a failing call", 0.5, "stop()", lambda: run("stop('object BCLC not found')")
    )
    result = _s_rcheck.compute(ctx)
    _s_rcheck.render(ctx, ctx.section("R cross-check"), result)
    table = result.table.set_index("quantity")
    assert list(table["result"]) == ["agree", "disagree", "R error"]
    assert list(table["agree"]) == [True, False, False]
    assert "object BCLC not found" in table.loc["a failing call", "error"]
    verdict = result.verdict
    assert verdict.startswith("Of 3 headline numbers, 1 agree with R within the stated tolerance")
    assert "; 1 do NOT agree: a wrong number;" in verdict
    assert "1 could not be computed in R (R error, not a disagreement): a failing call" in verdict
    assert (
        "; not checked, as these stages computed no numbers: Model performance (failed: " in verdict
    )
    rc = ctx.results["r_check"]
    assert (rc["n"], rc["n_agree"], rc["n_disagree"], rc["n_r_error"]) == (3, 1, 1, 1)
    assert rc["all_agree"] is False and list(rc["unchecked_stages"]) == ["Model performance"]
    assert ctx.failed["rcheck"].startswith("1 of 3 headline numbers could not be computed in R")
    from reports.formatting import format_table

    shown = ctx.report.sections[-1].blocks[-1]
    cells = format_table(shown.data, shown.formats).set_index("Quantity")
    assert list(cells["Agree"]) == ["yes", "NO", "R error"]
    assert "object BCLC not found" in cells.loc["a failing call", "R message"]


def test_a_single_training_event_is_an_alert_above_the_odds_ratios(tmp_path):
    """One event in the training cohort: the univariable table is still shown, under an alert."""
    d = _data()
    train = d.index[d["cohort"] == "train"]
    d.loc[train, "low"] = 0
    d.loc[train[5], "low"] = 1
    folder = tmp_path / "study"
    folder.mkdir()
    d.drop(columns=["flat", "marker"]).to_csv(folder / "clinical.csv", index=False)
    text = STUDY_YAML.replace(
        "split: {method: random, ratio: 0.7, stratify: true, seed: 7}", GIVEN_SPLIT
    )
    (folder / "study.yaml").write_text(text + "analysis: {B: 20}\n")
    proc = _run("--config", str(folder / "study.yaml"), "--out", str(tmp_path / "out"), "--no-r")
    assert proc.returncode == 0, proc.stderr[-3000:]
    says = "Too few events: the training set has 1 event (the fewer of events and non-events) for 8"
    assert f"warning: {says}" in proc.stderr
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert any(a.startswith(says) for a in res["alerts"]) and says in _top(tmp_path / "out")


def test_failed_validation_refits_warned_above_five_percent():
    """A binary predictor of 2 patients (one event, one not): resamples without either give a
    singular refit (about e^-2 of them); the count is the library's, the warning the report's."""
    import hccstats as hs
    from hccstats.report._calib import (
        VALIDATE_FAILED_WARN,
        internal_validation,
        internal_validation_rows,
        resamples_text,
        validation_failures,
    )

    d = _birthwt().assign(rare=0.0)
    d.loc[d.index[[0, 130]], "rare"] = 1.0
    assert d.loc[d["rare"] == 1, "low"].nunique() == 2
    v = internal_validation(hs.lrm("low ~ lwt + rare", d), B=100, seed=1, n_jobs=1)
    assert v.n_failed > VALIDATE_FAILED_WARN * 100
    iv = pd.DataFrame(internal_validation_rows("Clinical model", v))
    assert resamples_text(iv) == (
        f"B = 100 drawn; used (failed refits): Clinical model {100 - v.n_failed} ({v.n_failed})"
    )
    (alert,) = validation_failures(iv)
    assert alert.startswith(
        f"Internal validation of the Clinical model: {v.n_failed} of 100 bootstrap refits failed"
    )
    ok = internal_validation(hs.lrm("low ~ lwt", d), B=20, seed=1, n_jobs=1)
    assert ok.n_failed == 0
    assert validation_failures(pd.DataFrame(internal_validation_rows("Clinical model", ok))) == []


@pytest.mark.slow
def test_two_coinciding_models_give_identical_cox_models_not_a_crash(tmp_path):
    """Two prespecified models with the same variables on the demo cohort: the survival stage
    refits both as the same Cox model, with the same performance and net benefit."""
    from hccstats.demo import make_study

    cfg = make_study(tmp_path / "study", n=200, seed=2023, images=False)
    text = cfg.read_text()
    text = text[: text.index("\nfeatures:\n") + 1] + text[text.index("\nanalysis:") + 1 :]
    same = "[age, mvi, tumour_size]"
    cfg.write_text(
        text + f"  B: 20\n  selection: none\n  models: {{Clinical: {same}, Same: {same}}}\n"
    )
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"), "--no-r", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["stages"]["survival"] == "ok"
    perf = pd.DataFrame(res["survival"]["performance"]).set_index(["set", "model"])
    measures = perf.columns
    for part in ("training", "validation"):
        np.testing.assert_array_equal(
            perf.loc[(part, "Clinical"), measures], perf.loc[(part, "Same"), measures]
        )
    dca = pd.read_csv(tmp_path / "out" / "tables" / "table_survival_dca.csv")
    np.testing.assert_array_equal(dca["Clinical"], dca["Same"])


def test_candidates_never_recorded_together_are_said_so_not_blamed_on_the_outcome(tmp_path):
    """Two markers, each tied to the outcome but recorded for disjoint halves of the cohort:
    both significant alone, never together; the second is left out of the multivariable
    analysis with that reason (not "only one class present ([])"), the model goes on."""
    d = _data().drop(columns=["flat", "marker"])
    rng = np.random.default_rng(11)
    k = np.arange(len(d))
    signal = d["low"] * 1.5 + rng.normal(size=len(d))
    d["m1"] = np.where(k % 2 == 0, signal, np.nan)
    d["m2"] = np.where(k % 2 == 1, signal, np.nan)
    folder = tmp_path / "study"
    folder.mkdir()
    d.to_csv(folder / "clinical.csv", index=False)
    text = STUDY_YAML.replace(
        "split: {method: random, ratio: 0.7, stratify: true, seed: 7}", GIVEN_SPLIT
    )
    extra = "  m1: {type: continuous, label: Marker 1}\n  m2: {type: continuous, label: Marker 2}\n"
    (folder / "study.yaml").write_text(
        text + extra + "analysis: {B: 20, clinical_candidates: [m1, m2]}\n"
    )
    out = tmp_path / "out"
    proc = _run("--config", str(folder / "study.yaml"), "--out", str(out), "--no-r", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    uni = pd.DataFrame(res["univariate"]["table"]).set_index("predictor")
    assert (uni["p_value"] < 0.05).all()  # both candidates alone
    assert uni.loc["m2", "note"] == (
        "left out of the multivariable analysis (no training patient has all of 'm1', 'm2' "
        "recorded (listwise deletion leaves no patient))"
    )
    assert res["models"]["Clinical model"]["terms"] == ["m1"]
