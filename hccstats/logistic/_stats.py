"""Model statistics that ``rms::lrm`` prints: LR chi2, R2 family, Brier, C, Dxy, gamma, tau-a, g."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps
from scipy.special import expit

__all__ = ["concordance", "gini_md", "model_stats", "null_loglik"]


def null_loglik(y: np.ndarray) -> float:
    n1 = float(y.sum())
    n0 = len(y) - n1
    pbar = n1 / len(y)
    return n1 * np.log(pbar) + n0 * np.log1p(-pbar)


def concordance(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """C (ties count 1/2), Somers' Dxy, Goodman-Kruskal gamma and Kendall tau-a of (score, y)."""
    n = len(y)
    ev = y > 0.5
    n1 = int(ev.sum())
    n0 = n - n1
    ranks = sps.rankdata(score)
    c = (ranks[ev].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    diff = n1 * n0 * (2.0 * c - 1.0)  # concordant - discordant pairs
    _, inv = np.unique(score, return_inverse=True)
    ties = float(
        np.sum(
            np.bincount(inv, weights=ev.astype(float))
            * np.bincount(inv, weights=(~ev).astype(float))
        )
    )
    useful = n1 * n0 - ties
    return {
        "C": c,
        "Dxy": 2.0 * c - 1.0,
        "gamma": diff / useful if useful > 0 else np.nan,
        "tau_a": diff / (n * (n - 1) / 2.0),
    }


def gini_md(x: np.ndarray) -> float:
    """Gini's mean difference: mean |x_i - x_j| over all pairs i != j (Hmisc::GiniMd)."""
    n = len(x)
    if n < 2:
        return np.nan
    w = 4.0 * (np.arange(1, n + 1) - (n - 1) / 2.0) / n / (n - 1)
    return float(np.sum(w * np.sort(x - x.mean())))


def model_stats(
    y: np.ndarray, lp: np.ndarray, ll: float, df: int, score: np.ndarray
) -> dict[str, float]:
    """The ``stats`` vector of rms::lrm (names in snake case, plus log-likelihoods, AIC, deviance)."""
    n = len(y)
    events = float(y.sum())
    ll0 = null_loglik(y)
    lr = 2.0 * (ll - ll0)
    prob = expit(lp)
    p_events = np.array([events, n - events]) / n
    n_eff = n * (1.0 - np.sum(p_events**3))
    conc = concordance(y, prob)
    # rms's Fortran lrm.fit bins the probabilities into 5001 cells (floor(5000 p)), pairs in
    # one cell counting as ties: its printed C, Dxy, gamma and tau-a
    binned = concordance(y, np.floor(5000.0 * prob))
    out = {
        "n": n,
        "events": int(events),
        "max_deriv": float(np.max(np.abs(score))),
        "lr_chi2": lr,
        "df": int(df),
        "p": float(sps.chi2.sf(lr, df)) if df > 0 else 1.0,
        "C": conc["C"],
        "Dxy": conc["Dxy"],
        "gamma": conc["gamma"],
        "tau_a": conc["tau_a"],
        "C_rms": binned["C"],
        "Dxy_rms": binned["Dxy"],
        "gamma_rms": binned["gamma"],
        "tau_a_rms": binned["tau_a"],
        "R2": (1.0 - np.exp(-lr / n)) / (1.0 - np.exp(2.0 * ll0 / n)),
        "R2_n": 1.0 - np.exp(-lr / n),
        "R2_adj_n": 1.0 - np.exp(-max(lr - df, 0.0) / n),
        "R2_neff": 1.0 - np.exp(-lr / n_eff),
        "R2_adj_neff": 1.0 - np.exp(-max(lr - df, 0.0) / n_eff),
        "n_eff": n_eff,
        "Brier": float(np.mean((prob - y) ** 2)),
        "g": gini_md(lp),
        "gr": float(np.exp(gini_md(lp))),
        "gp": gini_md(prob),
        "loglik": ll,
        "null_loglik": ll0,
        "deviance": -2.0 * ll,
        "null_deviance": -2.0 * ll0,
        "aic": -2.0 * ll + 2.0 * (df + 1),
    }
    return {k: (v if isinstance(v, int) else float(v)) for k, v in out.items()}
