"""Models validated from their published equation (``analysis.models``, a mapping): the study file's
checks at load (InputError, one line; the CLI exits 2), and the report on MASS::birthwt (logistic)
and survival::pbc (Cox, the randomised trial as the development set and the 106 other patients as
an external validation set).

Oracles: ``published_lrm`` / ``published_cox`` and the library's measures on the same patients
(results.json must hold exactly their numbers); a model fitted by the report and the same model
written as its equation (equal numbers); R through the report's cross-check, which recomputes the
published models' risks from their equation in R (r_check.csv). One report run per family.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from tests._datasets import DATASETS, birthwt

ROOT = Path(__file__).resolve().parents[1]

BINARY = """\
name: birthwt, a published model
seed: 7
clinical: {file: clinical.csv, id: patient_id}
outcome: {column: low, positive: 1, label: Low birth weight}
split: {method: random, ratio: 0.7, stratify: true, seed: 7}
variables:
  age: {type: continuous, label: Age, unit: years}
  lwt: {type: continuous, label: Weight, unit: lb}
  race: {type: categorical, levels: [white, black, other], label: Race}
  smoke: {type: binary, levels: ["no", "yes"], label: Smoking}
  ptl: {type: ordinal, levels: [0, 1, 2, 3], label: Previous premature labours}
"""
FITTED = ["age", "log(lwt)", "race", "smoke"]
# an equation as a paper prints it: a spline of age at three given knots, log(lwt), race, smoking
PAPER_LRM = {
    "rcs(age, [17, 23, 30])[0]": -0.02,
    "rcs(age, [17, 23, 30])[1]": 0.015,
    "log(lwt)": -1.6,
    "race[T.black]": 1.1,
    "race[T.other]": 0.7,
    "smoke[T.yes]": 0.9,
}
PAPER_B0 = 6.5
LEVELS = {"race": ["white", "black", "other"], "smoke": ["no", "yes"]}

COX = """\
name: pbc, a published Cox model
seed: 3
clinical: {file: clinical.csv, id: patient_id}
survival: {time: days, event: death, horizon: 1826}
split: {method: column, column: cohort, training: trial, validation: other}
variables:
  age: {type: continuous, label: Age, unit: years}
  bili: {type: continuous, label: Bilirubin, unit: mg/dL}
  albumin: {type: continuous, label: Albumin, unit: g/dL}
  protime: {type: continuous, label: Prothrombin time, unit: s}
  edema: {type: continuous, label: Edema score}
"""
HORIZON = 1826.0
COX_FITTED = ["age", "log(bili)", "log(albumin)", "edema"]
# the Mayo PBC model's form (Dickson et al., Hepatology 1989), as in tests/test_published.py
PAPER_COX = {
    "age": 0.039,
    "log(bili)": 0.871,
    "log(albumin)": -2.53,
    "log(protime)": 2.38,
    "edema": 0.859,
}
PAPER_S0, PAPER_CENTRE = 0.774, 5.07


def _mapping(coef: dict, **rest) -> str:
    """A published equation as a YAML flow mapping, every number at full precision."""
    c = ", ".join(f'"{k}": {float(v)!r}' for k, v in coef.items())
    return "{coef: {" + c + "}, " + ", ".join(f"{k}: {float(v)!r}" for k, v in rest.items()) + "}"


def _birthwt_folder(root: Path, analysis: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    bw = birthwt()
    out = pd.DataFrame({"patient_id": [f"BW{i:03d}" for i in range(1, len(bw) + 1)]})
    for c in ("age", "lwt", "ptl", "low"):
        out[c] = bw[c]
    out["race"] = bw["race"].map({1: "white", 2: "black", 3: "other"})
    out["smoke"] = bw["smoke"].map({0: "no", 1: "yes"})
    out.to_csv(root / "clinical.csv", index=False)
    (root / "study.yaml").write_text(BINARY + analysis)
    return root / "study.yaml"


def _pbc_folder(root: Path, analysis: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    d = pd.read_csv(DATASETS / "pbc.csv")
    table = pd.DataFrame(
        {
            "patient_id": "P" + d["id"].astype(str),
            "days": d["time"].astype(float),
            "death": (d["status"] == 2).astype(int),
            "cohort": np.where(d["trt"].notna(), "trial", "other"),
            **{c: d[c] for c in ("age", "bili", "albumin", "protime", "edema")},
        }
    )
    table.to_csv(root / "clinical.csv", index=False)
    (root / "study.yaml").write_text(COX + analysis)
    return root / "study.yaml"


def _run(path: Path, out: Path):
    from hccstats.report import report_run

    report_run(path, out=out, quiet=True)
    return json.loads((out / "results.json").read_text())


# ---------------------------------------------------------------------------- the report, logistic


@pytest.fixture(scope="module")
def binary_report(tmp_path_factory):
    from hccstats.study import load

    root = tmp_path_factory.mktemp("published-lrm")
    base = load(_birthwt_folder(root / "base", ""))
    train = base.data[base.data["split"] == "training"]
    fit = hs.lrm("low ~ " + " + ".join(FITTED), train)
    refit = {k: v for k, v in fit.coef.items() if k != "Intercept"}
    fitted = ", ".join(f'"{t}"' for t in FITTED)
    analysis = (
        "analysis:\n  selection: none\n  bootstrap: {B: 20, seed: 1}\n  models:\n"
        f"    Fitted: [{fitted}]\n"
        f"    Fitted as equation: {_mapping(refit, intercept=fit.coef['Intercept'])}\n"
        f"    Paper: {_mapping(PAPER_LRM, intercept=PAPER_B0)}\n"
    )
    path = _birthwt_folder(root / "study", analysis)
    return path, root / "out", _run(path, root / "out")


@pytest.mark.r
@pytest.mark.slow
def test_published_logistic_numbers_are_published_lrm_s_against_the_library(binary_report):
    from hccstats.study import load

    path, out, res = binary_report
    assert res["stages"]["performance"] == "ok", res.get("errors")
    data = load(path).data
    perf = pd.DataFrame(res["performance"]["table"]).set_index(["model", "set"])
    cal = pd.DataFrame(res["performance"]["calibration_table"]).set_index(["model", "set"])
    m = hs.published_lrm(PAPER_B0, PAPER_LRM, levels=LEVELS, formula=None)
    for part in ("training", "validation"):
        d = data[data["split"] == part]  # every patient: no variable of the equation is missing
        y, risk = d["low"].to_numpy(float), m.predict_risk(d)
        ci = hs.ci_auc(hs.roc(y, risk, direction="<"))
        row = perf.loc[("Paper", part)]
        assert row["n"] == len(d)
        assert row["auc"] == pytest.approx(ci.auc, rel=1e-12)
        assert row["ci_low"] == pytest.approx(ci.low, rel=1e-12)
        v = hs.val_prob(y, risk)
        c = cal.loc[("Paper", part)]
        # fitted on none of these patients: intercept and slope in the training set too
        for key, value in (("intercept", v.intercept), ("slope", v.slope), ("brier", v.brier)):
            assert c[key] == pytest.approx(value, rel=1e-10, abs=1e-12), (part, key)
        assert np.isfinite(c["slope_ci_low"]) and np.isnan(c["le_cessie_p"])
    iv = pd.DataFrame(res["performance"]["internal_validation"])
    said = iv[iv["model"] == "Paper"]
    assert len(said) == 1 and said["index"].iloc[0].startswith("Not applicable")
    assert said["apparent"].isna().all()
    table = pd.read_csv(out / "tables" / "table_published_models.csv")
    paper = table[table["model"] == "Paper"].set_index("term")
    assert paper.loc["Intercept", "coef"] == PAPER_B0 and set(paper["source"]) == {"published"}
    assert paper.loc["race[T.black]", "label"] == "Race: black"
    assert "Paper" not in res["models"]  # never refitted: no Table 3 column, no nomogram
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "validated from the published equation" in methods


@pytest.mark.r
@pytest.mark.slow
def test_a_fitted_logistic_model_written_as_its_equation_scores_as_the_fit(binary_report):
    _, _, res = binary_report
    perf = pd.DataFrame(res["performance"]["table"]).set_index(["model", "set"])
    cal = pd.DataFrame(res["performance"]["calibration_table"]).set_index(["model", "set"])
    for part in ("training", "validation"):
        a, b = perf.loc[("Fitted", part)], perf.loc[("Fitted as equation", part)]
        for key in ("n", "auc", "ci_low", "ci_high", "threshold", "sensitivity", "specificity"):
            assert b[key] == pytest.approx(a[key], rel=1e-9), (part, key)
        a, b = cal.loc[("Fitted", part)], cal.loc[("Fitted as equation", part)]
        for key in ("brier", "emax_lowess", "s_p", "hl_p", "slope"):
            assert b[key] == pytest.approx(a[key], rel=1e-7), (part, key)


@pytest.mark.r
@pytest.mark.slow
def test_published_logistic_numbers_agree_with_r_from_the_equation(binary_report):
    _, out, res = binary_report
    rc = pd.read_csv(out / "r_check.csv")
    assert rc["agree"].all(), rc.loc[~rc["agree"], ["quantity", "hccstats", "r"]]
    mine = rc[rc["quantity"].str.contains("Paper")]
    from_equation = mine["quantity"].str.contains("risks from the published equation in R")
    assert from_equation.sum() == 8  # AUC, val.prob intercept, slope, Brier; two sets
    assert mine["quantity"].str.contains("AUC 95% CI low, Paper, validation").any()


# ---------------------------------------------------------------------------------- the report, Cox


@pytest.fixture(scope="module")
def cox_report(tmp_path_factory):
    from hccstats.study import load

    root = tmp_path_factory.mktemp("published-cox")
    base = load(_pbc_folder(root / "base", ""))
    train = base.data[base.data["split"] == "training"].dropna(subset=["age", "bili", "albumin"])
    fit = hs.coxph("Surv(days, death) ~ " + " + ".join(COX_FITTED), train)
    s0 = float(np.exp(-fit.cumulative_hazard([HORIZON])[0]))
    centre = float(np.sum(fit.coef.to_numpy() * fit.means.to_numpy()))
    fitted = ", ".join(f'"{t}"' for t in COX_FITTED)
    analysis = (
        "analysis:\n  selection: none\n  bootstrap: {B: 20, seed: 1}\n  models:\n"
        f"    Fitted: [{fitted}]\n"
        f"    Fitted as equation: {_mapping(dict(fit.coef), baseline_survival=s0, centre=centre)}\n"
        f"    Mayo 1989: {_mapping(PAPER_COX, baseline_survival=PAPER_S0, centre=PAPER_CENTRE)}\n"
    )
    path = _pbc_folder(root / "study", analysis)
    return path, root / "out", _run(path, root / "out")


@pytest.mark.r
@pytest.mark.slow
def test_published_cox_numbers_are_published_cox_s_against_the_library(cox_report):
    from hccstats.study import load
    from hccstats.survival import brier_score, concordance, td_auc

    path, out, res = cox_report
    assert res["stages"]["cox"] == "ok", res.get("errors")
    data = load(path).data
    perf = pd.DataFrame(res["cox"]["performance"]).set_index(["model", "set"])
    m = hs.published_cox(PAPER_COX, times=HORIZON, baseline_survival=PAPER_S0, centre=PAPER_CENTRE)
    for part in ("training", "validation"):
        d = data[data["split"] == part].dropna(subset=["protime"])
        t, e = d["days"].to_numpy(float), d["death"].to_numpy(float)
        x = m.predict_risk(d, times=HORIZON)
        row = perf.loc[("Mayo 1989", part)]
        # log(-log S0) + lp: exact where a risk rounds to 1 (one patient here)
        v = hs.val_surv(time=t, event=e, cloglog=m.cloglog(d, times=HORIZON), times=HORIZON)
        b = brier_score(t, e, x, HORIZON)
        expected = {
            "n": len(d),
            "harrell_c": concordance(time=t, event=e, score=x, reverse=True).concordance,
            "td_auc": td_auc(t, e, x, times=[HORIZON]).table.iloc[0]["auc"],
            "oe": v.oe,
            "slope": v.slope,
            "ici": v.ici,
            "brier": b.brier,
            "ipa": b.ipa,
        }
        for key, value in expected.items():
            assert row[key] == pytest.approx(float(value), rel=1e-12), (part, key)
    assert res["cox"]["published"]["Mayo 1989"]["baseline_survival"] == PAPER_S0
    iv = pd.DataFrame(res["cox"]["internal_validation"]["table"])
    said = iv[iv["model"] == "Mayo 1989"]  # the fitted model is bootstrapped, this one not
    assert len(said) == 1 and said["index"].iloc[0].startswith("Not applicable")
    assert said["apparent"].isna().all() and (iv.loc[iv["model"] == "Fitted", "B"] == 20).all()
    table = pd.read_csv(out / "tables" / "table_published_models.csv")
    assert set(table.loc[table["model"] == "Mayo 1989", "term"]) >= {"S0(1826)", "centre"}


@pytest.mark.r
@pytest.mark.slow
def test_a_cox_fit_written_as_its_equation_scores_as_the_fit(cox_report):
    _, _, res = cox_report
    perf = pd.DataFrame(res["cox"]["performance"]).set_index(["model", "set"])
    for part in ("training", "validation"):
        a, b = perf.loc[("Fitted", part)], perf.loc[("Fitted as equation", part)]
        for key in ("n", "harrell_c", "uno_c", "td_auc", "oe", "slope", "ici", "e90", "brier"):
            assert b[key] == pytest.approx(a[key], rel=1e-8), (part, key)


@pytest.mark.r
@pytest.mark.slow
def test_published_cox_numbers_agree_with_r_from_the_equation(cox_report):
    _, out, res = cox_report
    rc = pd.read_csv(out / "r_check.csv")
    assert rc["agree"].all(), rc.loc[~rc["agree"], ["quantity", "hccstats", "r"]]
    mine = rc[rc["quantity"].str.contains("Mayo 1989")]
    assert mine["quantity"].str.contains("risks from the published equation in R").sum() == 6
    assert not rc["quantity"].str.contains("HR, .*Mayo 1989", regex=True).any()  # not refitted


# ------------------------------------------------------------------------------ the checks at load

BAD_BINARY = [
    ("{coef: {weight: 0.1}, intercept: 1}", "model 'Pub': 'weight' is not declared"),
    ('{coef: {"log(race)": 0.1}, intercept: 1}', "log() needs a numeric variable"),
    ('{coef: {"rcs(age, 3)[0]": 0.1, "rcs(age, 3)[1]": 0.1}, intercept: 1}', "published knots"),
    ('{coef: {"race[T.black]": 1.0}, intercept: 1}', "no coefficient for ['race[T.other]']"),
    ("{coef: {race: 1.0}, intercept: 1}", "no coefficient for ['race[T.black]', 'race[T.other]']"),
    ("{coef: {age: 0.1}}", "missing intercept of its logistic equation"),
    ("{coef: {age: high}, intercept: 1}", "coef['age']: expected a number, got 'high'"),
    ("{coef: {age: 0.1}, baseline_survival: 0.8}", "a Cox equation (baseline_survival) in a"),
    ("{coef: {age: 0.1}, intercept: 1, slope: 1}", "unknown key 'slope'"),
    ("{coef: {low: 0.1}, intercept: 1}", "'low' is the outcome"),
]
BAD_COX = [
    ("{coef: {age: 0.1}}", "missing baseline_survival (S0 at the horizon 1826)"),
    ("{coef: {age: 0.1}, baseline_survival: 1.2}", "strictly between 0 and 1, got 1.2"),
    ("{coef: {age: 0.1}, baseline_survival: 0}", "strictly between 0 and 1, got 0"),
    ("{coef: {age: 0.1}, intercept: -2}", "a logistic equation (intercept) in a survival-only"),
    ("{coef: {age: 0.1}, baseline_survival: 0.8, centre: x}", "centre: expected a number"),
]


@pytest.mark.parametrize(("equation", "message"), BAD_BINARY + BAD_COX)
def test_a_bad_published_equation_is_one_line_at_load(tmp_path, equation, message):
    from hccstats.study import load

    folder = _pbc_folder if (equation, message) in BAD_COX else _birthwt_folder
    path = folder(tmp_path, f"analysis:\n  models:\n    Pub: {equation}\n")
    with pytest.raises(InputError) as err:
        load(path)
    text = str(err.value)
    assert message in text and text.startswith("study.yaml: analysis.models"), text
    assert "\n" not in text


@pytest.mark.parametrize("case", [BAD_BINARY[0], BAD_COX[1]])
def test_a_bad_published_equation_exits_2_with_one_line(tmp_path, case):
    equation, message = case
    folder = _pbc_folder if case in BAD_COX else _birthwt_folder
    path = folder(tmp_path / "study", f"analysis:\n  models:\n    Pub: {equation}\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hccstats.report",
            "--config",
            str(path),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "o").exists()


def test_a_published_model_alone_is_enough_for_selection_none(tmp_path):
    from hccstats.study import load

    eq = _mapping(PAPER_LRM, intercept=PAPER_B0)
    study = load(
        _birthwt_folder(tmp_path, f"analysis:\n  selection: none\n  models:\n    P: {eq}\n")
    )
    spec = study.config["analysis"]["published"]["P"]
    assert "models" not in study.config["analysis"]  # nothing to fit
    assert spec.kind == "logistic" and spec.intercept == PAPER_B0
    assert spec.terms == ["rcs(age, [17, 23, 30])", "log(lwt)", "race", "smoke"]


@pytest.mark.r
@pytest.mark.slow
def test_external_validation_every_patient_a_validation_patient(tmp_path):
    from hccstats.report import report_run
    from hccstats.study import load

    eq = _mapping(PAPER_LRM, intercept=PAPER_B0)
    path = _birthwt_folder(
        tmp_path / "study", f"analysis:\n  selection: none\n  models:\n    Paper: {eq}\n"
    )
    text = path.read_text().replace(
        "split: {method: random, ratio: 0.7, stratify: true, seed: 7}",
        "split: {method: column, column: cohort, training: development, validation: external}",
    )
    path.write_text(text)
    table = pd.read_csv(path.parent / "clinical.csv").assign(cohort="external")
    table.to_csv(path.parent / "clinical.csv", index=False)
    report_run(path, out=tmp_path / "out", quiet=True)
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["stages"]["performance"] == "ok", res.get("errors")
    assert not res["failed_stages"], res["failed_stages"]  # the R check included
    rc = pd.read_csv(tmp_path / "out" / "r_check.csv")
    assert rc["agree"].all() and rc["quantity"].str.contains("equation in R").sum() == 4
    perf = pd.DataFrame(res["performance"]["table"])
    assert list(perf["set"]) == ["validation"]
    d = load(path).data
    risk = hs.published_lrm(PAPER_B0, PAPER_LRM, levels=LEVELS).predict_risk(d)
    y = d["low"].to_numpy(float)
    assert perf["auc"].iloc[0] == pytest.approx(hs.roc(y, risk, direction="<").auc, rel=1e-12)
    assert res["performance"]["dca_n"] == {"validation": len(d)}
    # the Youden cut-off of the only set there is
    best = hs.coords(hs.roc(y, risk, direction="<"), "best", best_method="youden")[0]
    assert perf["threshold"].iloc[0] == pytest.approx(best.threshold, rel=1e-12)
