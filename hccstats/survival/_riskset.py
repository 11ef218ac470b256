"""Risk-set bookkeeping shared by the Cox fit, its residuals and the baseline hazard.

Subjects are sorted by time; the risk set at a death time is every subject whose time is at
least that time, so each risk-set sum is a reverse cumulative sum read at the first subject
of the time's group. Tied deaths are expanded to one row per death with Efron's fraction
``k/d`` (zero for Breslow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RiskSets", "risk_sets", "revcumsum"]


@dataclass(frozen=True)
class RiskSets:
    order: np.ndarray  # sorting permutation (ascending time)
    time: np.ndarray  # sorted times
    event: np.ndarray  # sorted 0/1
    death_times: np.ndarray  # unique death times (ascending), length m
    start: np.ndarray  # first sorted index with time == death_times[g]
    n_deaths: np.ndarray  # deaths per death time
    death_idx: np.ndarray  # sorted indices of the deaths (ascending time)
    death_group: np.ndarray  # death time group of each death
    group_first: np.ndarray  # position in death_idx where each group starts
    frac: np.ndarray  # per expanded death row: k/d (Efron) or 0 (Breslow)
    row_group: np.ndarray  # per expanded row: its death time group
    upto: np.ndarray  # per sorted subject: number of death times <= its time


def revcumsum(a: np.ndarray) -> np.ndarray:
    """Sums over j >= i along axis 0."""
    return np.cumsum(a[::-1], axis=0)[::-1]


def risk_sets(time: np.ndarray, event: np.ndarray, ties: str) -> RiskSets:
    order = np.lexsort((-event, time))  # ascending time, deaths before censorings
    t = time[order]
    e = event[order]
    death_idx = np.flatnonzero(e == 1)
    dt = t[death_idx]
    death_times, group_first, n_deaths = np.unique(dt, return_index=True, return_counts=True)
    start = np.searchsorted(t, death_times, side="left")
    death_group = np.repeat(np.arange(death_times.size), n_deaths)
    if ties == "efron":
        frac = (np.arange(dt.size) - np.repeat(group_first, n_deaths)) / np.repeat(
            n_deaths, n_deaths
        )
    else:
        frac = np.zeros(dt.size)
    upto = np.searchsorted(death_times, t, side="right")
    return RiskSets(
        order=order,
        time=t,
        event=e,
        death_times=death_times,
        start=start,
        n_deaths=n_deaths,
        death_idx=death_idx,
        death_group=death_group,
        group_first=group_first,
        frac=frac,
        row_group=death_group,
        upto=upto,
    )
