"""The survival-only report's Cox nomograms, stage part alone (no report run): the engines of
``report.nomogram``, the survival axis titled with the time's unit and label, and no nomogram
for a fit whose coefficients diverge (the section says why). The whole report's nomograms and
their R check are in test_report_cox.py (one shared run)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from test_report_cox import STUDY, write_study

import hccstats as hs
from reports import Figure, Report, Text

UNIT = "  years: {type: continuous, label: Overall survival, unit: years}\n"
CANDIDATES = "  clinical_candidates: [age, bili, albumin, edema]\n"


def _context(tmp_path, layout: str, use_r: bool):
    from hccstats.report._context import Context, Options
    from hccstats.study import load

    text = STUDY.replace("variables:\n", "variables:\n" + UNIT)
    text = text.replace("analysis:\n", "analysis:\n" + CANDIDATES) + layout
    study = load(write_study(tmp_path / "study", text))
    ctx = Context(
        study, Options(use_r=use_r), tmp_path, tmp_path, Report("r"),
        labels=dict(study.labels),
    )  # fmt: skip
    return ctx, study


def _result(study, fits):
    return types.SimpleNamespace(time="years", horizon=5.0, fits=fits)


def _mayo(study):
    d = study.data.dropna(subset=["years"])
    return hs.coxph("Surv(years, death) ~ age + bili + albumin + edema", d)


@pytest.mark.r
@pytest.mark.parametrize(
    "layout, use_r, engines",
    [
        ("", True, ["r"]),  # the default: rms
        ("report: {nomogram: native}\n", True, ["python"]),
        ("report: {nomogram: both}\n", True, ["r", "python"]),
        ("", False, ["python"]),  # --no-r: the native drawing, and a note saying so
    ],
)
def test_cox_nomograms_drawn_by_the_layout_s_engines(tmp_path, layout, use_r, engines):
    from hccstats.report._cox_nomogram import nomogram_methods, render_cox_nomograms

    ctx, study = _context(tmp_path, layout, use_r)
    section = ctx.section("Cox")
    result = _result(study, {"Mayo": _mayo(study)})
    drawn = render_cox_nomograms(ctx, section, result)
    assert drawn["Mayo"]["engines"] == engines
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert len(figures) == len(engines)
    for fig, stem in zip(figures, drawn["Mayo"]["figures"]):
        assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
        assert "Mayo nomogram: survival probability by 5 years of the Cox model" in fig.caption
    points = drawn["Mayo"]["points"]
    # the time's label and unit title the survival axis
    assert set(points.loc[points["kind"] == "survival", "axis"]) == {
        "5-year overall survival probability"
    }
    notes = [b.text for b in section.blocks if isinstance(b, Text)]
    assert any("--no-r" in n for n in notes) == (not use_r)
    ctx.results["cox"] = {"nomogram": drawn}
    said = nomogram_methods(ctx, result)
    assert ("rms::nomogram" in said) == ("r" in engines)
    assert ("natively by hccstats" in said) == ("python" in engines)


def test_no_nomogram_for_diverging_coefficients_and_the_section_says_why(tmp_path):
    from hccstats.report._cox_nomogram import not_drawable, render_cox_nomograms

    ctx, study = _context(tmp_path, "report: {nomogram: native}\n", False)
    d = study.data.dropna(subset=["years"]).copy()
    # a marker that is 1 exactly for the patients who die before 2 years: monotone likelihood
    d["marker"] = ((d["death"] == 1) & (d["years"] < 2)).astype(float)
    fit = hs.coxph("Surv(years, death) ~ age + marker", d)
    assert fit.coef["marker"] > 30 and fit.se["marker"] < 1e-10  # run off to infinity
    assert "'marker'" in not_drawable(fit) and "'age'" not in not_drawable(fit)
    section = ctx.section("Cox")
    drawn = render_cox_nomograms(ctx, section, _result(study, {"Separated": fit}))
    assert "not_drawn" in drawn["Separated"]
    assert not [b for b in section.blocks if isinstance(b, Figure)]
    (note,) = [b.text for b in section.blocks if isinstance(b, Text)]
    assert note.startswith("Separated nomogram: not drawn: the coefficient(s) of 'marker' diverge")
    assert not list(tmp_path.glob("fig_cox_nomogram_*"))


def test_drawable_fit_is_not_refused(tmp_path):
    from hccstats.report._cox_nomogram import not_drawable

    _, study = _context(tmp_path, "", False)
    fit = _mayo(study)
    assert not_drawable(fit) == ""
    assert np.isfinite(fit.coef).all() and isinstance(fit.data, pd.DataFrame)


def test_a_model_no_engine_draws_is_said_in_the_section_and_not_checked(tmp_path):
    from hccstats.report._cox_nomogram import (
        register_cox_nomogram_checks,
        render_cox_nomograms,
    )

    ctx, study = _context(tmp_path, "report: {nomogram: native}\n", False)
    d = study.data.dropna(subset=["years"])
    fit = hs.coxph("Surv(years, death) ~ age * bili + albumin", d)  # rms needs interact=
    section = ctx.section("Cox")
    result = _result(study, {"Interacting": fit})
    drawn = render_cox_nomograms(ctx, section, result)
    assert "interaction 'age:bili' of two continuous" in drawn["Interacting"]["not_drawn"]
    (error,) = [b for b in section.blocks if isinstance(b, Text)]
    assert error.style == "error" and error.text.startswith(
        "Interacting nomogram: the nomogram could not be drawn (UnsupportedModelError"
    )
    register_cox_nomogram_checks(ctx, result)
    assert not ctx.checks
