"""Nomograms of Cox models: the native engine against rms (live), scoring, labels and bad input.

Oracle: ``rms::nomogram(cph(..., x = TRUE, y = TRUE, surv = TRUE), fun = function(lp)
surv(t, lp))`` with ``surv <- Survival(f)`` (rms 6.5), run through ``nomogram(engine="r")``,
which returns rms's object as a table (``points`` of each tick; ``x`` = ``x.real`` and
``points`` = ``x`` of the function axes). rms refits the model with ``eps = 1e-10``; both fits
agree to ~1e-9, so the points agree to 1e-6 (the project's bound), the survival ticks exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _survival_data import lung, pbc

import hccstats as hs
from hccstats import InputError
from hccstats.nomograms import UnsupportedModelError
from hccstats.nomograms._cox import survival_label

TOL = 1e-6


def lung_model(ties: str = "efron"):
    """survival::lung (ph.ecog known): age, sex (a factor, male first), ph.ecog."""
    d = lung()
    d["sex"] = pd.Categorical(np.where(d["sex"] == 1, "male", "female"), ["male", "female"])
    return hs.coxph("Surv(time, death) ~ age + C(sex) + ph_ecog", d, ties=ties)


def lung_breslow():
    """The lung model with Breslow's ties (rms: cph(..., method = "breslow"))."""
    return lung_model("breslow")


def pbc_model(bili: str = "log(bili + 1)"):
    """survival::pbc's 312 trial patients: age, log(bili + 1) (a transformed term; the bili
    axis starts at 0), edema (a factor of three levels) and a restricted cubic spline of
    albumin."""
    d = pbc()
    d = d[d["trial"]].reset_index(drop=True)
    d["edema"] = pd.Categorical(d["edema"].astype(str), ["0.0", "0.5", "1.0"])
    rhs = f"age + {bili}" if "*" not in bili else bili
    return hs.coxph(f"Surv(time, death) ~ {rhs} + C(edema) + rcs(albumin, 3)", d)


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours["axis"]) == list(theirs["axis"])
    assert list(ours["kind"]) == list(theirs["kind"])
    assert list(ours["value"]) == list(theirs["value"])
    for col in ("x", "points"):
        a, b = ours[col].to_numpy(float), theirs[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        ok = ~np.isnan(a)
        np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=TOL, err_msg=col)


@pytest.mark.r
@pytest.mark.parametrize(
    "model, times, unit",
    [(lung_model, 365.0, "days"), (lung_breslow, 365.0, "days"), (pbc_model, 1826.0, None)],
)
def test_cox_points_and_survival_axis_against_rms_live(model, times, unit):
    fit = model()
    ours = hs.nomogram(fit, engine="python", times=times, unit=unit, risk=True)
    theirs = hs.nomogram(fit, engine="r", times=times, unit=unit, risk=True)
    assert_same(ours.points, theirs.points)
    assert ours.points_per_unit == pytest.approx(theirs.points_per_unit, rel=1e-8)
    assert ours.intercept == pytest.approx(theirs.intercept, abs=1e-8)
    surv = ours.points[ours.points["kind"] == "survival"]
    assert len(surv) >= 4 and surv["x"].between(0, 1).all()
    # survival falls as the total points rise; the risk axis is 1 - survival at the same places
    assert np.all(np.diff(surv.sort_values("points")["x"]) < 0)
    risk = ours.points[ours.points["kind"] == "risk"]
    surv_at = dict(zip(np.round(surv["x"], 9), surv["points"]))
    pairs = [(p, surv_at[round(1 - r, 9)]) for r, p in zip(risk["x"], risk["points"])
             if round(1 - r, 9) in surv_at]  # fmt: skip
    assert len(pairs) >= 3
    np.testing.assert_allclose(*zip(*pairs), rtol=1e-9)


@pytest.mark.r
def test_cox_auto_ticks_both_engines_apart():
    fit = lung_model()
    for engine in ("python", "r"):
        nom = hs.nomogram(fit, engine=engine, times=365, fun_at="auto", risk=True)
        for kind in ("survival", "risk"):  # each axis's ticks chosen for its own labels
            rows = nom.points[nom.points["kind"] == kind]
            assert len(rows) >= 3 and rows["x"].between(0, 1, inclusive="neither").all()
            at = np.sort(rows["points"].to_numpy())  # distinct places on the axis
            assert np.diff(at).min() > 0


def test_cox_nomogram_score_equals_predict_risk():
    fit = pbc_model()
    nom = hs.nomogram(fit, engine="python", times=1826)
    new = fit.data.head(25)
    score = hs.nomogram_score(nom, new)
    # at any value the points read off the axes give the model's survival: exact for linear
    # terms and factors; the spline and log axes are read between ticks, so score at ticks
    at_ticks = new.copy()
    alb = nom.points.loc[nom.points["variable"] == "albumin", "x"].to_numpy()
    bili = nom.points.loc[nom.points["variable"] == "bili", "x"].to_numpy()
    at_ticks["albumin"] = alb[np.arange(len(new)) % alb.size]
    at_ticks["bili"] = bili[np.arange(len(new)) % bili.size]
    score = hs.nomogram_score(nom, at_ticks)
    np.testing.assert_allclose(score["risk"], fit.predict_risk(at_ticks, times=1826), rtol=1e-9)
    np.testing.assert_allclose(score["survival"], 1 - score["risk"])
    assert nom.times == 1826 and 0 < nom.baseline_survival < 1


def test_cox_nomogram_draws_and_saves(tmp_path):
    nom = hs.nomogram(lung_model(), engine="python", times=365, unit="days", risk=True)
    (png,) = nom.save(tmp_path / "cox", formats=("png",))
    assert png.stat().st_size > 10_000
    titles = [t.get_text() for t in nom.figure.axes[0].get_yticklabels()]
    assert titles[-2:] == ["365-day survival probability", "Risk of the event by 365 days"]
    assert "Nomogram (native engine)" in repr(nom)


def test_survival_axis_titles():
    assert survival_label(5, "years") == "5-year survival probability"
    assert (
        survival_label(24, "months", "Overall survival") == "24-month overall survival probability"
    )
    assert survival_label(24, "months", "Follow-up time") == "24-month survival probability"
    assert survival_label(5) == "Survival probability at 5"
    assert survival_label(5, None, "RFS survival") == "RFS survival probability at 5"


def test_cox_nomogram_bad_input_is_one_clear_error():
    fit = lung_model()
    with pytest.raises(InputError, match="times: a Cox model's nomogram needs the horizon"):
        hs.nomogram(fit, engine="python")
    with pytest.raises(InputError, match="after the last follow-up time"):
        hs.nomogram(fit, engine="python", times=1e6)
    with pytest.raises(InputError, match="times: need positive times"):
        hs.nomogram(fit, engine="python", times=-1)
    logistic = hs.lrm("death ~ age + ph_ecog", lung())
    with pytest.raises(InputError, match="only for a Cox model"):
        hs.nomogram(logistic, engine="python", times=365)


def test_cox_axis_outside_the_transformation_s_domain_is_one_clear_error():
    # pretty(range(bili)) starts at 0, where log(bili) is -Inf: rms stops ("an infinite axis
    # value has resulted"), the native engine says which variable and value
    with pytest.raises(InputError, match="term of 'bili' is infinite at bili = 0"):
        hs.nomogram(pbc_model("log(bili)"), engine="python", times=1826)


def test_cox_interaction_of_two_continuous_variables_refused_by_the_native_engine():
    # rms itself needs interact= here ("factors not defined in interact=list(...)")
    fit = pbc_model("age * bili")
    with pytest.raises(UnsupportedModelError, match="interaction 'age:bili' of two continuous"):
        hs.nomogram(fit, engine="python", times=1826)
