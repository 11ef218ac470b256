"""Harrell's and Uno's C with the infinitesimal-jackknife SE, as ``survival::concordance``.

A pair is comparable when the shorter time is a death; a censoring at the same time as a
death counts as the longer time, two deaths at one time are tied on y (not comparable).
Counts come from two sweeps over the times with a Fenwick tree over the ranks of x
(O(n log n)); each subject's share of concordant, discordant and x-tied pairs gives the
influence terms of R's variance (``concordancefit``: ``var = sum(dfbeta^2) / 4``).

``timewt = "n/G2"`` weights every pair whose earlier member dies at ``t`` by ``1 / G(t-)^2``
(Uno's C), ``G`` the Kaplan–Meier estimate of the censoring distribution with deaths at ``t``
leaving the risk set before the censorings at ``t`` (R's ``fastkm1``); as in R the weights
are treated as known in the variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._jit import njit
from .._results import ConfidenceInterval
from .._validation import as_finite, check_conf_level
from ._args import NOT_GIVEN, renamed
from ._surv import as_event, as_time

__all__ = ["concordance", "Concordance", "concordance_counts", "censoring_before", "TIMEWT"]


@njit
def _add(tree, cnt, r, nrank, w):  # pragma: no cover - compiled
    cnt[r] += w
    q = r
    while q <= nrank:
        tree[q] += w
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
def _sweeps(time, event, rank, nrank, wt):  # pragma: no cover - compiled
    """Per subject: the other member's x below / above / tied; columns 0-2 with the subject
    as the earlier death (sweep from the longest time), 3-5 as the later member. Each pair
    carries the weight ``wt`` of its earlier member (a death)."""
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
                    for c in range(3):
                        out[s, c] *= wt[s]
                elif (pas == 0 and event[s] == 0) or (pas == 2 and event[s] == 1):
                    _add(tree, cnt, rank[s], nrank, 1.0)
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
                    _add(tree, cnt, rank[s], nrank, wt[s])
                    total += wt[s]
        i = j
    return out


@dataclass(frozen=True)
class Concordance:
    """Harrell's or Uno's C (R: ``survival::concordance``): estimate, se and the pair counts.

    With ``timewt = "n/G2"`` (Uno) the counts are sums of pair weights, as R's ``count``.
    """

    concordance: float
    se: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    n: int
    reverse: bool = False
    timewt: str = "n"

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


def _tied_y(time, event, x, wt) -> tuple[float, float]:
    """Pairs of deaths tied on time (and on time and x), each weighted by its time's weight."""
    d = event == 1
    frame = pd.DataFrame({"t": time[d], "x": x[d], "w": wt[d]})
    per_t = frame.groupby("t")["w"].agg(["size", "first"]).to_numpy(float)
    per_tx = frame.groupby(["t", "x"])["w"].agg(["size", "first"]).to_numpy(float)
    both = float(np.sum(per_tx[:, 0] * (per_tx[:, 0] - 1) / 2 * per_tx[:, 1]))
    return float(np.sum(per_t[:, 0] * (per_t[:, 0] - 1) / 2 * per_t[:, 1])) - both, both


def censoring_before(time: np.ndarray, event: np.ndarray, at: np.ndarray) -> np.ndarray:
    """G(t-) at the times ``at``: Kaplan–Meier of the censoring times in which the deaths at a
    time leave the risk set before the censorings at that time (R's ``fastkm1``)."""
    ut, inv = np.unique(time, return_inverse=True)
    n_cens = np.bincount(inv, weights=1.0 - event, minlength=ut.size)
    n_all = np.bincount(inv, minlength=ut.size).astype(float)
    n_after = np.cumsum(n_all[::-1])[::-1] - n_all  # time > u
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(n_cens > 0, n_after / (n_after + n_cens), 1.0)
    g = np.concatenate([[1.0], np.cumprod(factor)])
    return g[np.searchsorted(ut, at, side="left")]


TIMEWT = ("n", "n/G2")


def time_weights(time, event, timewt: str, ymax: float | None) -> np.ndarray:
    """Each subject's pair weight as the earlier member (used for deaths only)."""
    wt = np.ones(time.size)
    if timewt == "n/G2" and event.sum() >= 2:  # R falls back to "n" with fewer than 2 deaths
        wt = 1.0 / censoring_before(time, event, time) ** 2
    if ymax is not None:
        wt = np.where(time > ymax, 0.0, wt)
    return wt


def concordance_counts(
    time, event, x, reverse: bool = False, timewt: str = "n", ymax: float | None = None
) -> Concordance:
    """The counting core on checked arrays (no input checks)."""
    _, rank = np.unique(x, return_inverse=True)
    rank = rank.astype(np.int64) + 1
    wt = time_weights(time, event, timewt, ymax)
    per = _sweeps(
        np.ascontiguousarray(time, float), event.astype(np.int64), rank, int(rank.max()), wt
    )
    # larger x with longer time is concordant (R's default orientation)
    conc_i = per[:, 1] + per[:, 3]
    disc_i = per[:, 0] + per[:, 4]
    tie_i = per[:, 2] + per[:, 5]
    conc, disc, tied_x = per[:, 1].sum(), per[:, 0].sum(), per[:, 2].sum()
    if reverse:
        conc, disc = disc, conc
        conc_i, disc_i = disc_i, conc_i
    tied_y, tied_xy = _tied_y(time, event, x, wt)
    counts = (conc, disc, tied_x, tied_y, tied_xy, len(time), reverse, timewt)
    npair = conc + disc + tied_x
    if npair == 0:
        return Concordance(np.nan, np.nan, *counts)
    somer = (conc - disc) / npair
    dfbeta = (conc_i - disc_i) / npair - (somer / npair) * (conc_i + disc_i + tie_i)
    se = float(np.sqrt(np.sum(dfbeta**2) / 4.0))
    return Concordance((somer + 1.0) / 2.0, se, *counts)


def _is_fit(obj) -> bool:
    return all(hasattr(obj, a) for a in ("time", "event", "linear_predictor"))


def concordance(
    time=None,
    event=None,
    score=None,
    *,
    fit=None,
    reverse: bool = False,
    timewt: str = "n",
    ymax: float | None = None,
    x=NOT_GIVEN,
) -> Concordance:
    """Harrell's (``timewt="n"``) or Uno's (``timewt="n/G2"``) concordance with its SE.

    R equivalent: ``survival::concordance(fit, timewt = timewt)`` for a fitted :func:`coxph`
    (higher risk, shorter time: R's ``reverse = TRUE``), or ``concordance(Surv(time, event) ~
    score, reverse = reverse, timewt = timewt, ymax = ymax)`` for any score (by default larger
    ``score`` goes with longer survival, as in R; pass ``reverse=True`` for a risk score).

    Parameters
    ----------
    time : array-like or CoxFit
        Follow-up time; or a fitted Cox model (as ``fit``), whose linear predictor is the score.
    event : array-like
        Event indicator (0/1, 1/2 or logical).
    score : array-like
        The predictor (``x=`` is its deprecated name).
    fit : CoxFit, optional
        A fitted Cox model, instead of ``time``, ``event`` and ``score``.
    reverse : bool
        Larger ``score`` goes with shorter survival (use it for risk scores).
    timewt : {"n", "n/G2"}
        ``"n"``: Harrell's C, every comparable pair counts once. ``"n/G2"``: Uno's C, a pair
        whose earlier member dies at ``t`` weighs ``1 / G(t-)^2`` (``G``: Kaplan–Meier of the
        censoring), as R's ``timewt = "n/G2"``.
    ymax : float, optional
        Pairs whose earlier death is after ``ymax`` are left out (R's ``ymax``; Uno's tau).

    Returns
    -------
    Concordance
        ``concordance``, ``se`` (R's infinitesimal jackknife, ``sqrt(var)``), ``conf_int()``
        and the (weighted) pair counts.

    Examples
    --------
    >>> import hccstats as hs
    >>> hs.concordance(months, recurred, risk, reverse=True, timewt="n/G2")  # doctest: +SKIP
    """
    score = renamed("concordance", "score", score, "x", x)
    if timewt not in TIMEWT:
        raise InputError(f"timewt: expected 'n' (Harrell) or 'n/G2' (Uno), got {timewt!r}")
    if ymax is not None and not (isinstance(ymax, (int, float)) and np.isfinite(ymax)):
        raise InputError(f"ymax: expected a finite time, got {ymax!r}")
    if fit is None and _is_fit(time):
        fit, time = time, None
    if fit is not None:
        if time is not None or event is not None or score is not None:
            raise InputError("concordance: give either a fitted model or time, event and score")
        return concordance_counts(fit.time, fit.event, fit.linear_predictor(), True, timewt, ymax)
    if time is None or event is None or score is None:
        raise InputError("concordance: time, event and score are all needed without a fit")
    t = as_time(time)
    e = as_event(event)
    s = as_finite(score, "score")
    if not (t.size == e.size == s.size):
        raise InputError(
            f"concordance: time, event and score differ in length ({t.size}, {e.size}, {s.size})"
        )
    return concordance_counts(t, e, s, reverse, timewt, ymax)
