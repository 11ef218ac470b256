"""The model stages' keys of study.yaml's ``analysis:`` (schema rows) and the plan read from them.

Oracles: the schema's documented rules (one-line errors naming the key) and R's seq() for the
decision-curve thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest

from hccstats import InputError
from hccstats.study._analysis import read_analysis
from hccstats.study._config import Variable

VARIABLES = {
    "age": Variable("age", "continuous", "Age"),
    "mvi": Variable("mvi", "binary", "MVI", levels=("absent", "present")),
    "stage": Variable("stage", "ordinal", "Stage", levels=("I", "II", "III")),
}


def _read(raw):
    return read_analysis(raw, VARIABLES, "study.yaml")


def test_plan_keys_normalised_against_schema():
    got = _read(
        {
            "models": {"Clinical": ["age", "mvi", "age"], "Age only": "age"},
            "selection": "backward_lr",
            "bootstrap": {"B": 200, "seed": 5},
            "dca_thresholds": {"to": 0.5},
            "per": {"age": 10, "stage": "sd"},
            "ordinal_as": "score",
        }
    )
    assert got["models"] == {"Clinical": ["age", "mvi"], "Age only": ["age"]}
    assert got["selection"] == "backward_lr" and got["bootstrap"] == {"B": 200, "seed": 5}
    assert got["dca_thresholds"] == {"from": 0.0, "to": 0.5, "by": 0.01}
    assert got["per"] == {"age": 10.0, "stage": "sd"}
    assert got["ordinal_as"] == "numeric"  # "score" is the same choice


def test_model_terms_of_declared_variables_accepted():
    got = _read(
        {
            "models": {"Terms": ["rcs(age, 4)", "log(age + 1)", "age * mvi", "factor(stage)"]},
            "clinical_candidates": ["rcs(age, 3)", "mvi", "age:mvi"],
        }
    )
    assert got["models"]["Terms"] == ["rcs(age, 4)", "log(age + 1)", "age * mvi", "factor(stage)"]
    assert got["clinical_candidates"] == ["rcs(age, 3)", "mvi", "age:mvi"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (
            {"models": {"M": ["age", "weight"]}},
            "analysis.models: model 'M': 'weight' is not declared under variables",
        ),
        (
            {"models": {"M": ["rcs(age, 4)", "log(weight + 1)"]}},
            "analysis.models: model 'M': term 'log(weight + 1)': 'weight' is not declared",
        ),
        (
            {"models": {"M": ["rcs(mvi, 3)"]}},
            "analysis.models: model 'M': term 'rcs(mvi, 3)': rcs() needs a numeric variable",
        ),
        (
            {"models": {"M": ["spline(age)"]}},
            "analysis.models: model 'M': term 'spline(age)': unknown function 'spline'",
        ),
        (
            {"models": {"M": ["rcs(age, 4) * pol(stage, 2)"]}},
            "model 'M': term 'rcs(age, 4) * pol(stage, 2)': an interaction of two nonlinear terms",
        ),
        (
            {"clinical_candidates": ["age", "age * sex"]},
            "analysis.clinical_candidates: term 'age * sex': 'sex' is not declared",
        ),
        ({"models": ["age"]}, "analysis.models: expected a mapping {model name"),
        ({"selection": "stepwise"}, "analysis.selection: expected one of forward_lr"),
        ({"selection": "none"}, "analysis.selection: none needs prespecified models"),
        ({"bootstrap": {"B": 5}}, "analysis.bootstrap: expected a mapping {B: integer"),
        ({"bootstrap": {"n": 5}}, "analysis.bootstrap"),
        ({"dca_thresholds": {"from": 0.7}}, "analysis.dca_thresholds: expected a mapping"),
        ({"dca_thresholds": {"by": 0}}, "analysis.dca_thresholds"),
        ({"per": {"age": -1}}, "analysis.per: expected a mapping"),
        ({"per": {"mvi": 10}}, "analysis.per: odds-ratio units need numeric variables"),
    ],
)
def test_bad_plan_keys_one_line_input_error_against_schema(raw, says):
    with pytest.raises(InputError) as err:
        _read(raw)
    text = str(err.value)
    assert says in text and "\n" not in text and text.startswith("study.yaml: analysis")


@pytest.mark.r
def test_dca_thresholds_grid_against_r_seq():
    from hccstats.rbridge import run
    from hccstats.study import DecisionCurves

    for lo, hi, by in ((0.0, 0.6, 0.01), (0.05, 0.5, 0.05), (0.1, 0.35, 0.025)):
        grid = DecisionCurves(range=(lo, hi, by)).thresholds
        r = np.asarray(run("seq(a, b, by = s)", a=lo, b=hi, s=by), float)
        # the same values to the last bits R prints (R accumulates a + i*by as well)
        np.testing.assert_allclose(grid, r, rtol=0, atol=1e-12)
