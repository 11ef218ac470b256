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
    time_first: np.ndarray  # first sorted index of each distinct time (deaths or not)
    death_time_pos: np.ndarray  # position of each death time among the distinct times

    def at_risk_sums(self, a: np.ndarray) -> np.ndarray:
        """Risk-set sums of ``a`` (rows in sorted order) at each death time.

        Rows are first summed within each distinct time (contiguous), then accumulated from
        the last distinct time down: one pass over the data, the cumulative sum over times only.
        """
        per_time = np.add.reduceat(a, self.time_first, axis=0)
        return np.cumsum(per_time[::-1], axis=0)[::-1][self.death_time_pos]


def revcumsum(a: np.ndarray) -> np.ndarray:
    """Sums over j >= i along axis 0."""
    return np.cumsum(a[::-1], axis=0)[::-1]


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """First index of each run of equal values in a sorted array."""
    if sorted_values.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))


def risk_sets(time: np.ndarray, event: np.ndarray, ties: str) -> RiskSets:
    order = np.lexsort((-event, time))  # ascending time, deaths before censorings
    t = time[order]
    e = event[order]
    death_idx = np.flatnonzero(e == 1)
    dt = t[death_idx]
    group_first = _run_starts(dt)
    death_times = dt[group_first]
    n_deaths = np.diff(np.append(group_first, dt.size))
    start = np.searchsorted(t, death_times, side="left")
    death_group = np.repeat(np.arange(death_times.size), n_deaths)
    if ties == "efron":
        frac = (np.arange(dt.size) - np.repeat(group_first, n_deaths)) / np.repeat(
            n_deaths, n_deaths
        )
    else:
        frac = np.zeros(dt.size)
    upto = np.searchsorted(death_times, t, side="right")
    time_first = _run_starts(t)
    utimes = t[time_first]
    death_time_pos = np.searchsorted(utimes, death_times)
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
        time_first=time_first,
        death_time_pos=death_time_pos,
    )
