"""Newton–Raphson for the Cox partial likelihood (Efron or Breslow ties), in numpy.

Every risk-set sum is a reverse cumulative sum over the time-sorted rows, and the
information matrix is assembled as ``X' diag(c) X - M' M`` (``c``: each subject's summed
inverse risk-set weights, ``M``: the risk-set means of the deaths), so one evaluation costs
O(n p^2) in BLAS with no loop over death times. The iteration mirrors ``survival``'s
``coxfit6``: start at zero, full Newton steps halved while the log-likelihood falls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from ._riskset import RiskSets

__all__ = ["CoxCore", "fit_cox", "evaluate", "score_residuals", "weighted_blocks"]


@dataclass(frozen=True)
class Evaluation:
    loglik: float
    score: np.ndarray
    info: np.ndarray
    hazard: np.ndarray  # baseline hazard jumps at the death times (x = 0, Efron or Breslow)


@dataclass(frozen=True)
class CoxCore:
    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    null_loglik: float
    score_test: float
    n_iter: int
    converged: bool
    hazard: np.ndarray


def _risk_means(rs: RiskSets, X: np.ndarray, w: np.ndarray, Xd: np.ndarray | None = None):
    """Per expanded death row: Efron-adjusted risk-set weight s0 and mean m (s1 / s0)."""
    if Xd is None:
        Xd = X[rs.death_idx]
    S0 = rs.at_risk_sums(w)
    S1 = rs.at_risk_sums(w[:, None] * X)
    wd = w[rs.death_idx]
    D0 = np.add.reduceat(wd, rs.group_first)
    D1 = np.add.reduceat(wd[:, None] * Xd, rs.group_first, axis=0)
    g, f = rs.row_group, rs.frac
    s0 = S0[g] - f * D0[g]
    s1 = S1[g] - f[:, None] * D1[g]
    return s0, s1 / s0[:, None]


def _cum_by_subject(rs: RiskSets, per_group: np.ndarray) -> np.ndarray:
    """Sum of ``per_group`` over the death times at or before each sorted subject's time."""
    cum = np.cumsum(per_group, axis=0)
    pad = np.zeros((1, *per_group.shape[1:]))
    return np.concatenate([pad, cum])[rs.upto]


def evaluate(
    rs: RiskSets, X: np.ndarray, beta: np.ndarray, info: bool = True, Xd: np.ndarray | None = None
) -> Evaluation:
    """Log partial likelihood, score and information at ``beta`` (X sorted as ``rs``;
    ``Xd``: its death rows, when already at hand)."""
    if Xd is None:
        Xd = X[rs.death_idx]
    eta = X @ beta
    shift = float(eta.max()) if eta.size else 0.0
    w = np.exp(eta - shift)
    s0, m = _risk_means(rs, X, w, Xd)
    d = rs.death_idx
    loglik = float(np.sum(eta[d] - shift) - np.sum(np.log(s0)))
    score = Xd.sum(axis=0) - m.sum(axis=0)
    if not info:
        return Evaluation(loglik, score, np.empty((0, 0)), np.empty(0))
    ng = rs.death_times.size
    h = np.bincount(rs.row_group, 1.0 / s0, minlength=ng)
    b = np.bincount(rs.row_group, rs.frac / s0, minlength=ng)
    c = w * _cum_by_subject(rs, h)
    c[d] -= w[d] * b[rs.death_group]
    # c >= 0 (each subject's own death rows are part of its cumulative sum), so the weighted
    # cross-product is one symmetric rank-k update of sqrt(c) X
    Xw = X * np.sqrt(np.maximum(c, 0.0))[:, None]
    imat = Xw.T @ Xw - m.T @ m
    # with tied deaths expanded (Efron) or not (Breslow: d / S0), sum 1 / s0 is the jump of
    # survfit.coxph's baseline hazard; undo the shift taken for exp()
    return Evaluation(loglik, score, (imat + imat.T) / 2.0, h * np.exp(-shift))


def _solve(imat: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return linalg.cho_solve(linalg.cho_factor(imat), u)
    except linalg.LinAlgError:
        return np.linalg.lstsq(imat, u, rcond=None)[0]


def _inverse(imat: np.ndarray) -> np.ndarray:
    try:
        return linalg.cho_solve(linalg.cho_factor(imat), np.eye(imat.shape[0]))
    except linalg.LinAlgError:
        return np.linalg.pinv(imat)


def fit_cox(rs: RiskSets, X: np.ndarray, *, max_iter: int = 50, tol: float = 1e-7) -> CoxCore:
    """Maximise the partial likelihood from beta = 0; X sorted as ``rs`` (centred is best).

    Newton converges quadratically: after a full step of relative size below ``tol`` the
    new estimate is within about ``tol**2`` (1e-14) of the maximum, so the iteration stops
    there, one evaluation earlier than waiting for a step of that size.
    """
    p = X.shape[1]
    beta = np.zeros(p)
    Xd = X[rs.death_idx]
    cur = evaluate(rs, X, beta, Xd=Xd)
    null_loglik = cur.loglik
    score_test = float(cur.score @ _solve(cur.info, cur.score))
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        step = _solve(cur.info, cur.score)
        new_beta = beta + step
        new = evaluate(rs, X, new_beta, Xd=Xd)
        halvings = 0
        # a fall within rounding (at the maximum, a tie's many log terms differ by ~1e-16
        # relative) is no fall: halving it would only repeat the noise
        floor = cur.loglik - 1e-12 * (abs(cur.loglik) + 1.0)
        while not np.isfinite(new.loglik) or (new.loglik < floor and halvings < 40):
            new_beta = (new_beta + beta) / 2.0
            new = evaluate(rs, X, new_beta, Xd=Xd)
            halvings += 1
        moved = np.max(np.abs(new_beta - beta)) if p else 0.0
        beta, cur = new_beta, new
        if halvings == 0 and moved <= tol * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    return CoxCore(
        coef=beta,
        cov=_inverse(cur.info),
        loglik=cur.loglik,
        null_loglik=null_loglik,
        score_test=score_test,
        n_iter=n_iter,
        converged=converged,
        hazard=cur.hazard,
    )


def score_residuals(rs: RiskSets, X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Score residuals (R: ``residuals(fit, type = "score")``), rows in sorted order."""
    w = np.exp(X @ beta)
    s0, m = _risk_means(rs, X, w)
    ng = rs.death_times.size
    g, f = rs.row_group, rs.frac
    h = np.bincount(g, 1.0 / s0, minlength=ng)
    b = np.bincount(g, f / s0, minlength=ng)
    hm = np.zeros((ng, X.shape[1]))
    km = np.zeros_like(hm)
    np.add.at(hm, g, m / s0[:, None])
    np.add.at(km, g, m * (f / s0)[:, None])
    mbar = np.add.reduceat(m, rs.group_first, axis=0) / rs.n_deaths[:, None]
    A = _cum_by_subject(rs, h)
    G = _cum_by_subject(rs, hm)
    res = -w[:, None] * (X * A[:, None] - G)
    d, dg = rs.death_idx, rs.death_group
    res[d] += X[d] - mbar[dg] + w[d, None] * (X[d] * b[dg, None] - km[dg])
    return res


def weighted_blocks(
    rs: RiskSets, X: np.ndarray, beta: np.ndarray, row_weight: np.ndarray, power: int
) -> tuple[np.ndarray, np.ndarray]:
    """``sum_rows g^power V_row`` and ``sum_rows g (x_death - m_row)`` for per-death-row ``g``.

    ``V_row`` is the Efron-adjusted risk-set covariance of each expanded death row; with
    ``power = 0`` the first term is the information matrix. Used by the score test of
    ``cox_zph`` (R's ``zph1``: the Cox model extended by ``x * g(t)``, scored at (beta, 0)).
    """
    w = np.exp(X @ beta)
    s0, m = _risk_means(rs, X, w)
    gp = row_weight**power
    ng = rs.death_times.size
    h = np.bincount(rs.row_group, gp / s0, minlength=ng)
    b = np.bincount(rs.row_group, gp * rs.frac / s0, minlength=ng)
    c = w * _cum_by_subject(rs, h)
    d = rs.death_idx
    c[d] -= w[d] * b[rs.death_group]
    block = (X * c[:, None]).T @ X - (m * gp[:, None]).T @ m
    u = (row_weight[:, None] * (X[d] - m)).sum(axis=0)
    return (block + block.T) / 2.0, u
