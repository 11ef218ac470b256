"""Profile-likelihood confidence limits, computed the way R's ``confint(glm)`` does.

R 4.2's ``confint.glm`` (package MASS) profiles the deviance on a grid: from the estimate
it steps ``del = zmax / 5`` standard errors at a time (at most 9 steps each way, until the
signed root ``z = sign * sqrt(deviance - deviance_min)`` passes ``zmax = sqrt(qchisq(1 -
alpha, 1))``, ``alpha = (1 - conf_level) / 4``), refitting the other coefficients with the
profiled one as an offset; then it interpolates ``z`` against the coefficient with an
FMM cubic spline (``stats::spline``, 3 points per grid point) and reads the limits off
with linear interpolation (``approx``) at ``qnorm((1 -+ conf_level) / 2)``. The same steps
here give the same numbers (to ~1e-10), not merely the exact profile roots.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from .._errors import InputError
from ._fit import fit_logistic

__all__ = ["profile_confint", "fmm_spline", "r_spline", "r_approx"]

MAX_STEPS = 10


def fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients b, c, d of the Forsythe-Malcolm-Moler interpolating cubic spline.

    End conditions: the third derivative at each end matches that of the cubic through
    the four end points (Forsythe, Malcolm & Moler 1977, routine SPLINE); R's ``fmm``.
    """
    n = len(x)
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's regularize.values(ties = mean): sort by x, average y over tied x."""
    o = np.argsort(x, kind="stable")
    x, y = x[o], y[o]
    ux, inv = np.unique(x, return_inverse=True)
    if len(ux) < len(x):
        y = np.bincount(inv, weights=y) / np.bincount(inv)
    return ux, y


def r_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``stats::spline(x, y)`` with its defaults (fmm, n = 3 * length(x), over range(x))."""
    x, y = _regularize(np.asarray(x, float), np.asarray(y, float))
    n = 3 * len(x)
    lo, hi = x[0], x[-1]
    by = (hi - lo) / (n - 1)
    xout = lo + np.arange(n) * by
    xout[-1] = hi
    b, c, d = fmm_spline(x, y)
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, len(x) - 1)
    dx = xout - x[i]
    return xout, y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def r_approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """``stats::approx(x, y, xout)`` (linear, ties = mean, NA outside the range)."""
    x, y = _regularize(np.asarray(x, float), np.asarray(y, float))
    out = np.interp(xout, x, y)
    out[(xout < x[0]) | (xout > x[-1])] = np.nan
    return out


def _profile_one(X, y, i, b0, se_i, dev0, zmax):
    keep = np.arange(X.shape[1]) != i
    Xi = X[:, keep]
    xs, zs = [b0[i]], [0.0]
    delta = zmax / 5.0
    for sgn in (-1.0, 1.0):
        start = b0[keep]
        z = 0.0
        step = 0
        while (step := step + 1) < MAX_STEPS and abs(z) < zmax:
            bi = b0[i] + sgn * step * delta * se_i
            core = fit_logistic(Xi, y, offset=X[:, i] * bi, start=start)
            start = core.coef
            zz = -2.0 * core.loglik - dev0
            if zz <= -0.001:
                raise InputError(
                    "profiling found a better fit than the estimate: the model had not converged"
                )
            z = sgn * np.sqrt(max(zz, 0.0))
            xs.append(bi)
            zs.append(z)
    xs, zs = np.asarray(xs), np.asarray(zs)
    o = np.argsort(zs, kind="stable")
    return xs[o], zs[o]


def profile_confint(fit, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper profile-likelihood limits of every coefficient (MASS ``confint.glm``).

    For a Firth fit: penalised profile-likelihood limits (``fit.penalised_profile``).
    """
    if fit.firth:
        prof = fit.penalised_profile(conf_level)
        return prof.ci_low, prof.ci_high
    alpha = (1.0 - conf_level) / 4.0
    zmax = np.sqrt(sps.chi2.ppf(1.0 - alpha, 1))
    a = (1.0 - conf_level) / 2.0
    cutoff = sps.norm.ppf([a, 1.0 - a])
    b0 = fit.coef.to_numpy()
    se = np.sqrt(np.diag(fit.cov.to_numpy()))
    dev0 = -2.0 * fit.stats["loglik"]
    lo = np.full(len(b0), np.nan)
    hi = np.full(len(b0), np.nan)
    for i in range(len(b0)):
        xs, zs = _profile_one(fit.X, fit.y, i, b0, se[i], dev0, zmax)
        sx, sy = r_spline(xs, zs)
        lo[i], hi[i] = r_approx(sy, sx, cutoff)
    return lo, hi
