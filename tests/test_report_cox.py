"""A survival-only study (``survival:`` without ``outcome:``) on survival::pbc's 312 trial
patients: the report exits 0, its models are Cox models equal to ``hs.coxph`` on the same
patients, its performance numbers are the library's on the same predictions, and every Cox
number the report cross-checks agrees with R (r_check.csv). One report run shared by the tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError

PBC = Path(__file__).parent / "reference" / "datasets" / "pbc.csv"
HORIZON = 5.0  # years
PRESPECIFIED = ["age", "bili", "albumin", "edema"]

STUDY = f"""name: pbc-cox
seed: 11
clinical: {{file: clinical.csv, id: patient_id}}
survival: {{time: years, event: death, horizon: {HORIZON:g}}}
variables:
  age: {{type: continuous, label: Age, unit: years}}
  bili: {{type: continuous, label: Bilirubin, unit: mg/dL}}
  albumin: {{type: continuous, label: Albumin, unit: g/dL}}
  edema: {{type: continuous, label: Edema score}}
  protime: {{type: continuous, label: Prothrombin time, unit: s}}
  sex: {{type: categorical, levels: [m, f], label: Sex}}
analysis:
  models:
    Mayo: [{", ".join(PRESPECIFIED)}]
"""


def write_study(root: Path, yaml_text: str = STUDY) -> Path:
    """pbc's trial patients as a study folder; two patients lack their follow-up time."""
    root.mkdir(parents=True, exist_ok=True)
    d = pd.read_csv(PBC).iloc[:312]
    table = pd.DataFrame(
        {
            "patient_id": "P" + d["id"].astype(str),
            "years": d["time"] / 365.25,
            "death": (d["status"] == 2).astype(int),
            **{c: d[c] for c in ("age", "bili", "albumin", "edema", "protime", "sex")},
        }
    )
    table.loc[[3, 7], "years"] = np.nan
    table.to_csv(root / "clinical.csv", index=False)
    (root / "study.yaml").write_text(yaml_text)
    return root / "study.yaml"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("cox-report")
    path = write_study(root / "study")
    out = root / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "hccstats.report", "--config", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    return path, out, proc


def test_study_file_survival_without_outcome(tmp_path):
    from hccstats.study import load

    study = load(write_study(tmp_path / "ok"))
    assert study.survival_only and study.outcome == "death"
    flow = study.flow.set_index("step")
    assert flow.loc["excluded", "reason"] == "missing survival time (years)"
    assert flow.loc["excluded", "n"] == 2 and flow.loc["included", "n"] == 310
    # censored before the horizon: still in the analysis
    early = study.data[(study.data["death"] == 0) & (study.data["years"] < HORIZON)]
    assert len(early) > 0
    assert study.data.groupby("split")["death"].sum().gt(0).all()  # stratified by the event

    bad = STUDY.replace(f"survival: {{time: years, event: death, horizon: {HORIZON:g}}}\n", "")
    with pytest.raises(InputError, match=r"study.yaml: outcome: missing: give outcome") as err:
        load(write_study(tmp_path / "bad", bad))
    assert "\n" not in str(err.value)


@pytest.mark.r
@pytest.mark.slow
def test_cox_report_runs_and_agrees_with_r(report):
    _, out, proc = report
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["cox"] == "ok", res.get("errors")
    assert not res.get("failed_stages")
    assert set(res["cox"]["nomogram"]) == {"Clinical model", "Mayo"}
    for binary in ("univariate", "models", "performance"):
        assert res["stages"][binary] == "not available"
    # ... and not in the report: the methods name them once
    methods = (out / "methods.md").read_text(encoding="utf-8")
    said = re.search(r"Not part of this study: [^.]*\.", methods)
    assert said and "logistic models (no binary outcome)" in said.group(0), methods
    page = (out / "report.html").read_text(encoding="utf-8")
    sections = re.findall(r"<h2>\d+\. ([^<]+)", page)
    assert "Cox models of the time to the event" in sections
    assert not {"Univariable analysis and collinearity", "Model performance"} & set(sections)
    assert 'class="status' not in page  # no "not available" box
    rc = pd.read_csv(out / "r_check.csv")
    cox = rc[rc["stage"] == "cox"]
    kinds = ("Cox Clinical model: HR", "Cox Mayo: HR", "Harrell's C", "Uno's C", "O/E", "AUC at 5")
    for kind in kinds:
        assert cox["quantity"].str.contains(kind, regex=False).any(), kind
    assert cox["quantity"].str.contains("Calibration slope").any()
    assert cox["quantity"].str.contains("Log-rank p, Clinical model risk groups").any()
    for name in ("fig_km_training", "fig_km_validation", "fig_cox_calibration_dca"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 20_000
    for part in ("training", "validation"):
        assert (out / "tables" / f"table_cox_performance_{part}.csv").is_file()
    assert cox["agree"].all(), cox.loc[~cox["agree"], ["quantity", "hccstats", "r"]]
    # the binary-outcome stages are not asked for: the verdict is whole
    assert res["r_check"]["verdict"].startswith(f"All {len(rc)} headline numbers agree with R")


@pytest.mark.r
def test_cox_nomograms_drawn_by_rms_at_the_horizon_and_checked_in_r(report):
    from _pdf import read_pdf_figure

    _, out, proc = report
    res = json.loads((out / "results.json").read_text())
    page = (out / "report.html").read_text(encoding="utf-8")
    rc = pd.read_csv(out / "r_check.csv")
    for name in ("Clinical model", "Mayo"):
        drawn = res["cox"]["nomogram"][name]
        assert drawn["engines"] == ["r"], drawn  # the default layout: rms's drawing
        pdf = out / "figures" / f"{drawn['figures'][0]}.pdf"
        fig = read_pdf_figure(pdf)
        assert fig.width_pt == pytest.approx(17.5 / 2.54 * 72, abs=0.5)  # a double column
        assert min(fig.font_sizes) >= 7.0 - 1e-9
        assert f"{name} nomogram: survival probability by {HORIZON:g} of the Cox" in page
        # the native engine's points equal rms's: its scale and every survival tick
        checks = rc[rc["quantity"].str.startswith(f"Cox nomogram {name}: ")]
        assert checks["quantity"].str.contains("points per unit of linear predictor").any()
        assert checks["quantity"].str.contains("total points at survival").sum() >= 3
        assert checks["agree"].all(), checks[["quantity", "hccstats", "r"]]
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert f"Each model's nomogram gives the survival probability by {HORIZON:g} (rms::" in methods
    # the survival axis is titled with the horizon (no unit declared for 'years')
    points = pd.DataFrame(res["cox"]["nomogram"]["Mayo"]["points"])
    assert set(points.loc[points["kind"] == "survival", "axis"]) == {
        f"Survival probability at {HORIZON:g}"
    }


@pytest.mark.slow
def test_cox_models_and_performance_are_the_library_s(report):
    from hccstats.study import load
    from hccstats.survival import brier_score, concordance, td_auc, val_surv

    path, out, proc = report
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())["cox"]
    data = load(path).data
    hrs = pd.DataFrame(res["hazard_ratios"])
    perf = pd.DataFrame(res["performance"]).set_index(["model", "set"])
    assert set(res["models"]) == {"Clinical model", "Mayo"}
    assert res["models"]["Mayo"] == PRESPECIFIED
    for name, terms in res["models"].items():
        used = data.dropna(subset=[*terms, "years", "death"])
        train = used[used["split"] == "training"]
        fit = hs.coxph("Surv(years, death) ~ " + " + ".join(terms), train)
        mine = hrs[hrs["model"] == name].set_index("term")
        lib = fit.hazard_ratios().set_index("term")
        np.testing.assert_allclose(mine.loc[lib.index, "estimate"], lib["estimate"], rtol=1e-10)
        np.testing.assert_allclose(mine.loc[lib.index, "p_value"], lib["p_value"], rtol=1e-8)
        for part in ("training", "validation"):
            d = used[used["split"] == part]
            t, e = d["years"].to_numpy(float), d["death"].to_numpy(float)
            x = fit.predict_risk(d, times=HORIZON)
            row = perf.loc[(name, part)]
            c = concordance(time=t, event=e, score=x, reverse=True)
            uno = concordance(time=t, event=e, score=x, reverse=True, timewt="n/G2", ymax=HORIZON)
            auc = td_auc(t, e, x, times=[HORIZON]).table.iloc[0]
            v = val_surv(fit, d, times=HORIZON)
            b = brier_score(t, e, x, HORIZON)
            expected = {
                "harrell_c": c.concordance,
                "harrell_c_low": c.conf_int().low,
                "uno_c": uno.concordance,
                "td_auc": auc["auc"],
                "td_auc_high": auc["ci_high"],
                "oe": v.oe,
                "slope": v.slope,
                "slope_low": v.slope_ci.low,
                "ici": v.ici,
                "emax": v.emax,
                "brier": b.brier,
                "ipa": b.ipa,
                "ipa_high": b.ipa_ci.high,
            }
            for key, value in expected.items():
                assert row[key] == pytest.approx(float(value), rel=1e-12), (name, part, key)
            assert row["n"] == len(d) and row["events"] == d["death"].sum()


@pytest.mark.slow
def test_no_significant_variable_is_a_result_not_a_failure(tmp_path):
    from hccstats.report import report_run

    only_sex = STUDY.split("variables:")[0] + (
        "variables:\n  sex: {type: categorical, levels: [m, f], label: Sex}\n"
    )
    run = report_run(
        write_study(tmp_path / "study", only_sex), out=tmp_path / "out", use_r=False, quiet=True
    )
    res = json.loads((run.out / "results.json").read_text())
    assert res["stages"]["cox"] == "ok" and not res["failed_stages"]
    assert res["cox"]["no_model"] == (
        "No multivariable Cox model: no variable reached p < 0.05 in the univariable Cox "
        "analysis, and the study file prespecifies none (analysis.models); a result, not a "
        "failure."
    )
    screen = pd.DataFrame(res["cox"]["univariable"])
    assert list(screen["predictor"]) == ["sex"] and screen["p_value"].iloc[0] > 0.05
