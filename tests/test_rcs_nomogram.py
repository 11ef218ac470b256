"""nomogram of a model with a restricted cubic spline: the native engine against rms (live)."""

from __future__ import annotations

import numpy as np
import pytest
from _calibration_data import birthwt

import hccstats as hs
from hccstats.nomograms import nomogram

FORMULA = "low ~ rcs(lwt, 4) + smoke + age"


@pytest.mark.r
def test_rcs_points_table_against_rms_live():
    fit = hs.lrm(FORMULA, birthwt())
    ours = nomogram(fit, engine="python")
    theirs = nomogram(fit, engine="r")  # rms refits lrm(low ~ rcs(lwt, 4) + smoke + age)
    a = ours.points.sort_values(["kind", "variable", "x"]).reset_index(drop=True)
    b = theirs.points.sort_values(["kind", "variable", "x"]).reset_index(drop=True)
    assert list(a["value"]) == list(b["value"])
    # rms's own nomogram arithmetic on coefficients equal to ~1e-8: points agree to 1e-6
    np.testing.assert_allclose(a["points"], b["points"], atol=1e-6)
    assert ours.points_per_unit == pytest.approx(theirs.points_per_unit, rel=1e-8)
    lwt = a[a["variable"] == "lwt"].sort_values("x")
    # the spline bends: the lwt axis is not linear (nor monotone) in lwt
    assert np.ptp(np.diff(lwt["points"].to_numpy())) > 5


def test_rcs_nomogram_is_drawn_and_scores_at_the_ticks(tmp_path):
    d = birthwt()
    fit = hs.lrm(FORMULA, d)
    nom = nomogram(fit, engine="python")
    assert nom.variables == ["lwt", "smoke", "age"]
    files = nom.save(tmp_path / "rcs_nomogram", formats=("png",))
    assert files[0].stat().st_size > 10_000
    # at tick values the points read off the axes give the model's risk exactly
    ticks = nom.points[(nom.points["variable"] == "lwt")]["x"].to_numpy()
    new = d.iloc[: len(ticks)].copy()
    new["lwt"] = ticks
    score = hs.nomogram_score(nom, new)
    np.testing.assert_allclose(score["risk"], fit.predict_risk(new), rtol=1e-9)


@pytest.mark.r
@pytest.mark.parametrize(
    "formula",
    [
        "low ~ rcs(lwt, 4) + log(age) + smoke",
        "low ~ pol(lwt, 2) + sqrt(age) + smoke",
        "low ~ np.log(lwt) + age",
    ],
)
def test_one_column_terms_against_rms_live(formula):
    # rms draws a term of one column (spline, polynomial, log, sqrt) as one axis of that
    # column, its values at their points; the native engine gives the same table to 1e-6
    fit = hs.lrm(formula, birthwt())
    ours, theirs = nomogram(fit, engine="python"), nomogram(fit, engine="r")
    for col in ("variable", "axis", "kind", "value"):
        assert list(ours.points[col]) == list(theirs.points[col]), col
    np.testing.assert_allclose(ours.points["points"], theirs.points["points"], atol=1e-6)
    np.testing.assert_allclose(ours.points["x"], theirs.points["x"], atol=1e-6)
    assert ours.intercept == pytest.approx(theirs.intercept, abs=1e-8)


@pytest.mark.r
def test_axis_turning_back_split_where_rms_splits_it():
    # plot.nomogram cuts a non-monotone axis where diff(diff(points) > 0) != 0 and labels the
    # runs below (side 1), above (side 3), below, ...
    from hccstats.nomograms._draw import turn_sides
    from hccstats.rbridge import run

    nom = nomogram(hs.lrm("low ~ rcs(lwt, 4) + log(age) + smoke", birthwt()), engine="python")
    lwt = nom.points[nom.points["variable"] == "lwt"]
    r_sides = run(
        "ch <- c(FALSE, FALSE, diff(diff(xt) > 0) != 0); c(1, 3)[cumsum(ch) %% 2 + 1]",
        xt=lwt["points"].to_numpy(float),
    )
    ours = turn_sides(lwt["x"].to_numpy(float), lwt["points"].to_numpy(float))
    assert ours is not None
    np.testing.assert_array_equal(np.where(ours < 0, 1, 3), np.asarray(r_sides, float))
    assert turn_sides(np.arange(5.0), np.arange(5.0) * 2) is None  # monotone: one run
