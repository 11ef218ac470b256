"""Interactions in the native nomogram engine against rms (live).

rms's ``nomogram`` draws a variable that interacts with discrete variables (factors, numeric
variables with at most 10 values) as one axis per value of them ("age (smoke=no)", "age
(smoke=yes)"), each axis summing the variable's, the partners' and the interaction's
contributions, the partners without an axis of their own; the points scale spans each
variable's range over all its axes, and with interactions the continuous variables come
first. Two continuous variables need ``interact=`` in rms: both engines refuse them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _survival_data import lung
from test_nomogram import birthwt

import hccstats as hs
from hccstats.nomograms import UnsupportedModelError


def _lung() -> pd.DataFrame:
    d = lung()
    d["sex"] = pd.Categorical(np.where(d["sex"] == 1, "male", "female"), ["male", "female"])
    return d


CASES = {
    # name: (formula, data, nomogram keywords)
    "numeric by factor": ("low ~ age * smoke + lwt", birthwt, {}),
    "factor by factor": ("low ~ lwt + race * smoke + ptl", birthwt, {}),
    "numeric by discrete numeric": ("low ~ age * ptl + smoke", birthwt, {}),
    "spline by factor": ("low ~ rcs(age, 3) * smoke + lwt", birthwt, {}),
    "Cox, numeric by factor": ("Surv(time, death) ~ age * C(sex) + ph_ecog", _lung, {"times": 365}),
}


@pytest.mark.r
@pytest.mark.parametrize("name", list(CASES))
def test_interaction_axes_against_rms_live(name):
    formula, data, kw = CASES[name]
    model = hs.coxph if formula.startswith("Surv") else hs.lrm
    fit = model(formula, data())
    ours, theirs = hs.nomogram(fit, engine="python", **kw), hs.nomogram(fit, engine="r", **kw)
    for col in ("variable", "axis", "kind", "value"):
        assert list(ours.points[col]) == list(theirs.points[col]), col
    for col in ("x", "xbeta", "points"):
        a, b = ours.points[col].to_numpy(float), theirs.points[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=0, atol=1e-6)
    assert ours.points_per_unit == pytest.approx(theirs.points_per_unit, rel=1e-8)
    assert ours.intercept == pytest.approx(theirs.intercept, abs=1e-8)
    # one axis per level of the partner, which has none of its own
    preds = ours.points[ours.points["kind"] == "predictor"]
    assert preds.groupby("variable")["axis"].nunique().max() > 1


def test_interaction_axes_drawn_and_scoring_refused_clearly(tmp_path):
    fit = hs.lrm("low ~ lwt + race * smoke + ptl", birthwt())
    nom = hs.nomogram(fit, engine="python")
    titles = [t.get_text() for t in nom.figure.axes[0].get_yticklabels()]
    assert titles[1:5] == ["lwt", "race (smoke=no)", "race (smoke=yes)", "ptl"]
    (png,) = nom.save(tmp_path / "ia", formats=("png",))
    assert png.stat().st_size > 10_000
    with pytest.raises(hs.InputError, match="'race' has several axes"):
        hs.nomogram_score(nom, birthwt())


def test_interaction_of_a_term_without_its_main_effect_refused():
    fit = hs.lrm("low ~ lwt + age:smoke", birthwt())
    with pytest.raises(UnsupportedModelError, match="needs the main effect"):
        hs.nomogram(fit, engine="python")
