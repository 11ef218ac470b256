"""The report's time-to-event section on a clinical-only demo study: it runs, its numbers are the
library's, and every one of them agrees with R in the report's own cross-check (r_check.csv)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from hccstats.report._context import StageUnavailable


@pytest.fixture(scope="module")
def report(demo_clinical_report):
    """The session's demo report run (tests/conftest.py): (study.yaml, output folder)."""
    return demo_clinical_report


@pytest.mark.r
@pytest.mark.slow
def test_survival_section_agrees_with_r(report):
    _, out = report
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["survival"] == "ok", res.get("errors")
    rc = pd.read_csv(out / "r_check.csv")
    surv = rc[rc["stage"] == "survival"]
    # the Cox model's HRs and p, PH test, log-rank p, Harrell's and Uno's C, the
    # time-dependent AUC (timeROC's estimator written in R), Brier, O/E, slope and net benefit
    kinds = [
        "Cox Clinical model: HR",
        "PH test",
        "Log-rank",
        "Harrell's C, Clinical model, validation",
        "Uno's C",
        "AUC at 24",
        "Brier score at 24",
        "O/E at 24",
        "Calibration slope at 24",
        "Net benefit at 24",
    ]
    for kind in kinds:
        assert surv["quantity"].str.contains(kind).any(), kind
    assert surv["agree"].all(), surv.loc[~surv["agree"], ["quantity", "hccstats", "r"]]
    for name in ("fig_km_training", "fig_km_validation", "fig_survival_calibration_dca"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 20_000


@pytest.mark.slow
def test_survival_results_cover_every_patient(report):
    from hccstats.study import load

    study_path, out = report
    res = json.loads((out / "results.json").read_text())["survival"]
    assert res["horizon"] == 24 and res["event"] == "recurred"
    d = load(study_path, check_images=False).data
    km = pd.DataFrame(res["km_risk_groups"]).set_index("set")
    for part in ("training", "validation"):
        part_d = d[d["split"] == part]
        # the two risk groups hold the set's patients and events (no model variable is missing)
        assert km.loc[part, "n_low"] + km.loc[part, "n_high"] == len(part_d)
        assert km.loc[part, "events_low"] + km.loc[part, "events_high"] == part_d["recurred"].sum()
    perf = pd.DataFrame(res["performance"])
    assert perf[["harrell_c", "uno_c", "td_auc"]].apply(lambda c: c.between(0.5, 1)).all().all()
    # the decision curves over the default threshold grid (analysis.dca_thresholds: 0 to 0.6)
    assert res["dca"]["thresholds"][0] == 0 and res["dca"]["thresholds"][-1] == pytest.approx(0.6)


def test_stage_without_survival_section_is_not_available():
    from hccstats.report import _s_survival

    ctx = SimpleNamespace(
        study=SimpleNamespace(survival=None), analysis=SimpleNamespace(survival=None)
    )
    with pytest.raises(StageUnavailable, match="no survival section"):
        _s_survival.compute(ctx, models=None)
