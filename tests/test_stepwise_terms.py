"""forward_lr / backward_lr with model terms as candidates (splines, logs, factors,
interactions): each term one block with its df, against R's add1/drop1 loop on glm with rms's
rcs (hccstats/rbridge/stats_forward_lr.R), and the hierarchy of interactions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _datasets import birthwt

import hccstats as hs
from hccstats import InputError

CANDIDATES = ["rcs(age, 4)", "log(lwt)", "smoke", "factor(race)", "ptl", "ht"]
INTERACTION = [*CANDIDATES, "rcs(age, 4) * smoke"]


@pytest.mark.r
def test_term_candidates_against_add1_drop1_loop_live():
    from hccstats import rbridge

    src = (
        Path(__file__).resolve().parents[1] / "hccstats" / "rbridge" / "stats_forward_lr.R"
    ).read_text()
    d = birthwt()
    sw = hs.forward_lr(d, "low", CANDIDATES, entry=0.35, removal=0.4)
    # R: rms's rcs in glm; factor(race) is R's own factor()
    ref = rbridge.run(
        "suppressMessages(library(rms))\n"
        + src
        + "\nr <- forward_lr_r(d, 'low', cands, entry = 0.35, removal = 0.4); "
        "list(steps = r$steps, coef = unname(coef(r$fit)))",
        d=d,
        cands=np.asarray(CANDIDATES, dtype=object),
    )
    steps = ref["steps"]
    assert sw.steps["term"].tolist() == list(steps["term"])
    assert sw.steps["df"].tolist() == list(steps["df"])
    assert "rcs(age, 4)" in sw.selected and sw.steps.set_index("term").loc["rcs(age, 4)", "df"] == 3
    # add1's score statistics keep ~1e-8 relative error (see stats_forward_lr.R)
    np.testing.assert_allclose(sw.steps["statistic"], steps["statistic"], rtol=1e-6)
    np.testing.assert_allclose(np.sort(sw.fit.coef), np.sort(ref["coef"]), rtol=1e-6)


def test_interaction_enters_only_after_its_main_effects():
    d = birthwt()
    sw = hs.forward_lr(d, "low", INTERACTION, entry=0.5, removal=0.5)
    assert "rcs(age, 4):smoke" in sw.candidates
    assert sw.requires == {"rcs(age, 4):smoke": ["rcs(age, 4)", "smoke"]}
    seen: set[str] = set()
    for _, r in sw.steps.iterrows():
        if r["action"] == "enter" and r["term"] == "rcs(age, 4):smoke":
            assert {"rcs(age, 4)", "smoke"} <= seen
        if r["action"] == "remove":
            assert not (r["term"] in ("rcs(age, 4)", "smoke") and "rcs(age, 4):smoke" in seen)
            seen.discard(r["term"])
        else:
            seen.add(r["term"])
    assert set(sw.fit.terms) == {c for c in sw.selected}


def test_backward_keeps_main_effects_while_interaction_is_in():
    d = birthwt()
    sw = hs.backward_lr(d, "low", INTERACTION, entry=0.05, removal=0.10)
    removed = sw.steps.loc[sw.steps["action"] == "remove", "term"].tolist()
    if "rcs(age, 4)" in removed:
        assert removed.index("rcs(age, 4):smoke") < removed.index("rcs(age, 4)")
    assert not ("rcs(age, 4):smoke" in sw.selected and "smoke" not in sw.selected)


def test_interaction_without_its_main_effect_candidate_is_refused():
    with pytest.raises(InputError, match=r"interaction 'age:smoke' needs its main effect 'smoke'"):
        hs.forward_lr(birthwt(), "low", ["age", "age:smoke"])


def test_term_of_an_unknown_column_is_named():
    with pytest.raises(InputError, match=r"'rcs\(agge, 4\)' refers to 'agge'"):
        hs.forward_lr(birthwt(), "low", ["rcs(agge, 4)", "lwt"])


def test_validate_repeats_a_selection_with_terms():
    d = birthwt()
    sw = hs.forward_lr(d, "low", INTERACTION, entry=0.35, removal=0.4)
    v = hs.validate(sw, B=10, seed=1)
    assert np.isfinite(pd.DataFrame(v.to_frame())["index_corrected"].iloc[0])
