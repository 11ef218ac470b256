"""R's ``pretty()``, ``format()`` of one number, ``seq(length.out=)`` and ``approx()``, as rms uses them.

rms places nomogram ticks with ``pretty`` and interpolates the risk axis with ``approx``; the
native engine must make the same choices to give the same points table, so these follow R 4.2's
``pretty.default`` / ``R_pretty`` (src/appl/pretty.c) and ``seq.default`` closely.
"""

from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["r_pretty", "r_format", "r_seq_length", "r_approx"]

_DBL_EPS = sys.float_info.epsilon
_DBL_MIN = sys.float_info.min
_ROUNDING_EPS = 1e-10


def _r_pretty_bounds(
    lo: float,
    up: float,
    ndiv: int,
    min_n: int,
    shrink_sml: float,
    h: float,
    h5: float,
    f_min: float,
) -> tuple[float, float, int]:
    dx = up - lo
    if dx == 0 and up == 0:
        cell, i_small = 1.0, True
    else:
        cell = max(abs(lo), abs(up))
        u = 1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))
        u *= max(1, ndiv) * _DBL_EPS
        i_small = dx < cell * u * 3
    if i_small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= shrink_sml
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx
        if ndiv > 1:
            cell /= ndiv
    subsmall = f_min * _DBL_MIN or _DBL_MIN
    cell = max(cell, subsmall)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if (ns := 2 * base) - cell < h * (cell - unit):
        unit = ns
        if (ns := 5 * base) - cell < h5 * (cell - unit):
            unit = ns
            if (ns := 10 * base) - cell < h * (cell - unit):
                unit = ns
    ns = math.floor(lo / unit + _ROUNDING_EPS)
    nu = math.ceil(up / unit - _ROUNDING_EPS)
    while ns * unit > lo + _ROUNDING_EPS * unit:
        ns -= 1
    while nu * unit < up - _ROUNDING_EPS * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        ndiv = min_n
    else:
        ndiv = k
    new_lo = ns * unit if ns * unit < lo else lo
    new_up = nu * unit if nu * unit > up else up
    return new_lo, new_up, ndiv


def r_seq_length(start: float, stop: float, length: int) -> np.ndarray:
    """R's ``seq(from, to, length.out = n)`` (seq.default: ends exact, interior ``from + i * by``)."""
    if length == 1:
        return np.array([float(start)])
    if length == 2:
        return np.array([float(start), float(stop)])
    if start == stop:
        return np.full(length, float(start))
    n1 = length - 1
    by = (stop - start) / n1
    return np.concatenate([[start], start + np.arange(1, n1) * by, [stop]]).astype(float)


def _r_seq_int_length(start: float, stop: float, length: int) -> np.ndarray:
    """R's ``seq.int(from, to, length.out = n)``: ends exact, interior ``from + i * by``."""
    out = np.empty(length)
    if length > 0:
        out[0] = start
    if length > 1:
        out[-1] = stop
    if length > 2:
        by = (stop - start) / (length - 1)
        for i in range(1, length - 1):
            out[i] = start + i * by
    return out


def r_pretty(x, n: int = 5) -> np.ndarray:
    """R's ``pretty(x, n)`` (defaults of R 4.2's pretty.default)."""
    x = np.asarray(x, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return x
    min_n = n // 3
    lo, up, ndiv = _r_pretty_bounds(
        float(x.min()), float(x.max()), n, min_n, 0.75, 1.5, 0.5 + 1.5 * 1.5, 2.0**-20
    )
    s = _r_seq_int_length(lo, up, ndiv + 1)
    if ndiv:
        delta = (up - lo) / ndiv
        s[np.abs(s) < 1e-14 * delta] = 0.0
    return s


def r_format(x: float, digits: int = 7) -> str:
    """R's ``format(x)`` of one number (7 significant digits, fixed unless scientific is narrower)."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    target = float(f"{x:.{digits - 1}e}")
    sig = digits
    for d in range(1, digits + 1):
        if float(f"{x:.{d - 1}e}") == target:
            sig = d
            break
    exponent = int(math.floor(math.log10(abs(target))))
    sci = f"{target:.{sig - 1}e}"
    decimals = max(0, sig - 1 - exponent)
    fixed = f"{x:.{decimals}f}"
    return fixed if len(fixed) <= len(sci) else sci


def r_approx(x, y, xout) -> np.ndarray:
    """R's ``approx(x, y, xout, ties = mean)``: linear interpolation, NA (nan) outside the range."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, inverse = np.unique(x, return_inverse=True)
    if ux.size < x.size:
        y = np.bincount(inverse, weights=y) / np.bincount(inverse)
        x = ux
    xout = np.asarray(xout, float)
    out = np.interp(xout, x, y)
    out[(xout < x[0]) | (xout > x[-1]) | np.isnan(xout)] = np.nan
    return out
