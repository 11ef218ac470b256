"""A statistician's checks of the loaded data, per training and validation set.

Each set needs events and non-events (its AUC and calibration are undefined otherwise), and
with a ``survival:`` section the horizon must lie after the set's first event and within its
follow-up (risks at the horizon are estimated there). Each refusal is one line naming the
set; found at load, before anything runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["check_sets_have_both_classes", "check_horizon", "SETS"]

SETS = ("training", "validation")


def _sets(data: pd.DataFrame):
    for part in SETS:
        rows = data[data["split"] == part]
        if len(rows):
            yield part, rows


def check_sets_have_both_classes(data: pd.DataFrame, outcome: str, file: str) -> None:
    """InputError naming the set (training or validation) without events or non-events."""
    for part, rows in _sets(data):
        events = int(rows[outcome].sum())
        if events in (0, len(rows)):
            lacks = "events" if events == 0 else "non-events"
            raise InputError(
                f"{file}: column {outcome!r}: the {part} set ({len(rows)} patients) has no "
                f"{lacks} (outcome {'= 1' if events == 0 else '= 0'}): its AUC and calibration "
                "cannot be estimated; choose another split"
            )


def check_horizon(data: pd.DataFrame, survival: dict, file: str) -> None:
    """InputError when ``survival.horizon`` lies beyond a set's last follow-up time or before
    its first event (no event by the horizon), naming the horizon and the set."""
    time_col, event_col, horizon = survival["time"], survival["event"], survival["horizon"]
    for part, rows in _sets(data):
        time = rows[time_col].to_numpy(float)
        event = rows[event_col].to_numpy() == 1
        where = f"{file}: survival.horizon {horizon:g}"
        if horizon > time.max():
            raise InputError(
                f"{where} lies beyond the last follow-up time of the {part} set "
                f"({time.max():g} in column {time_col!r}): risks at the horizon cannot be "
                "estimated there; choose a horizon within follow-up"
            )
        first = time[event].min() if event.any() else np.inf
        if horizon < first:
            said = f"at {first:g}" if np.isfinite(first) else f"none in column {event_col!r}"
            raise InputError(
                f"{where} lies before the first event of the {part} set ({said}): no event by "
                "the horizon; choose a later horizon"
            )
