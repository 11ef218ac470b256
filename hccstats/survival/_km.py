"""Kaplan–Meier curves as ``survival::survfit``: Greenwood SE, log-transform limits, medians."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from ._surv import as_event, as_time

__all__ = ["survfit", "SurvFit", "km_table", "check_groups", "group_label", "ordered_levels"]

_TOL = np.sqrt(np.finfo(float).eps)  # R's quantile.survfit tolerance


def km_table(time: np.ndarray, event: np.ndarray, conf_level: float = 0.95) -> pd.DataFrame:
    """One Kaplan–Meier curve: a row per distinct time, as ``survfit``'s components.

    ``std_err`` is R's ``$std.err``, the Greenwood standard error of -log S
    (``sqrt(cumsum(d / (n (n - d))))``); the limits are ``S exp(-/+ z std_err)`` (R's default
    ``conf.type = "log"``), the upper one capped at 1, both NaN where S = 0.
    """
    ut, inv = np.unique(time, return_inverse=True)
    n_event = np.bincount(inv, weights=event, minlength=ut.size)
    n_all = np.bincount(inv, minlength=ut.size).astype(float)
    n_risk = np.cumsum(n_all[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        gw = np.cumsum(np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0))
        se = np.sqrt(gw)
        z = sps.norm.ppf(0.5 + conf_level / 2.0)
        ok = surv > 0
        lower = np.where(ok, np.exp(np.log(surv) - z * se), np.nan)
        upper = np.where(ok, np.minimum(np.exp(np.log(surv) + z * se), 1.0), np.nan)
    se = np.where(ok, se, np.nan)
    return pd.DataFrame(
        {
            "time": ut,
            "n_risk": n_risk,
            "n_event": n_event,
            "n_censor": n_all - n_event,
            "surv": surv,
            "std_err": se,
            "lower": lower,
            "upper": upper,
        }
    )


def _findq(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """R's ``survival:::findq``: the time at which the distribution 1 - S reaches ``p``,
    averaging the two ends of a flat stretch lying exactly at ``p``."""
    keep = ~np.isnan(y)
    if not keep.any() or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    idx = np.arange(y.size)
    x, y, idx = x, y, idx
    first = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[first], y[first]
    ok = ~np.isnan(y)

    def index(shift: float) -> float:
        hit = np.flatnonzero(ok & (y + shift >= p))
        if hit.size == 0 or not (np.nanmin(y + shift) <= p):
            return np.nan
        return hit[0]

    i1, i2 = index(_TOL), index(-_TOL)
    if np.isnan(i1) or np.isnan(i2):
        quant = np.nan
    else:
        quant = (x[int(i1)] + x[int(i2)]) / 2.0
    yl = y[ok][-1]
    if abs(p - yl) < _TOL and not np.isnan(i1):
        quant = (x[int(i1)] + xmax) / 2.0
    return float(quant)


def _median(tab: pd.DataFrame) -> tuple[float, float, float]:
    x = np.concatenate([[0.0], tab["time"].to_numpy()])

    def q(col):
        return _findq(x, np.concatenate([[0.0], 1.0 - tab[col].to_numpy()]), 0.5)

    return q("surv"), q("lower"), q("upper")


@dataclass(frozen=True, eq=False)
class SurvFit:
    """Kaplan–Meier estimates (the result of :func:`survfit`; R: a ``survfit`` object).

    ``curves`` maps each group (``"all"`` without groups) to its :func:`km_table` frame.
    """

    curves: dict[str, pd.DataFrame]
    n: dict[str, int]
    conf_level: float = 0.95
    group_name: str | None = None

    def table(self) -> pd.DataFrame:
        """R's ``print(survfit)``: group, n, events, median, median_lcl, median_ucl."""
        rows = []
        for g, tab in self.curves.items():
            med, lo, hi = _median(tab)
            rows.append(
                {
                    "group": g,
                    "n": self.n[g],
                    "events": float(tab["n_event"].sum()),
                    "median": med,
                    "median_lcl": lo,
                    "median_ucl": hi,
                }
            )
        return pd.DataFrame(rows)

    def summary(self, times: Sequence[float]) -> pd.DataFrame:
        """Estimates at chosen ``times`` (R: ``summary(fit, times = times, extend = TRUE)``).

        Columns: group, time, n_risk, n_event (events since the previous chosen time), surv,
        std_err (of S, R's summary column: S x Greenwood), lower, upper.
        """
        t = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if t.size == 0 or not np.all(np.isfinite(t)):
            raise InputError("times: expected finite numbers")
        frames = [_at_times(tab, t).assign(group=g) for g, tab in self.curves.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["group", "time", "n_risk", "n_event", "surv", "std_err", "lower", "upper"]]

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, one row per group and distinct time: group, time, n_risk,
        n_event, n_censor, surv, std_err (of -log S, R's ``$std.err``), lower, upper
        (``broom::tidy(survfit)``); ``group`` is ``"all"`` without groups."""
        frames = [tab.assign(group=g) for g, tab in self.curves.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["group", *(c for c in out.columns if c != "group")]]

    def at_risk(self, times: Sequence[float]) -> pd.DataFrame:
        """Number at risk (time >= t) per group at ``times``: rows groups, columns times."""
        s = self.summary(times)
        return s.pivot(index="group", columns="time", values="n_risk").loc[list(self.curves)]

    def __repr__(self) -> str:
        tab = self.table().set_index("group")
        tab.columns = [
            "n",
            "events",
            "median",
            f"{self.conf_level:g}LCL",
            f"{self.conf_level:g}UCL",
        ]
        if len(tab) == 1:
            tab.index = [""]
        return "Call: survfit\n\n" + tab.to_string(float_format=lambda v: f"{v:.6g}")


def _at_times(tab: pd.DataFrame, t: np.ndarray) -> pd.DataFrame:
    tt = tab["time"].to_numpy()
    idx = np.searchsorted(tt, t, side="right") - 1
    nxt = np.searchsorted(tt, t, side="left")
    n_all = (tab["n_event"] + tab["n_censor"]).to_numpy()
    at_risk = np.concatenate([np.cumsum(n_all[::-1])[::-1], [0.0]])
    cum_ev = np.concatenate([[0.0], np.cumsum(tab["n_event"].to_numpy())])
    before = idx >= 0

    def pick(col: str, start: float) -> np.ndarray:
        return np.where(before, tab[col].to_numpy()[np.maximum(idx, 0)], start)

    surv = pick("surv", 1.0)
    return pd.DataFrame(
        {
            "time": t,
            "n_risk": at_risk[nxt],
            "n_event": np.diff(np.concatenate([[0.0], cum_ev[idx + 1]])),
            "surv": surv,
            "std_err": surv * pick("std_err", 0.0),
            "lower": pick("lower", 1.0),
            "upper": pick("upper", 1.0),
        }
    )


def check_groups(group: Any, n: int, name: str = "group") -> np.ndarray:
    """Group labels as an object array of strings; InputError for missing labels or length."""
    g = np.asarray(group, dtype=object)
    if g.ndim != 1 or g.size != n:
        raise InputError(f"{name}: expected {n} labels, got shape {g.shape}")
    miss = pd.isna(pd.Series(g)).to_numpy()
    if miss.any():
        raise InputError(
            f"{name}: {int(miss.sum())} missing label(s), first at {np.flatnonzero(miss)[:5].tolist()}"
        )
    return g


def group_label(value: Any) -> str:
    """A group's label as text: whole floats lose their ".0" (R prints sex=1, not 1.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ordered_levels(group: Any, g: np.ndarray) -> list:
    cats = getattr(getattr(group, "cat", None), "categories", None)
    if cats is None and isinstance(group, pd.Categorical):
        cats = group.categories
    levels = (
        list(cats) if cats is not None else sorted(set(g.tolist()), key=lambda v: (str(type(v)), v))
    )
    return [lv for lv in levels if np.any(g == lv)]


def survfit(time: Any, event: Any, group: Any = None, *, conf_level: float = 0.95) -> SurvFit:
    """Kaplan–Meier survival curves, overall or by group.

    R equivalent: ``survival::survfit(Surv(time, event) ~ group)`` (``~ 1`` without groups),
    with R's defaults: Greenwood variance and ``conf.type = "log"`` limits; ``print(fit)``
    medians with their limits (``fit.table()``), ``summary(fit, times)`` (``fit.summary``).

    Parameters
    ----------
    time, event : array-like
        Follow-up time (non-negative) and event indicator (0/1, 1/2 with 2 = event, logical).
    group : array-like, optional
        Group labels; curves in the order of a pandas Categorical's categories, else sorted.
    conf_level : float

    Returns
    -------
    SurvFit
    """
    t = as_time(time)
    e = as_event(event)
    if t.size != e.size:
        raise InputError(f"survfit: time and event differ in length ({t.size}, {e.size})")
    if t.size == 0:
        raise InputError("survfit: no observations")
    if not (isinstance(conf_level, float) and 0 < conf_level < 1):
        raise InputError(f"conf_level: expected a number between 0 and 1, got {conf_level!r}")
    if group is None:
        return SurvFit({"all": km_table(t, e, conf_level)}, {"all": int(t.size)}, conf_level)
    g = check_groups(group, t.size)
    curves, n = {}, {}
    for lv in ordered_levels(group, g):
        m = g == lv
        curves[group_label(lv)] = km_table(t[m], e[m], conf_level)
        n[group_label(lv)] = int(m.sum())
    return SurvFit(curves, n, conf_level, getattr(group, "name", None))
