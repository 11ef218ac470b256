"""The log-rank test (rho = 0) as ``survival::survdiff``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from .._names import r_unquote, unquote_name
from .._results import TestResult
from ._km import check_groups, group_label, ordered_levels
from ._surv import as_event, as_time, parse_surv, surv_columns

__all__ = ["survdiff", "LogRankTest"]


@dataclass(frozen=True, repr=False)
class LogRankTest(TestResult):
    """The log-rank test: ``statistic`` (chi-square), ``df``, ``p_value`` and ``table``, R's
    printed table (group, n, observed, expected, (O-E)^2/E, (O-E)^2/V); ``to_frame()`` is
    the one-row test, ``table`` the groups."""

    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "method": self.method,
                }
            ]
        )

    def __repr__(self) -> str:
        tab = self.table.to_string(index=False, float_format=lambda v: f"{v:.3g}")
        return (
            f"{tab}\n\n Chisq= {self.statistic:.1f}  on {self.df:g} degrees of freedom, "
            f"p= {self.p_value:.2g}"
        )


def _formula_groups(formula: str, data: Any) -> tuple[Any, Any, Any]:
    """(time, event, group) of ``survdiff("Surv(time, event) ~ x + y", data)``; several
    variables make one group per combination, labelled as R's strata ("x=1, y=a")."""
    if not isinstance(data, pd.DataFrame):
        raise InputError("survdiff(formula, data): data must be a pandas DataFrame")
    texpr, eexpr, rhs = parse_surv(formula)
    names = []
    for part in rhs.split("+"):
        name = unquote_name(r_unquote(part.strip()))  # `a b` or Q('a b') -> a b
        if name not in data.columns:
            raise InputError(f"survdiff: {name!r} is not a column of data (formula {formula!r})")
        names.append(name)
    time, event = surv_columns(texpr, data, "time"), surv_columns(eexpr, data, "event")
    frame = pd.DataFrame({"t": time, "e": event}).join(data[names])
    miss = frame.isna().any(axis=1)
    if miss.any():
        raise InputError(
            f"survdiff: {int(miss.sum())} row(s) with missing values in {['time', 'event', *names]}, "
            f"first at index {list(frame.index[miss][:5])}; drop them first"
        )
    if len(names) == 1:
        return frame["t"], frame["e"], data[names[0]]
    group = frame[names].apply(
        lambda r: ", ".join(f"{n}={group_label(v)}" for n, v in r.items()), axis=1
    )
    return frame["t"], frame["e"], group


def survdiff(time: Any, event: Any = None, group: Any = None, *, data: Any = None) -> LogRankTest:
    """Log-rank test of equal survival across groups.

    R equivalent: ``survival::survdiff(Surv(time, event) ~ group, data)`` (``rho = 0``).
    Called as R is, ``survdiff("Surv(time, status) ~ sex", data=lung)`` (several variables
    on the right give one group per combination), or with the three columns
    ``survdiff(time, event, group)``.

    Returns
    -------
    LogRankTest
        ``statistic`` (chi-square), ``df`` (groups - 1), ``p_value``; ``table`` is R's printed
        table: group, n, observed, expected, (O-E)^2/E, (O-E)^2/V.

    Examples
    --------
    >>> import pandas as pd
    >>> import hccstats as hs
    >>> d = pd.DataFrame({"t": [5, 8, 12, 3, 9, 15, 2, 7], "d": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "arm": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> round(hs.survdiff("Surv(t, d) ~ arm", data=d).p_value, 4)
    0.8715
    """
    if isinstance(time, str):
        if event is not None and data is None and isinstance(event, pd.DataFrame):
            data = event  # survdiff(formula, data) positionally, as in R
        time, event, group = _formula_groups(time, data)
    elif event is None or group is None:
        raise InputError(
            "survdiff: give a formula and data (survdiff('Surv(time, event) ~ group', data)) "
            "or the three columns (survdiff(time, event, group))"
        )
    t = as_time(time)
    e = as_event(event)
    if t.size != e.size:
        raise InputError(f"survdiff: time and event differ in length ({t.size}, {e.size})")
    g = check_groups(group, t.size)
    levels = ordered_levels(group, g)
    if len(levels) < 2:
        raise InputError(f"group: the log-rank test needs two or more groups, got {levels}")
    k = np.array([levels.index(v) for v in g])
    ut, inv = np.unique(t, return_inverse=True)
    m = ut.size
    n_at = np.zeros((m, len(levels)))
    d_at = np.zeros((m, len(levels)))
    np.add.at(n_at, (inv, k), 1.0)
    np.add.at(d_at, (inv, k), e.astype(float))
    risk = np.cumsum(n_at[::-1], axis=0)[::-1]  # at risk per group at each time
    n = risk.sum(axis=1)
    d = d_at.sum(axis=1)
    keep = d > 0
    risk, n, d, d_at = risk[keep], n[keep], d[keep], d_at[keep]
    frac = risk / n[:, None]
    expected = (d[:, None] * frac).sum(axis=0)
    observed = d_at.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    V = np.einsum("t,tj->j", c, frac)[:, None] * np.eye(len(levels)) - np.einsum(
        "t,ti,tj->ij", c, frac, frac
    )
    oe = observed - expected
    stat = float(oe[:-1] @ np.linalg.solve(V[:-1, :-1], oe[:-1]))
    df = len(levels) - 1
    table = pd.DataFrame(
        {
            "group": [group_label(v) for v in levels],
            "n": np.bincount(k, minlength=len(levels)),
            "observed": observed,
            "expected": expected,
            "oe2_e": oe**2 / expected,
            "oe2_v": oe**2 / np.diag(V),
        }
    )
    return LogRankTest(
        statistic=stat,
        p_value=float(sps.chi2.sf(stat, df)),
        method="Log-rank test (survdiff, rho = 0)",
        df=df,
        table=table,
    )
