"""The reference datasets, each stored once in tests/reference/datasets/ as R ships it
(written by make_datasets.R there). Each test module derives the variables it needs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATASETS = Path(__file__).parent / "reference" / "datasets"

RACE = ["white", "black", "other"]  # MASS::birthwt's race codes 1, 2, 3
EDUCATION = ["0-5yrs", "6-11yrs", "12+ yrs"]  # datasets::infert's education levels


def birthwt() -> pd.DataFrame:
    """MASS::birthwt: 189 births, low birth weight (``low``) and its risk factors, all coded as
    numbers (race 1-3)."""
    return pd.read_csv(DATASETS / "birthwt.csv")


def birthwt_race_labelled() -> pd.DataFrame:
    """MASS::birthwt with race as the categorical white, black, other."""
    d = birthwt()
    d["race"] = pd.Categorical.from_codes(d["race"] - 1, RACE)
    return d


def infert() -> pd.DataFrame:
    """datasets::infert: 248 women, infertility (``case``) after spontaneous and induced
    abortions; education as the categorical 0-5yrs, 6-11yrs, 12+ yrs."""
    d = pd.read_csv(DATASETS / "infert.csv")
    d["education"] = pd.Categorical(d["education"], EDUCATION)
    return d


def biopsy() -> pd.DataFrame:
    """MASS::biopsy: 699 breast biopsies, class benign/malignant and nine cytological scores
    V1..V9 (1-10); V6 (bare nuclei) missing in 16."""
    return pd.read_csv(DATASETS / "biopsy.csv")


def asah() -> pd.DataFrame:
    """pROC::aSAH: 113 patients after aneurysmal subarachnoid haemorrhage; outcome Good/Poor,
    S100B, NDKA, WFNS grade (1-5), age, gender."""
    return pd.read_csv(DATASETS / "asah.csv")
