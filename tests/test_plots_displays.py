"""The figures as Display objects: each holds the numbers it draws (equal to the statistics'
results), draws with ``plot(ax=None)`` returning itself, and the figure functions are wrappers
that draw the same figure, byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats.calibration import calibration_curve
from hccstats.demo import example_cohort
from hccstats.plots import (
    CalibrationDisplay,
    DecisionCurveDisplay,
    KaplanMeierDisplay,
    PartialEffectDisplay,
    RocDisplay,
    calibration_curves,
    decision_curves,
    new_figure,
    roc_curves,
    save_figure,
)


@pytest.fixture(scope="module")
def cohort():
    d = example_cohort()
    fit = hs.lrm("recurrence ~ age + mvi", d)
    return d["recurrence"].to_numpy(), fit.predict_risk(), fit


def _svg(fig, path) -> bytes:
    (out,) = save_figure(fig, path, formats=("svg",))
    return out.read_bytes()


def test_roc_display_holds_the_roc_and_its_delong_ci(cohort, tmp_path):
    y, risk, _ = cohort
    r = hs.roc(y, risk, direction="<")
    ci = hs.ci_auc(r)
    display = RocDisplay.from_predictions(y, risk, name="DL", direction="<")
    row = display.auc.iloc[0]
    assert (row["model"], row["auc"], row["ci_low"], row["ci_high"]) == (
        "DL",
        r.auc,
        ci.low,
        ci.high,
    )
    # the points are the curve's (1 - specificity, sensitivity), every threshold once
    drawn = set(zip(display.curve["fpr"], display.curve["tpr"]))
    assert drawn == set(zip(1.0 - np.asarray(r.specificities), np.asarray(r.sensitivities)))
    assert display.plot() is display and display.ax_ in display.figure_.axes
    fpr, tpr = display.ax_.get_lines()[1].get_data()  # after the diagonal
    np.testing.assert_array_equal(fpr, display.curve["fpr"])
    np.testing.assert_array_equal(tpr, display.curve["tpr"])
    # the function draws the same figure
    wrapped = roc_curves({"DL": r}, cis={"DL": ci}, title="A")
    again = RocDisplay.from_roc(r, name="DL", ci=ci).plot(title="A").figure_
    assert _svg(wrapped, tmp_path / "f") == _svg(again, tmp_path / "d")
    no_ci = RocDisplay.from_predictions(y, risk, direction="<", conf_level=None)
    assert not no_ci.auc["with_ci"].any() and no_ci.auc["ci_low"].isna().all()


def test_display_draws_into_a_given_axes(cohort):
    y, risk, _ = cohort
    fig, axes = new_figure("double", nrows=1, ncols=2)
    roc = RocDisplay.from_predictions(y, risk, direction="<").plot(ax=axes[0])
    cal = CalibrationDisplay.from_predictions(y, risk).plot(ax=axes[1])
    assert roc.figure_ is cal.figure_ is fig
    assert (roc.ax_, cal.ax_) == (axes[0], axes[1])


def test_calibration_display_from_predictions_is_val_prob_curve_with_outcomes(cohort, tmp_path):
    y, risk, _ = cohort
    display = CalibrationDisplay.from_predictions(y, risk, name="DL")
    expected = calibration_curve(y, risk).table
    np.testing.assert_array_equal(display.curve["predicted"], expected["predicted"])
    np.testing.assert_array_equal(display.curve["apparent"], expected["apparent"])
    np.testing.assert_array_equal(display.outcomes["DL"], y)
    np.testing.assert_array_equal(display.risks["DL"], risk)
    ax = display.plot().ax_
    # val.prob's riskdist: events point up and non-events down from the baseline
    spikes = [c for c in ax.collections if hasattr(c, "get_segments")]
    ups = sum(len(c.get_segments()) for c in spikes if c.get_segments()[0][1, 1] > 0.08)
    downs = sum(len(c.get_segments()) for c in spikes if c.get_segments()[0][1, 1] < 0.08)
    bins = lambda r: len(np.unique(np.minimum(np.floor(r * 100), 99)))  # noqa: E731
    assert (ups, downs) == (bins(risk[y == 1]), bins(risk[y == 0]))
    wrapped = calibration_curves({"DL": calibration_curve(y, risk)}, outcomes={"DL": y})
    assert _svg(wrapped, tmp_path / "f") == _svg(display.plot().figure_, tmp_path / "d")


def test_calibration_display_from_calibrate_keeps_both_curves(cohort):
    _, _, fit = cohort
    cal = hs.calibrate(fit, B=10, seed=1)
    display = CalibrationDisplay.from_calibrate(cal, name="DL")
    t = cal.table.sort_values("predicted")
    np.testing.assert_array_equal(display.curve["bias_corrected"], t["bias_corrected"])
    np.testing.assert_array_equal(display.curve["apparent"], t["apparent"])
    labels = [line.get_label() for line in display.plot().ax_.get_lines()]
    assert labels == ["Ideal", "DL (bias-corrected)", "DL (apparent)"]
    with pytest.raises(InputError, match="columns predicted, apparent"):
        CalibrationDisplay.from_calibrations({"a": pd.DataFrame({"x": [1]})})


def test_decision_curve_display_holds_the_dca_table(cohort, tmp_path):
    y, risk, _ = cohort
    result = hs.dca(y, {"DL": risk})
    display = DecisionCurveDisplay.from_dca(result)
    pd.testing.assert_frame_equal(display.curve, result.table)
    ax = display.plot(title="E").ax_
    drawn = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    for model, rows in result.table.groupby("model"):
        np.testing.assert_array_equal(drawn[model], rows.sort_values("threshold")["net_benefit"])
    wrapped = decision_curves(result, title="E")
    assert _svg(wrapped, tmp_path / "f") == _svg(display.figure_, tmp_path / "d")
    with pytest.raises(InputError, match="no rows"):
        DecisionCurveDisplay.from_dca(result.table.iloc[:0])


def test_km_display_holds_the_fit_the_logrank_test_and_the_numbers_at_risk(tmp_path):
    t, e = np.arange(1.0, 41.0), np.tile([1, 0], 20)
    g = np.repeat(["Low risk", "High risk"], 20)
    display = KaplanMeierDisplay.from_groups(t, e, g)
    assert display.logrank.p_value == hs.survdiff(t, e, g).p_value
    pd.testing.assert_frame_equal(display.curve, hs.survfit(t, e, group=g).to_frame())
    display.plot(risk_times=[0, 10, 20, 30])
    pd.testing.assert_frame_equal(display.at_risk_, display.fit.at_risk([0, 10, 20, 30]))
    texts = [x.get_text() for x in display.table_ax_.texts]
    assert texts == [f"{n:.0f}" for n in display.at_risk_.to_numpy().ravel()]
    fig = hs.km_plot(display.fit, logrank=display.logrank, risk_times=[0, 10, 20, 30])
    assert _svg(fig, tmp_path / "f") == _svg(display.figure_, tmp_path / "d")
    _, ax = new_figure()
    alone = KaplanMeierDisplay.from_survfit(display.fit).plot(ax=ax)
    assert alone.table_ax_ is None and alone.ax_ is ax and len(ax.figure.axes) == 1
    with pytest.raises(InputError, match="expected a SurvFit"):
        KaplanMeierDisplay.from_survfit({"a": 1})


def test_partial_effect_display_holds_the_effect(cohort):
    _, _, fit = cohort
    effect = hs.partial_effect(fit, "age", label="Age (years)")
    display = PartialEffectDisplay.from_partial_effect(effect).plot()
    x, estimate = display.ax_.get_lines()[0].get_data()
    np.testing.assert_array_equal(x, effect.table["age"])
    np.testing.assert_array_equal(estimate, effect.table["estimate"])
    assert display.ax_.get_xlabel() == "Age (years)"
