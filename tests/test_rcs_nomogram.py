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
