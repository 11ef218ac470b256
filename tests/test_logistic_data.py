"""Shared data and functions of the logistic tests (stored R datasets, R-name mapping).

MASS::birthwt and datasets::infert are read from tests/reference/datasets/ (as R ships them);
brglm2::endometrial was written by tests/reference/logistic/make_reference.R. The
stored-reference tests need no R.
"""

from __future__ import annotations

from pathlib import Path

import _datasets
import pandas as pd

REF = Path(__file__).parent / "reference" / "logistic"

BIRTHWT_FORMULA = "low ~ age + lwt + race + smoke + ptl + ht + ui + ftv"
INFERT_FORMULA = "case ~ age + parity + education + spontaneous + induced"
BIRTHWT_CANDIDATES = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"]
INFERT_CANDIDATES = ["age", "parity", "education", "spontaneous", "induced"]

# glm restarted twice at its own estimates: summary()'s SEs use the weights of the iteration
# before the last, which with a deviance-based stopping rule lag the optimum by ~1e-8 (the
# deviance is flat there); a restart's first iteration starts at the previous estimates.
_CTL = "control = glm.control(epsilon = 1e-14, maxit = 100)"
_G0 = "glm({f}, family = binomial, data = d, " + _CTL + ")"
_G1 = "glm({f}, family = binomial, data = d, " + _CTL + ", start = coef(" + _G0 + "))"
GLM = "glm({f}, family = binomial, data = d, " + _CTL + ", start = coef(" + _G1 + "))"


def birthwt() -> pd.DataFrame:
    """MASS::birthwt, race labelled (make_reference.R's ``bw``)."""
    return _datasets.birthwt_race_labelled()


def infert() -> pd.DataFrame:
    """The columns of datasets::infert the models use (make_reference.R's ``inf``)."""
    return _datasets.infert()[["case", "age", "parity", "education", "spontaneous", "induced"]]


def endometrial() -> pd.DataFrame:
    return pd.read_csv(REF / "endometrial.csv")


DATASETS = {"birthwt": (birthwt, BIRTHWT_FORMULA), "infert": (infert, INFERT_FORMULA)}


def patsy_name(r_name: str, fit) -> str:
    """R's 'raceblack' -> patsy's 'race[T.black]'; '(Intercept)' -> 'Intercept'."""
    if r_name == "(Intercept)":
        return "Intercept"
    if r_name in fit.coef.index:
        return r_name
    for term, cols in fit.term_columns.items():
        for c in cols:
            if c.startswith(term + "[T.") and term + c[len(term) + 3 : -1] == r_name:
                return c
    raise KeyError(r_name)


def test_stored_datasets_are_complete():
    assert (
        birthwt().shape == (189, 10)
        and infert().shape == (248, 6)
        and endometrial().shape == (79, 4)
    )
    assert birthwt()["race"].isna().sum() == 0 and infert()["education"].isna().sum() == 0
