"""survival's example data sets (lung, colon, veteran) read from R, with Python-friendly names."""

from __future__ import annotations

import functools

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
