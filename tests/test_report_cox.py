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
from test_report_pipeline import finish, started_report

import hccstats as hs
from hccstats import InputError

PBC = Path(__file__).parent / "reference" / "datasets" / "pbc.csv"
HORIZON = 5.0  # years
PRESPECIFIED = ["age", "bili", "albumin", "edema"]
B, BOOT_SEED = 40, 5  # the internal validation's bootstrap (not the study seed, 11)

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
  bootstrap: {{B: {B}, seed: {BOOT_SEED}}}
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


LAST = 10.0  # years: the last follow-up of the study censored there


@pytest.fixture(scope="module")
def horizon_run(tmp_path_factory):
    """The study censored at 10 years, its horizon 10, started before the module's report run
    (on two cores their single-threaded stages overlap): (study.yaml, out, process, patients
    censored at 10)."""
    # administrative censoring at 10 years: everyone still followed then is censored at 10,
    # and the horizon is 10 (the last follow-up time, as rms allows)
    root = tmp_path_factory.mktemp("cox-horizon")
    path = write_study(root / "study", STUDY.replace(f"horizon: {HORIZON:g}", f"horizon: {LAST:g}"))
    clinical = pd.read_csv(path.parent / "clinical.csv")
    late = clinical["years"] > LAST
    clinical.loc[late, ["years", "death"]] = [LAST, 0]
    clinical.to_csv(path.parent / "clinical.csv", index=False)
    out = root / "out"
    env = {**os.environ, "PYTHONUTF8": "1"}
    with started_report("--config", str(path), "--out", str(out), env=env) as proc:
        yield path, out, proc, int(late.sum())


@pytest.fixture(scope="module")
def report(tmp_path_factory, horizon_run):
    """The module's report run (horizon_run started beside it): (study.yaml, out, process)."""
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
    kinds = (
        "Cox Clinical model: HR", "Cox Mayo: HR", "Harrell's C", "Uno's C", "O/E", "AUC at 5",
        "Brier score at 5", "IPA at 5", "Cox Clinical model: C (apparent, validate)",
        "Cox Mayo: calibration slope (apparent, validate)",
    )  # fmt: skip
    for kind in kinds:
        assert cox["quantity"].str.contains(kind, regex=False).any(), kind
    assert cox["quantity"].str.contains("Calibration slope").any()
    assert cox["quantity"].str.contains("Log-rank p, Clinical model risk groups").any()
    for name in (
        "fig_km_training", "fig_km_validation", "fig_cox_calibration_dca",
        "fig_cox_calibration_bootstrap",
    ):  # fmt: skip
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


@pytest.mark.r
@pytest.mark.slow
def test_cox_internal_validation_uses_the_plan_s_bootstrap(report):
    from hccstats.study import load
    from hccstats.survival import calibrate

    path, out, proc = report
    assert proc.returncode == 0, proc.stderr
    iv = json.loads((out / "results.json").read_text())["cox"]["internal_validation"]
    assert (iv["B"], iv["seed"]) == (B, BOOT_SEED)  # analysis.bootstrap, not the study seed
    assert iv["selection_repeated"] == ["Clinical model"]  # the stepwise model, not Mayo
    assert set(iv["selection_frequency"]["Clinical model"]) == {
        "age",
        "bili",
        "albumin",
        "edema",
        "protime",
    }
    table = pd.DataFrame(iv["table"]).set_index(["model", "index"])
    assert (table["B"] == B).all() and (table["n_failed"] == 0).all()
    # Mayo's numbers are the library's: validate and calibrate with the plan's B and seed
    data = load(path).data.dropna(subset=[*PRESPECIFIED, "years", "death"])
    train = data[data["split"] == "training"]
    fit = hs.coxph("Surv(years, death) ~ " + " + ".join(PRESPECIFIED), train)
    v = hs.validate(fit, B=B, seed=BOOT_SEED).table
    mayo = table.loc["Mayo"]
    assert mayo.loc["Harrell's C", "corrected"] == pytest.approx(
        0.5 + v.loc["Dxy", "index_corrected"] / 2, rel=1e-12
    )
    assert mayo.loc["Calibration slope", "corrected"] == pytest.approx(
        v.loc["Slope", "index_corrected"], rel=1e-12
    )
    assert 0 < mayo.loc["Calibration slope", "corrected"] < 1
    cal = calibrate(fit, HORIZON, B=B, m=50, seed=BOOT_SEED)
    curve = pd.DataFrame(iv["calibration"]["Mayo"])
    np.testing.assert_allclose(curve["observed_corrected"], cal.table["observed_corrected"])
    mean = f"Mean absolute calibration error at {HORIZON:g}"
    assert 0 < mayo.loc[mean, "corrected"] < 0.2
    # the errors: each patient's predicted survival against the curve read there (R's approx)
    from hccstats.rbridge import run

    t = cal.table
    r = run(
        "e <- abs(p - approx(x, y, xout = p, rule = 2)$y); unname(c(mean(e), quantile(e, 0.9)))",
        p=cal.predicted, x=t["predicted"].to_numpy(), y=t["observed_corrected"].to_numpy(),
    )  # fmt: skip
    r = np.asarray(r, float)
    q90 = f"90th percentile of absolute calibration error at {HORIZON:g}"
    assert mayo.loc[mean, "corrected"] == pytest.approx(float(r[0]), rel=1e-10)
    assert mayo.loc[q90, "corrected"] == pytest.approx(float(r[1]), rel=1e-10)
    assert mayo.loc[mean, "optimism"] == pytest.approx(
        mayo.loc[mean, "apparent"] - mayo.loc[mean, "corrected"], rel=1e-12
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Resamples used (failed)" in page and f"{B} (0)" in page
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert f"with {B} bootstrap resamples (seed {BOOT_SEED}" in methods


def test_failed_refits_above_5_percent_are_alerted():
    from hccstats.report._cox_internal import internal_rows, refit_alerts
    from hccstats.survival import calibrate

    # a binary column with 2 patients at 1: most resamples make it constant (a singular refit)
    d = pd.read_csv(PBC).iloc[:312].assign(death=lambda x: (x["status"] == 2).astype(int))
    d["rare"] = 0
    d.loc[d.index[:2], "rare"] = 1
    fit = hs.coxph("Surv(time, death) ~ np.log(bili) + rare", d)
    v, c = hs.validate(fit, B=20, seed=1), calibrate(fit, 1826.0, B=20, m=60, seed=1)
    table = pd.DataFrame(internal_rows("Rare model", v, c, 1826.0))
    assert v.n_failed > 1
    alerts = refit_alerts(table)
    assert alerts[0].startswith(f"Internal validation of the Rare model: {v.n_failed} of 20 ")
    ok = table.assign(n_failed=1)  # 1 of 20: 5%, not above
    assert refit_alerts(ok) == []


@pytest.mark.r
@pytest.mark.slow
def test_horizon_at_the_last_follow_up_gives_every_measure(horizon_run):
    path, out, proc, late = horizon_run
    last = LAST
    clinical = pd.read_csv(path.parent / "clinical.csv")
    assert late > 10 and clinical["years"].max() == last
    proc = finish(proc)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["cox"] == "ok" and not res["failed_stages"]
    cox = res["cox"]
    assert cox["horizon"] == last
    perf = pd.DataFrame(cox["performance"])
    measures = [c for c in perf.columns if c not in ("model", "set")]
    assert len(perf) == 4 and perf[measures].notna().all().all(), perf[measures].isna().sum()
    iv = pd.DataFrame(cox["internal_validation"]["table"])
    assert iv[["apparent", "optimism", "corrected"]].notna().all().all()
    assert {r["set"] for r in cox["km_risk_groups"]} == {"training", "validation"}
    for name in ("fig_cox_calibration_dca", "fig_cox_calibration_bootstrap"):
        assert (out / "figures" / f"{name}.png").is_file()
    rc = pd.read_csv(out / "r_check.csv")
    assert rc["agree"].all(), rc.loc[~rc["agree"], ["quantity", "hccstats", "r"]]
    assert rc["quantity"].str.contains(f"Brier score at {last:g}").any()


@pytest.mark.slow
def test_cox_decision_curves_have_numbers_at_the_threshold_grid(report):
    _, out, proc = report
    assert proc.returncode == 0, proc.stderr
    dca = json.loads((out / "results.json").read_text())["cox"]["dca"]
    grid = np.arange(0, 61) / 100  # analysis.dca_thresholds by default: 0 to 0.6 by 0.01
    np.testing.assert_allclose(dca["thresholds"], grid)
    for part in ("training", "validation"):
        table = pd.DataFrame(dca["tables"][part])
        for model in ("Clinical model", "Mayo", "Treat all", "Treat none"):
            np.testing.assert_allclose(table.loc[table["model"] == model, "threshold"], grid)
    shown = pd.read_csv(out / "tables" / "table_cox_dca.csv")
    np.testing.assert_allclose(sorted(set(shown["threshold"])), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
