"""The log-rank test (rho = 0) as ``survival::survdiff``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from .._results import TestResult
from ._km import check_groups, group_label, ordered_levels
from ._surv import as_event, as_time

__all__ = ["survdiff"]


def survdiff(time: Any, event: Any, group: Any) -> TestResult:
    """Log-rank test of equal survival across groups.

    R equivalent: ``survival::survdiff(Surv(time, event) ~ group)`` (``rho = 0``).

    Returns
    -------
    TestResult
        ``statistic`` (chi-square), ``df`` (groups - 1), ``p_value``; ``extra["table"]`` is
        R's printed table: group, n, observed, expected, (O-E)^2/E, (O-E)^2/V.
    """
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
    return TestResult(
        statistic=stat,
        p_value=float(sps.chi2.sf(stat, df)),
        method="Log-rank test (survdiff, rho = 0)",
        df=df,
        extra={"table": table},
    )
