"""Harrell's C with its infinitesimal-jackknife SE, as ``survival::concordance``.

A pair is comparable when the shorter time is a death; a censoring at the same time as a
death counts as the longer time, two deaths at one time are tied on y (not comparable).
Counts come from two sweeps over the times with a Fenwick tree over the ranks of x
(O(n log n)); each subject's share of concordant, discordant and x-tied pairs gives the
influence terms of R's variance (``concordancefit``: ``var = sum(dfbeta^2) / 4``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._jit import njit
from .._results import ConfidenceInterval
from .._validation import as_finite, check_conf_level
from ._surv import as_event, as_time

__all__ = ["concordance", "Concordance", "concordance_counts"]


@njit
def _add(tree, cnt, r, nrank):  # pragma: no cover - compiled
    cnt[r] += 1.0
    q = r
    while q <= nrank:
        tree[q] += 1.0
        q += q & (-q)


@njit
def _query(tree, cnt, total, r, out, s, c0):  # pragma: no cover - compiled
    below = 0.0
    q = r - 1
    while q > 0:
        below += tree[q]
        q -= q & (-q)
    out[s, c0] += below
    out[s, c0 + 2] += cnt[r]
    out[s, c0 + 1] += total - below - cnt[r]


@njit
def _sweeps(time, event, rank, nrank):  # pragma: no cover - compiled
    """Per subject: the other member's x below / above / tied; columns 0-2 with the subject
    as the earlier death (sweep from the longest time), 3-5 as the later member."""
    n = time.size
    out = np.zeros((n, 6))
    tree = np.zeros(nrank + 1)
    cnt = np.zeros(nrank + 1)
    order = np.argsort(-time, kind="mergesort")
    total = 0.0
    i = 0
    while i < n:  # censorings enter, deaths query, deaths enter
        j = i
        while j < n and time[order[j]] == time[order[i]]:
            j += 1
        for pas in range(3):
            for k in range(i, j):
                s = order[k]
                if pas == 1 and event[s] == 1:
                    _query(tree, cnt, total, rank[s], out, s, 0)
                elif (pas == 0 and event[s] == 0) or (pas == 2 and event[s] == 1):
                    _add(tree, cnt, rank[s], nrank)
                    total += 1.0
        i = j
    tree[:] = 0.0
    cnt[:] = 0.0
    total = 0.0
    i = n - 1
    while i >= 0:  # deaths query, deaths enter, censorings query
        j = i
        while j >= 0 and time[order[j]] == time[order[i]]:
            j -= 1
        for pas in range(3):
            for k in range(i, j, -1):
                s = order[k]
                if (pas == 0 and event[s] == 1) or (pas == 2 and event[s] == 0):
                    _query(tree, cnt, total, rank[s], out, s, 3)
                elif pas == 1 and event[s] == 1:
                    _add(tree, cnt, rank[s], nrank)
                    total += 1.0
        i = j
    return out


@dataclass(frozen=True)
class Concordance:
    """Harrell's C (R: ``survival::concordance``): estimate, se and the pair counts."""

    concordance: float
    se: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    n: int
    reverse: bool = False

    @property
    def var(self) -> float:
        return self.se**2

    def conf_int(self, conf_level: float = 0.95) -> ConfidenceInterval:
        """Wald interval C ± z se (as ``confint`` on R's concordance object)."""
        from scipy.stats import norm

        conf_level = check_conf_level(conf_level)
        q = norm.ppf(0.5 + conf_level / 2.0)
        return ConfidenceInterval(
            self.concordance - q * self.se, self.concordance + q * self.se, conf_level
        )

    def to_frame(self) -> pd.DataFrame:
        lo, hi = self.conf_int()
        return pd.DataFrame(
            [
                {
                    "concordance": self.concordance,
                    "se": self.se,
                    "ci_low": lo,
                    "ci_high": hi,
                    "concordant": self.concordant,
                    "discordant": self.discordant,
                    "tied_x": self.tied_x,
                    "tied_y": self.tied_y,
                    "tied_xy": self.tied_xy,
                    "n": self.n,
                }
            ]
        )

    def __repr__(self) -> str:
        return (
            f"n= {self.n} \nConcordance= {self.concordance:.4g} se= {self.se:.4g}\n"
            f"concordant discordant     tied.x     tied.y    tied.xy \n"
            f"{self.concordant:10.0f} {self.discordant:10.0f} {self.tied_x:10.0f} "
            f"{self.tied_y:10.0f} {self.tied_xy:10.0f}"
        )


def _tied_y(time: np.ndarray, event: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    d = event == 1
    frame = pd.DataFrame({"t": time[d], "x": x[d]})
    per_t = frame.groupby("t").size().to_numpy(float)
    per_tx = frame.groupby(["t", "x"]).size().to_numpy(float)
    both = float(np.sum(per_tx * (per_tx - 1) / 2))
    return float(np.sum(per_t * (per_t - 1) / 2)) - both, both


def concordance_counts(time, event, x, reverse: bool = False) -> Concordance:
    """The counting core on checked arrays (no input checks)."""
    _, rank = np.unique(x, return_inverse=True)
    rank = rank.astype(np.int64) + 1
    per = _sweeps(np.ascontiguousarray(time, float), event.astype(np.int64), rank, int(rank.max()))
    # larger x with longer time is concordant (R's default orientation)
    conc_i = per[:, 1] + per[:, 3]
    disc_i = per[:, 0] + per[:, 4]
    tie_i = per[:, 2] + per[:, 5]
    conc, disc, tied_x = per[:, 1].sum(), per[:, 0].sum(), per[:, 2].sum()
    if reverse:
        conc, disc = disc, conc
        conc_i, disc_i = disc_i, conc_i
    tied_y, tied_xy = _tied_y(time, event, x)
    npair = conc + disc + tied_x
    if npair == 0:
        return Concordance(np.nan, np.nan, conc, disc, tied_x, tied_y, tied_xy, len(time), reverse)
    somer = (conc - disc) / npair
    dfbeta = (conc_i - disc_i) / npair - (somer / npair) * (conc_i + disc_i + tie_i)
    se = float(np.sqrt(np.sum(dfbeta**2) / 4.0))
    return Concordance(
        (somer + 1.0) / 2.0, se, conc, disc, tied_x, tied_y, tied_xy, len(time), reverse
    )


def concordance(fit=None, *, time=None, event=None, x=None, reverse: bool = False) -> Concordance:
    """Harrell's concordance with its standard error.

    R equivalent: ``survival::concordance(fit)`` for a fitted :func:`coxph` (higher risk,
    shorter time: R's ``reverse = TRUE``), or ``concordance(Surv(time, event) ~ x,
    reverse = reverse)`` for any score ``x`` (by default larger ``x`` goes with longer
    survival, as in R).

    Parameters
    ----------
    fit : CoxFit, optional
        A fitted Cox model; its linear predictor is the score.
    time, event, x : array-like, optional
        Follow-up time, event indicator (0/1, 1/2 or logical) and score, when ``fit`` is None.
    reverse : bool
        Larger ``x`` goes with shorter survival (use it for risk scores).

    Returns
    -------
    Concordance
        ``concordance``, ``se`` (infinitesimal jackknife, as R), and the pair counts.
    """
    if fit is not None:
        if time is not None or event is not None or x is not None:
            raise InputError("concordance: give either a fitted model or time, event and x")
        return concordance_counts(fit.time, fit.event, fit.linear_predictors, reverse=True)
    if time is None or event is None or x is None:
        raise InputError("concordance: time, event and x are all needed without a fit")
    t = as_time(time)
    e = as_event(event)
    s = as_finite(x, "x")
    if not (t.size == e.size == s.size):
        raise InputError(
            f"concordance: time, event and x differ in length ({t.size}, {e.size}, {s.size})"
        )
    return concordance_counts(t, e, s, reverse=reverse)
