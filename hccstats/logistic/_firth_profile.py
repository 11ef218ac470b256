"""Penalised profile-likelihood confidence limits and penalised LR p values of a Firth fit.

What ``logistf`` prints by default (Heinze & Schemper 2002): for coefficient j, the limits are
the two roots of ``2 (l*(b^) - l*_j(t)) = qchisq(conf_level, 1)``, where ``l*(b) = l(b) +
log|I(b)|/2`` is the penalised log-likelihood and ``l*_j(t)`` its maximum over the other
coefficients with ``b_j = t`` (the penalty keeps the full design's information); the p value
is the same statistic at ``t = 0`` against chi2(1).

Each side is bracketed by stepping outward from the estimate (half a standard error, then
doubling), each restricted fit starting from the last one; a bracket's root is found by Brent's
method with the bracket's ends kept as computed. Where the information matrix becomes singular
(fitted probabilities at 0 or 1, ``l* = -inf``) the statistic is infinite, above any quantile,
and the bracket is narrowed by bisection to a finite end. Where the profile flattens below the
quantile (no crossing on that side) the limit is not attainable: ``-inf`` or ``+inf``, with a
note. Where the profile cannot be computed (a restricted fit does not converge, or finds a
higher penalised likelihood than the estimate's), that coefficient gets the Wald limits of the
penalised fit (``b_j -+ z se_j``, se from ``I(b^)^-1``), with a note; a p value that cannot be
computed is the Wald p value of the penalised fit, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.optimize import brentq

from ._fit import fit_logistic

__all__ = ["PenalisedProfile", "firth_profile", "restricted_loglik"]

MAX_DOUBLINGS = 45  # outward steps of 2^k / 2 standard errors: up to ~1e13 SE from the estimate
FLAT = 1e-9  # signed-root gains below this over two doublings: the profile has flattened
HIGHER = 1e-6  # a restricted maximum this far above l*(b^): the fit is not at the highest maximum
XTOL = 1e-10  # on t (log odds); Brent's method stops within it
MAX_ITER = 500  # Newton iterations of a restricted fit (slow where l* is not concave)


class ProfileError(Exception):
    """The penalised profile could not be computed for one coefficient (the reason)."""


@dataclass(frozen=True)
class PenalisedProfile:
    """Penalised profile-likelihood limits and penalised LR p values of a Firth fit.

    ``ci_low``/``ci_high`` on the log-odds scale, ``-inf``/``inf`` where a limit is not
    attainable; ``ci_method`` per coefficient: "profile" or "wald" (the fallback);
    ``p_method``: "penalised LR" or "wald"; ``notes``: one sentence per fallback or
    unattainable limit (empty when there is nothing to say).
    """

    terms: tuple[str, ...]
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    ci_method: tuple[str, ...]
    p_method: tuple[str, ...]
    conf_level: float
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "p_value": self.p_value,
                "ci_method": list(self.ci_method),
                "p_method": list(self.p_method),
            }
        )


def restricted_loglik(fit, j: int, value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
    """Maximised penalised log-likelihood with coefficient j held at ``value``, and the
    maximising coefficients.

    The penalised likelihood can have more than one maximum under separation: the other
    coefficients start both at ``start`` (the neighbouring point of the profile) and at the
    estimate, and the higher converged maximum is kept. Raises :class:`ProfileError` when
    neither restricted fit converges.
    """
    free = np.ones(len(fit.coef), dtype=bool)
    free[j] = False
    fits = []
    for s in (np.asarray(start, float), fit.coef.to_numpy()):
        b = s.copy()
        b[j] = value
        if any(np.array_equal(b, done) for done, _ in fits):
            continue
        fits.append(
            (b, fit_logistic(fit.X, fit.y, firth=True, start=b, free=free, max_iter=MAX_ITER))
        )
    done = [core for _, core in fits if core.converged]
    if done:
        best = max(done, key=lambda core: core.penalised_loglik)
        return best.penalised_loglik, best.coef
    if all(core.penalised_loglik == -np.inf for _, core in fits):
        return -np.inf, fits[0][1].coef  # singular information at every point tried: l* = -inf
    raise ProfileError(f"the restricted fit at {value:.6g} did not converge")


class _Side:
    """g(t) = sqrt(statistic) - sqrt(quantile) along one coefficient: the signed root of the
    penalised LR statistic is nearly linear in t, so Brent's method needs few evaluations."""

    def __init__(self, fit, j: int, lmax: float, q: float):
        self.fit, self.j, self.lmax = fit, j, lmax
        self.q = float(np.sqrt(q))

    def at(self, t: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        ll, coef = restricted_loglik(self.fit, self.j, t, start)
        stat = 2.0 * (self.lmax - ll)
        if stat < -HIGHER * (1.0 + abs(self.lmax)):
            raise ProfileError(
                "a restricted fit has a higher penalised likelihood than the estimate "
                "(the Firth fit had not converged, or is a lower one of several maxima)"
            )
        return float(np.sqrt(max(stat, 0.0))) - self.q, coef


def _limit(side: _Side, b0: np.ndarray, se: float, sgn: float) -> float:
    """One confidence limit of coefficient ``side.j``: the root of g on the ``sgn`` side, or
    ``sgn * inf`` where the profile flattens below the quantile."""
    j = side.j
    inner, g_in, b_in = b0[j], -side.q, b0
    unit = se if np.isfinite(se) and se > 0 else 1.0
    flat = 0
    for k in range(MAX_DOUBLINGS):
        outer = b0[j] + sgn * unit * 2.0 ** (k - 1)
        g_out, b_out = side.at(outer, b_in)
        if not np.isfinite(g_out):
            inner, g_in, b_in, outer, g_out, b_out = _finite_end(side, inner, g_in, b_in, outer)
        if g_out >= 0:
            return _root(side, (inner, g_in, b_in), (outer, g_out, b_out))
        flat = flat + 1 if g_out - g_in <= FLAT * (1.0 + abs(g_out)) else 0
        if flat >= 2:
            return sgn * np.inf
        inner, g_in, b_in = outer, g_out, b_out
    return sgn * np.inf


def _finite_end(side: _Side, inner, g_in, b_in, outer):
    """Narrow [inner, outer] by bisection until its outer end has a finite statistic (the
    statistic is +inf where the information matrix is singular)."""
    for _ in range(200):
        mid = 0.5 * (inner + outer)
        if mid in (inner, outer):
            break
        g_mid, b_mid = side.at(mid, b_in)
        if np.isfinite(g_mid) and g_mid < 0:
            inner, g_in, b_in = mid, g_mid, b_mid
        elif np.isfinite(g_mid):
            return inner, g_in, b_in, mid, g_mid, b_mid
        else:
            outer = mid
    raise ProfileError("the penalised likelihood is not finite near the confidence limit")


def _root(side: _Side, lower: tuple, upper: tuple) -> float:
    """The root of g between the bracket's ends (t, g(t), coefficients), each evaluated once;
    each restricted fit starts from the coefficients interpolated between the ends."""
    (inner, g_in, b_in), (outer, g_out, b_out) = lower, upper
    known = {inner: g_in, outer: g_out}

    def g(t: float) -> float:
        if t in known:
            return known[t]
        frac = (t - inner) / (outer - inner)
        value, _ = side.at(t, b_in + frac * (b_out - b_in))
        if not np.isfinite(value):
            raise ProfileError("the penalised likelihood is not finite inside the bracket")
        return value

    a, b = sorted((inner, outer))
    return brentq(g, a, b, xtol=XTOL, rtol=4 * np.finfo(float).eps, maxiter=200)


def _p_value(side: _Side, b0: np.ndarray) -> float:
    if b0[side.j] == 0.0:
        return 1.0
    g0, _ = side.at(0.0, b0)
    stat = (g0 + side.q) ** 2
    if not np.isfinite(stat):
        raise ProfileError("the penalised likelihood at 0 is not finite")
    return float(sps.chi2.sf(max(stat, 0.0), 1))


def firth_profile(fit, conf_level: float = 0.95) -> PenalisedProfile:
    """Penalised profile-likelihood limits and penalised LR p values of a Firth fit
    (``logistf(..., pl = TRUE)``, its defaults); see the module's description."""
    lmax = fit.stats["penalised_loglik"]
    q = float(sps.chi2.ppf(conf_level, 1))
    z = float(sps.norm.ppf(0.5 + conf_level / 2.0))
    b0 = fit.coef.to_numpy()
    se = np.sqrt(np.diag(fit.cov.to_numpy()))
    terms = tuple(fit.coef.index)
    k = len(b0)
    lo, hi, pv = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    ci_method, p_method, notes = ["profile"] * k, ["penalised LR"] * k, []
    pct = f"{100 * conf_level:g}%"
    for j in range(k):
        side = _Side(fit, j, lmax, q)
        try:
            lo[j] = _limit(side, b0, se[j], -1.0)
            hi[j] = _limit(side, b0, se[j], 1.0)
        except (ProfileError, ValueError, np.linalg.LinAlgError) as exc:
            lo[j], hi[j] = b0[j] - z * se[j], b0[j] + z * se[j]
            ci_method[j] = "wald"
            notes.append(
                f"{terms[j]}: the penalised profile-likelihood {pct} CI could not be computed "
                f"({exc}); Wald CI of the penalised fit shown."
            )
        else:
            for limit, which in ((lo[j], "lower"), (hi[j], "upper")):
                if np.isinf(limit):
                    notes.append(
                        f"{terms[j]}: the penalised profile likelihood flattens on the {which} "
                        f"side; the {which} {pct} limit is not attainable "
                        f"({'-' if which == 'lower' else ''}∞ on the log-odds scale)."
                    )
        try:
            pv[j] = _p_value(side, b0)
        except (ProfileError, ValueError, np.linalg.LinAlgError) as exc:
            pv[j] = float(2.0 * sps.norm.sf(abs(b0[j] / se[j])))
            p_method[j] = "wald"
            notes.append(
                f"{terms[j]}: the penalised likelihood-ratio p value could not be computed "
                f"({exc}); Wald p value of the penalised fit shown."
            )
    return PenalisedProfile(
        terms, lo, hi, pv, tuple(ci_method), tuple(p_method), conf_level, tuple(notes)
    )
