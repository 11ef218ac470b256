"""Shared loaders of the stored R references for the calibration and DCA tests."""

from __future__ import annotations

from pathlib import Path

import _datasets
import numpy as np
import pandas as pd

REF = Path(__file__).parent / "reference" / "calibration"
DCA_REF = REF  # net_benefit.csv, written by the same make_reference.R
BIRTHWT_FORMULA = "low ~ age + lwt + smoke + ptl + ht"


def read_ref(name: str, folder: Path = REF) -> pd.DataFrame:
    """A CSV written by make_reference.R; numbers printed with 17 digits (as strings) parsed."""
    df = pd.read_csv(folder / name)
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]) and c not in ("case", "index", "data", "model"):
            df[c] = pd.to_numeric(df[c].astype(str).str.strip(), errors="coerce")
    return df


def birthwt() -> pd.DataFrame:
    """The columns of MASS::birthwt the 5-predictor model uses (make_reference.R's ``bw``)."""
    return _datasets.birthwt()[["low", "age", "lwt", "smoke", "ptl", "ht"]]


def asah() -> pd.DataFrame:
    """pROC::aSAH: ``poor`` (outcome == "Poor"), s100b, ndka, age (make_reference.R's ``as``)."""
    a = _datasets.asah()
    return pd.DataFrame(
        {
            "poor": (a["outcome"] == "Poor").astype(int),
            "s100b": a["s100b"],
            "ndka": a["ndka"],
            "age": a["age"],
        }
    )


def birthwt_fit():
    import hccstats as hs

    return hs.lrm(BIRTHWT_FORMULA, birthwt())


def resamples_seed11() -> np.ndarray:
    """R's 50 resamples after set.seed(11) (one column each, 1-based) as (B, n) 0-based."""
    return read_ref("resamples_seed11_B50.csv").to_numpy(np.int64).T - 1
