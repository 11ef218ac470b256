"""The report's statistical alerts on R's survival::veteran (137 lung-cancer patients): death
within 100 days as the binary outcome beside the survival time, split by a given column.

Two real runs of ``python -m hccstats.report`` (B = 20): one whose models nest (age and prior
therapy inside a model that adds the Karnofsky score and cell type, whose Cox model breaks
proportional hazards, cox.zph being the textbook example on these data) and one whose models
do not nest. Each alert is checked against the numbers the same run wrote to results.json
(p < 0.05, a CI that excludes its ideal value), in both directions, never against typed-in values;
the likelihood-ratio test beside the nested DeLong test is checked against R's
``anova(glm_small, glm_big, test = "LRT")`` through the report's own cross-check.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report_pipeline import finish, started_report

VETERAN_YAML = """\
name: Veterans' lung cancer (survival::veteran)
seed: 3
clinical: {{file: clinical.csv, id: patient_id}}
outcome: {{column: early, positive: 1, label: Death within 100 days}}
split: {{column: cohort, training: train, validation: test}}
survival: {{time: days, event: died, horizon: 100}}
variables:
  age: {{type: continuous, label: Age, unit: years}}
  karno: {{type: continuous, label: Karnofsky score}}
  celltype: {{type: categorical, levels: [squamous, smallcell, adeno, large], label: Cell type}}
  prior: {{type: binary, levels: ["no", "yes"], label: Prior therapy}}
  diagtime: {{type: continuous, label: Months from diagnosis, unit: months}}
  days: {{type: continuous, label: Survival time, unit: days}}
analysis:
  selection: none
  clinical_candidates: [age, karno, celltype, prior, diagtime]
  B: 20
  models: {models}
"""
NESTED = "{Base model: [age, prior], Full model: [karno, celltype, age, prior]}"
APART = "{Performance model: [karno, celltype], Demographic model: [age, diagtime]}"


def _veteran(split: str) -> pd.DataFrame:
    from hccstats.rbridge import r_available, run

    if not r_available("survival"):
        pytest.skip("R with survival is needed to build the veteran study")
    v = run("survival::veteran").reset_index(drop=True)
    out = pd.DataFrame({"patient_id": [f"V{i:03d}" for i in range(1, len(v) + 1)]})
    out["age"] = v["age"].to_numpy()
    out["karno"] = v["karno"].to_numpy()
    out["celltype"] = v["celltype"].astype(str).to_numpy()
    out["prior"] = np.where(v["prior"].to_numpy() == 10, "yes", "no")
    out["diagtime"] = v["diagtime"].to_numpy()
    out["days"] = v["time"].to_numpy()
    out["died"] = v["status"].astype(int).to_numpy()
    out["early"] = ((out["days"] <= 100) & (out["died"] == 1)).astype(int)
    i = np.arange(len(out))
    by_cell = (out["celltype"].isin(["smallcell", "adeno"]) & (i % 2 == 0)) | (i % 5 == 0)
    # every third patient; or a validation set enriched in small-cell and adeno carcinomas
    test = by_cell if split == "cell" else i % 3 == 0
    out["cohort"] = np.where(test, "test", "train")
    return out


def _write(root: Path, models: str, split: str) -> list[str]:
    """The veteran study in ``root``: the report's arguments, its output in ``root/out``."""
    root.mkdir(parents=True)
    _veteran(split).to_csv(root / "clinical.csv", index=False)
    (root / "study.yaml").write_text(VETERAN_YAML.format(models=models))
    return ["--config", str(root / "study.yaml"), "--out", str(root / "out")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both runs started at once (on two cores their single-threaded stages overlap): the nested
    and the apart run, each (output folder, completed process)."""
    root = tmp_path_factory.mktemp("veteran")
    nested_args = _write(root / "nested", NESTED, "thirds")
    apart_args = _write(root / "apart", APART, "cell")
    done = []
    with started_report(*nested_args) as first, started_report(*apart_args) as second:
        for name, started in (("nested", first), ("apart", second)):
            proc = finish(started)
            assert proc.returncode == 0, proc.stderr[-3000:]
            done.append((root / name / "out", proc))
    return done


@pytest.fixture(scope="module")
def nested(runs):
    """Clinical model inside the full model; the full model's Cox model breaks PH."""
    return runs[0]


@pytest.fixture(scope="module")
def apart(runs):
    """Two models that share no term; a validation set with more high-risk cell types."""
    return runs[1]


def _results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def _top(out: Path) -> str:
    page = (out / "report.html").read_text(encoding="utf-8")
    return page[: page.index('<nav class="toc">')]


def _alerted(run, start: str) -> list[str]:
    """The alerts starting with ``start``, each also on stderr and atop report.html."""
    out, proc = run
    found = [a for a in _results(out)["alerts"] if a.startswith(start)]
    for a in found:
        assert f"warning: {a}" in proc.stderr
        assert html.escape(a.split(":")[0]) in _top(out)
    return found


def _calibration(out: Path) -> pd.DataFrame:
    return pd.DataFrame(_results(out)["performance"]["calibration_table"])


@pytest.mark.r
def test_ph_alert_follows_the_cox_zph_global_p_checked_in_r(nested, apart):
    seen = {}
    for run in (nested, apart):
        out = run[0]
        ph = pd.DataFrame(_results(out)["survival"]["ph_test"])
        glob = ph[ph["term"] == "GLOBAL"].set_index("model")
        alerts = _alerted(run, "Proportional hazards violated")
        rc = pd.read_csv(out / "r_check.csv")
        for model, r in glob.iterrows():  # each logistic model's predictors as a Cox model
            mine = [a for a in alerts if f"Cox model of the {model}'s predictors" in a]
            assert len(mine) == int(r["p_value"] < 0.05), (model, r["p_value"], alerts)
            if mine:
                assert f"df = {int(r['df'])}" in mine[0] and "cox.zph" in mine[0]
            row = rc[rc["quantity"] == f"PH test (cox.zph, km) global p, Cox {model}"]
            assert len(row) == 1 and bool(row["agree"].iloc[0]), row
            seen[model] = r["p_value"] < 0.05
        assert len(alerts) == int(glob["p_value"].lt(0.05).sum())
    # karno and cell type break PH; age, prior therapy and diagnosis time do not
    assert seen == {
        "Base model": False,
        "Full model": True,
        "Performance model": True,
        "Demographic model": False,
    }


@pytest.mark.r
def test_misfit_alert_follows_hosmer_lemeshow_and_le_cessie_p(nested, apart):
    flagged, quiet = set(), set()
    for run in (nested, apart):
        cal = _calibration(run[0])
        alerts = _alerted(run, "Misfit of the ")
        for _, r in cal[cal["set"] == "training"].iterrows():
            bad = (r["hl_p"] < 0.05) or (r["le_cessie_p"] < 0.05)
            says = [a for a in alerts if a.startswith(f"Misfit of the {r['model']} in")]
            assert len(says) == int(bad), (r["model"], r["hl_p"], r["le_cessie_p"])
            (flagged if bad else quiet).add(r["model"])
    assert flagged and quiet


@pytest.mark.r
def test_validation_calibration_alert_follows_slope_and_citl_cis_checked_in_r(nested, apart):
    kinds, quiet = set(), 0
    for run in (nested, apart):
        cal = _calibration(run[0])
        alerts = _alerted(run, "Miscalibration of the ")
        for _, r in cal[cal["set"] == "validation"].iterrows():
            slope = not (r["slope_ci_low"] <= 1 <= r["slope_ci_high"])
            citl = not (r["citl_ci_low"] <= 0 <= r["citl_ci_high"])
            says = [a for a in alerts if a.startswith(f"Miscalibration of the {r['model']} in")]
            assert len(says) == int(slope or citl), r["model"]
            if says:
                assert ("calibration slope" in says[0]) == slope
                assert ("calibration-in-the-large" in says[0]) == citl
            kinds |= {k for k, on in (("slope", slope), ("citl", citl)) if on}
            quiet += not (slope or citl)
        rc = pd.read_csv(run[0] / "r_check.csv")
        rows = rc[rc["quantity"].str.startswith("calibration-in-the-large")]
        assert len(rows) == 3 * 2 and rows["agree"].all(), rows  # value, low, high × 2 models
    assert kinds == {"slope", "citl"} and quiet


@pytest.mark.r
def test_delong_of_nested_models_is_an_alert_with_the_lr_test_against_r_anova(nested, apart):
    out, proc = nested
    alerts = _alerted(nested, "DeLong test of nested models")
    assert len(alerts) == 1 and "Base model's terms are a subset of the Full model's" in (alerts[0])
    lrt = pd.DataFrame(_results(out)["performance"]["nested_lrt"]).iloc[0]
    assert (lrt["smaller"], lrt["larger"], int(lrt["df"])) == ("Base model", "Full model", 4)
    assert f"chi-square = {lrt['chisq']:.2f}, df = 4" in alerts[0]
    rc = pd.read_csv(out / "r_check.csv")
    rows = rc[rc["quantity"].str.startswith("LR test")]
    assert len(rows) == 2 and rows["agree"].all(), rows
    assert 'anova(glm(smaller), glm(larger), test = "LRT")' in set(rows["r_call"])
    table = pd.read_csv(out / "tables" / "supp_nested_lrt.csv")
    assert table["chisq"].iloc[0] == pytest.approx(lrt["chisq"])
    # the models that share no term: DeLong stands, no LR test, no alert
    assert not _alerted(apart, "DeLong test of nested models")
    assert not len(pd.DataFrame(_results(apart[0])["performance"]["nested_lrt"]))
    assert not (apart[0] / "tables" / "supp_nested_lrt.csv").exists()


def test_the_two_emax_have_distinct_names_everywhere(nested):
    out = nested[0]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<th class="num">Emax (lowess curve)</th>' in page
    assert "<td>Emax (recalibration line)</td>" in page
    assert "Calibration slope (shrinkage factor)" in page
    assert not re.search(r">Emax<", page)
    res = _results(out)["performance"]
    keys = set(res["calibration_table"][0])
    assert "emax_lowess" in keys and "emax" not in keys
    iv = pd.DataFrame(res["internal_validation"])
    assert {"Emax (recalibration line)", "Calibration slope (shrinkage factor)"} <= set(iv["index"])
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "Emax of the lowess calibration curve" in methods
    assert "Emax of the recalibration line" in methods


def test_methods_state_time_units_linearity_epv_and_only_the_software_used(nested):
    out = nested[0]
    res = _results(out)
    text = (out / "methods.md").read_text(encoding="utf-8")
    assert "Times are in days" in text and "At 100 days, each model was assessed" in text
    assert (
        "entered linearly on the log-odds scale (no transformation or spline was declared): "
        "Age (years), Karnofsky score" in text
    )
    for name, model in res["models"].items():
        e = model["events_per_variable"]
        assert f"{name} {e['epv']:.1f} ({e['limiting']} for {e['df']} df)" in text
    software = res["methods"]["software"]
    assert {"numpy", "scipy", "pandas", "matplotlib", "rpy2"} <= set(software)
    assert not {"torch", "scikit-learn", "statsmodels"} & set(software)


TRIPOD_AI_ITEMS = (
    "1 2 3a 3b 3c 4 5a 5b 6a 6b 6c 7 8a 8b 8c 9a 9b 9c 10 11 12a 12b 12c 12d 12e 12f 12g 13 14 "
    "15 16 17 18a 18b 18c 18d 18e 18f 19 20a 20b 20c 21 22 23a 23b 24 25 26 27a 27b 27c"
).split()
AUTHORS = "1 2 3a 3b 3c 4 5a 5b 6a 6b 8a 10 17 18a 18b 18c 18d 18e 18f 19 25 26 27a 27b 27c"


def test_tripod_ai_lists_every_item_and_leaves_the_authors_theirs(nested):
    from test_report_tables import html_table

    out = nested[0]
    table = html_table(out, "TRIPOD+AI item", "Status")
    assert list(table["TRIPOD+AI item"]) == TRIPOD_AI_ITEMS
    status = table.set_index("TRIPOD+AI item")["Status"]
    assert (status[AUTHORS.split()] == "for the authors").all()
    # reported items name where: tables and figures the report holds, by their captions
    page = (out / "report.html").read_text(encoding="utf-8")
    captions = re.findall(r"<b>((?:Supplementary )?Table \d+|Fig\. \d+)</b>", page)
    captions += re.findall(r'alt="(Fig\. \d+)', page)
    for item, s in status.items():
        if s.startswith("reported"):
            where = s[len("reported (") : -1].split(", ")
            assert all(w == "Methods" or w in captions for w in where), (item, s)
    assert status["12b"] == "reported (Methods)"


@pytest.mark.r
def test_linearity_sentence_names_linear_terms_splines_and_no_factor(tmp_path):
    """On the veteran study as loaded: rcs() terms are splines with their knots, continuous
    columns linear, a factor has no functional form; EPV as events_per_variable."""
    from hccstats import lrm
    from hccstats.report._context import Context, Options
    from hccstats.report._events import events_per_variable
    from hccstats.report._methods_models import epv_sentence, linearity_sentence
    from hccstats.study import load
    from reports import Report

    _veteran("thirds").to_csv(tmp_path / "clinical.csv", index=False)
    (tmp_path / "study.yaml").write_text(VETERAN_YAML.format(models=NESTED))
    study = load(tmp_path / "study.yaml")
    ctx = Context(study, Options(), tmp_path, tmp_path, Report("r"), labels=study.labels)
    train = study.data[study.data["split"] == "training"]
    fits = {"Spline model": lrm("early ~ rcs(age, 3) + karno + celltype", train)}
    text = linearity_sentence(ctx, fits)
    linear = "entered linearly on the log-odds scale (no transformation or spline was declared): "
    assert f"{linear}Karnofsky score;" in text
    declared = "in the form their model declares (restricted cubic splines with rms's knot "
    assert f"{declared}placement, polynomials, transformations): Age (years)" in text
    assert "Age (years) (restricted cubic spline, 3 knots)." in text
    assert "Cell type" not in text
    e = events_per_variable(fits["Spline model"])
    assert e["df"] == 2 + 1 + 3  # two spline columns, karno, three cell-type contrasts
    assert f"Spline model {e['epv']:.1f} ({e['limiting']} for 6 df)" in epv_sentence(fits)
