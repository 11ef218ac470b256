"""survival's example data sets: lung, colon, veteran read from R (``r_data``); pbc and lung
from their stored copies (no R needed), with Python-friendly names and derived variables."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd


@functools.cache
def r_data(name: str) -> pd.DataFrame:
    """``survival::<name>`` as a DataFrame (dots in column names become underscores).

    colon keeps the death records only (``etype == 2``), one row per patient.
    """
    from hccstats.rbridge import run

    code = {
        "lung": "survival::lung",
        "veteran": "survival::veteran",
        "colon": "subset(survival::colon, etype == 2)",
    }[name]
    frame = run(code)
    frame.columns = [c.replace(".", "_") for c in frame.columns]
    return frame.reset_index(drop=True)


PBC_FORMULA = "Surv(time, death) ~ age + log_bili + log_albumin + edema"
PBC_HORIZON = 1826.0  # 5 years, in days


def pbc() -> pd.DataFrame:
    """survival::pbc as stored in tests/reference/datasets/pbc.csv, with ``death`` (status 2;
    a transplant counts as censored), ``trial`` (in the randomised trial, i.e. ``trt`` given),
    ``log_bili`` and ``log_albumin``."""
    from tests._datasets import DATASETS

    d = pd.read_csv(DATASETS / "pbc.csv")
    d.columns = [c.replace(".", "_") for c in d.columns]
    return d.assign(
        death=(d["status"] == 2).astype(int),
        trial=d["trt"].notna(),
        log_bili=np.log(d["bili"]),
        log_albumin=np.log(d["albumin"]),
    )


def pbc_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development (the 312 trial patients) and validation (the 106 others) parts of pbc."""
    d = pbc()
    return (d[d["trial"]].reset_index(drop=True), d[~d["trial"]].reset_index(drop=True))


def lung() -> pd.DataFrame:
    """survival::lung as stored in tests/reference/survival/lung.csv (dots to underscores),
    the rows with ph.ecog known; ``death`` is status 2."""
    from pathlib import Path

    d = pd.read_csv(Path(__file__).parent / "reference" / "survival" / "lung.csv", comment="#")
    d.columns = [c.replace(".", "_") for c in d.columns]
    d = d.dropna(subset=["ph_ecog"]).reset_index(drop=True)
    return d.assign(death=(d["status"] == 2).astype(int))
