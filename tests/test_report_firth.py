"""`python -m hccstats.report` with analysis: {firth: true} on a separated clinical-only study
built from MASS::biopsy: the whole path (univariable screen, stepwise and prespecified models,
Table 3 with penalised profile CIs, nomograms, performance) ends with exit 0.

The study: the first 200 biopsies (V6 missing in some: listwise deletion), outcome malignant,
thick = clump thickness 9-10 (every thick clump is malignant: quasi-complete separation), V3,
V6, V7. One report run, shared by the tests of this module.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _datasets import biopsy
from test_report_pipeline import _run

import hccstats as hs

STUDY = """\
name: Breast biopsies (MASS::biopsy, first 200)
seed: 7
clinical: {file: clinical.csv, id: patient_id}
outcome: {column: malignant, positive: 1, label: Malignancy}
split: {method: random, ratio: 0.7, stratify: true, seed: 7}
variables:
  thick: {type: binary, levels: ["no", "yes"], label: Clump thickness 9-10}
  V3: {type: continuous, label: Uniformity of cell shape}
  V6: {type: continuous, label: Bare nuclei}
  V7: {type: continuous, label: Bland chromatin}
analysis: {B: 20, firth: true, models: {Thickness model: [thick, V3, V6]}}
"""


def _study(folder: Path) -> Path:
    d = biopsy().iloc[:200]
    out = pd.DataFrame({"patient_id": [f"B{i:03d}" for i in range(1, len(d) + 1)]})
    out["thick"] = np.where(d["V1"] >= 9, "yes", "no")
    for v in ("V3", "V6", "V7"):
        out[v] = d[v].to_numpy()
    out["malignant"] = (d["class"] == "malignant").astype(int).to_numpy()
    assert out.loc[out["thick"] == "yes", "malignant"].eq(1).all()  # the separation
    folder.mkdir(parents=True, exist_ok=True)
    out.to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    return folder / "study.yaml"


@pytest.fixture(scope="module")
def firth_report(tmp_path_factory):
    base = tmp_path_factory.mktemp("biopsy")
    cfg = _study(base / "study")
    out = base / "out"
    proc = _run("--config", str(cfg), "--out", str(out), "--no-r", "--quiet")
    return proc, out, pd.read_csv(base / "study" / "clinical.csv")


def test_firth_report_on_a_separated_study_exits_0(firth_report):
    proc, out, _ = firth_report
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    for stage in ("univariate", "models", "performance"):
        assert res["stages"][stage] == "ok", (stage, res["stages"])


def test_firth_table3_has_the_penalised_profile_cis(firth_report):
    """Table 3's OR, CI and p of the separating term are the library's Firth fit on the model's
    own patients (its penalised profile, checked against R in test_firth_profile.py)."""
    proc, out, clinical = firth_report
    res = json.loads((out / "results.json").read_text())
    model = res["models"]["Thickness model"]
    rows = clinical.set_index("patient_id").loc[model["patients"]]
    rows["thick"] = pd.Categorical(rows["thick"], ["no", "yes"])
    fit = hs.lrm("malignant ~ thick + V3 + V6", rows, firth=True)
    want = fit.odds_ratios(method="profile").set_index("term")
    got = pd.DataFrame(model["odds_ratios"]).set_index("term")
    for key in ("estimate", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(
            got.loc["thick[T.yes]", key], want.loc["thick[T.yes]", key], rtol=1e-9
        )
    assert np.isfinite(got.loc["thick[T.yes]", "ci_high"])
    table3 = pd.read_csv(out / "tables" / "table3_multivariable.csv")
    thick = table3[table3["variable"] == "thick"].iloc[0]
    assert thick["Thickness model|estimable"] and np.isfinite(thick["Thickness model|coef"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Thickness model: Firth-penalised likelihood (logistf), profile penalised" in html
    assert "OR, odds ratio (penalised profile-likelihood 95% CI)" in html


def test_firth_nomograms_and_performance_of_every_model(firth_report):
    _, out, _ = firth_report
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"fig_nomogram_clinical.png", "fig_nomogram_thickness_model.png"} <= figures
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "not drawn: the model separates" not in html
    perf = pd.read_csv(out / "tables" / "table4_model_performance.csv")
    assert set(perf["model"]) == {"Clinical model", "Thickness model"}
    assert perf["auc"].between(0.5, 1).all()
