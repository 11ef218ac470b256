"""Who is screened out of a study, and why: the one rule hccstats' loader and extract share.

A patient is screened out when the column named by ``clinical.exclude`` holds a value (the
value is the reason), else, in a study whose only endpoint is time to the event, when the
survival time or event is missing, else when the outcome is missing. No dependencies beyond
pandas: ``hccstats.study`` imports it (``extract`` imports nothing from hccstats).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["screen", "screening_columns"]


def screen(
    table: pd.DataFrame,
    *,
    exclude: str | None,
    outcome: str | None,
    survival: Mapping[str, str] | None = None,
) -> pd.Series:
    """Each patient's reason to be screened out (NaN: included), in the table's order.

    ``survival`` ({time, event}) is given only for a survival-only study, where the time and
    event are the outcome. A column named here but absent from ``table`` screens nobody out
    (the caller checks that the columns exist).
    """
    reasons = pd.Series(np.nan, index=table.index, dtype=object)
    if exclude is not None and exclude in table.columns:
        given = table[exclude]
        reasons[given.notna()] = given[given.notna()]
    for role in ("time", "event") if survival else ():
        col = survival[role]
        if col in table.columns:
            reasons[table[col].isna() & reasons.isna()] = f"missing survival {role} ({col})"
    if outcome is not None and outcome in table.columns:
        reasons[table[outcome].isna() & reasons.isna()] = f"missing outcome ({outcome})"
    return reasons


def _column(spec, key: str, shorthand: str | None = None):
    if isinstance(spec, str):
        return spec if key == shorthand else None
    return spec.get(key) if isinstance(spec, Mapping) else None


def screening_columns(config: Mapping) -> dict:
    """The columns :func:`screen` reads, from a study file as written (a yaml mapping):
    ``{"exclude", "outcome", "survival"}``; ``survival`` only when the study has no
    ``outcome:`` (its time and event are then the outcome)."""
    outcome = _column(config.get("outcome"), "column", "column")
    surv = config.get("survival")
    survival = None
    if outcome is None and isinstance(surv, Mapping):
        survival = {"time": surv.get("time"), "event": surv.get("event")}
        outcome = survival["event"]
    return {
        "exclude": _column(config.get("clinical"), "exclude"),
        "outcome": outcome,
        "survival": survival,
    }
