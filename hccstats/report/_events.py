"""Too few events for the models: events per variable (EPV) and the alerts that say so.

EPV counts the fewer of events and non-events (the limiting sample size of a binary outcome)
per degree of freedom of the model (its coefficients besides the intercept: a factor of k
levels counts k - 1, a spline its columns). Below 10 the model's odds ratios are biased away
from 1 and its apparent performance overfitted (Peduzzi et al., J Clin Epidemiol 1996;
Riley et al., Stat Med 2019), so the report says so atop the report, on stderr and in
results.json ``alerts``, as it does for separation.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = [
    "EPV_MIN",
    "PER_CANDIDATE_MIN",
    "events_per_variable",
    "epv_alert",
    "few_events_alert",
]

EPV_MIN = 10  # events per variable below which a model is flagged
PER_CANDIDATE_MIN = 2  # the screen is flagged below this many events per candidate


def events_per_variable(fit) -> dict[str, float]:
    """``events``, ``nonevents``, ``limiting`` (the fewer), ``df`` (coefficients besides the
    intercept) and ``epv`` (limiting / df) of a fitted logistic model."""
    n, events = int(fit.stats["n"]), int(fit.stats["events"])
    limiting = min(events, n - events)
    df = int(sum(1 for name in fit.coef.index if name != "Intercept"))
    return {
        "events": events,
        "nonevents": n - events,
        "limiting": limiting,
        "df": df,
        "epv": limiting / df if df else float("nan"),
    }


def _which(e: Mapping[str, float]) -> str:
    return "events" if e["events"] <= e["nonevents"] else "non-events"


def epv_alert(name: str, fit) -> str | None:
    """The warning for a model with fewer than :data:`EPV_MIN` events per variable (None else)."""
    e = events_per_variable(fit)
    if not e["df"] or e["epv"] >= EPV_MIN:
        return None
    return (
        f"Too few events for the {name}: {e['limiting']} {_which(e)} (the fewer of events and "
        f"non-events) for {e['df']} degrees of freedom, {e['epv']:.1f} events per variable "
        f"(below {EPV_MIN}). Its odds ratios are biased away from 1 and its apparent "
        "performance is overfitted; prefer fewer variables, a penalised model, or more patients."
    )


def few_events_alert(y: pd.Series, candidates: list[str]) -> str | None:
    """The warning for a training set with fewer than :data:`PER_CANDIDATE_MIN` events (the
    fewer of events and non-events) per candidate variable, or a single one (None else)."""
    y = pd.Series(y).dropna()
    events = int((y == 1).sum())
    limiting = min(events, len(y) - events)
    k = len(candidates)
    if limiting > 1 and (k == 0 or limiting >= PER_CANDIDATE_MIN * k):
        return None
    which = "event" if events <= len(y) - events else "non-event"
    which += "" if limiting == 1 else "s"
    return (
        f"Too few events: the training set has {limiting} {which} (the fewer of events and "
        f"non-events) for {k} candidate variable(s), fewer than {PER_CANDIDATE_MIN} per "
        "candidate. The univariable odds ratios and any model built on them rest on too few "
        "events to be estimated reliably; they are shown for completeness, not as results."
    )
