"""R's ``lowess`` (Cleveland's clowess, as in R's ``src/library/stats/src/lowess.c``) and ``approx``.

A line-by-line re-implementation in Python (compiled by numba when available), so that the
smoothed calibration curves of ``rms::calibrate`` and ``rms::val.prob`` come out as R's do:
same neighbourhood (``ns = max(2, min(n, floor(f*n + 1e-7)))``), same tricube cut-offs
(0.001 h and 0.999 h), same skipping of points closer than ``delta`` (interpolated), same
copying of tied x, same robustness iterations. Tested against R's ``lowess`` to 1e-10.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import InputError
from .._jit import njit
from .._validation import as_finite, check_same_length
from .._vmath import as_int64

__all__ = ["lowess", "approx"]


@njit(reassoc=True)
def _window_sums(xw, yw, mw, xs, ih, h1, unit):
    """Tricube-weighted sums (weights times ``mw``, not read when ``unit``) of the points
    ``xw``, in x centred at ``xs``: (sum w, sum w d, sum w d^2, sum w y, sum w y d).

    Slices indexed from 0: the compiled loop needs no negative-index wrap-around and
    vectorises fully; ``unit`` is loop-invariant, so it compiles as two loops.
    """
    s0 = 0.0
    sd = 0.0
    sdd = 0.0
    sy = 0.0
    sdy = 0.0
    for j in range(xw.size):
        d = xw[j] - xs
        ad = abs(d)
        q = ad * ih
        q = 1.0 - q * q * q
        wj = 1.0 if ad <= h1 else q * q * q
        if not unit:
            wj *= mw[j]
        wy = wj * yw[j]
        s0 += wj
        sd += wj * d
        sdd += wj * d * d
        sy += wy
        sdy += wy * d
    return s0, sd, sdd, sy, sdy


@njit
def _lowest(x, y, mult, xs, gl, gr, unit):
    """Fitted value at ``xs`` from the window from point ``gl`` to point ``gr``; returns
    (ys, ok).

    clowess's ``lowest`` on points that may stand for several copies (see ``_smooth_pass``),
    with total weights ``mult`` (copies times robustness weight; all 1, and not read, when
    ``unit``). Tricube weights with clowess's cut-offs (``r <= 0.001 h`` weight 1,
    ``r > 0.999 h`` weight 0, ties on the right picked up); the local line only when the
    weighted spread exceeds ``0.001 * range``. The points with weight > 0 form one run of the
    sorted x (its end found by bisection); their weighted sums are accumulated in one pass,
    in x centred at ``xs`` (the same quantities as clowess's several passes over the copies;
    the order of the floating-point additions differs, by ~1e-16).

    clowess counts the window from its first copy, so when that copy is not the first of its
    point, only some of the point's copies are in. Those copies get weight 0 all the same:
    the window only starts inside a point after a move right, made because that point was
    farther from the anchor than the window's right end, so it sets the bandwidth
    ``h = xs - x[gl]`` and ``r = h > 0.999 h``.
    """
    k = x.shape[0]
    rng = x[k - 1] - x[0]
    h = max(xs - x[gl], x[gr] - xs)
    h9 = 0.999 * h
    h1 = 0.001 * h
    lo = gl
    while lo < k and xs - x[lo] > h9:
        lo += 1
    # end of the run: first j >= lo with |x[j] - xs| > h9 (monotone in j: bisection)
    a = lo
    b = k
    while a < b:
        mid = (a + b) // 2
        if abs(x[mid] - xs) <= h9:
            a = mid + 1
        else:
            b = mid
    hi = a
    ih = 1.0 / h if h > 0.0 else 0.0
    s0, sd, sdd, sy, sdy = _window_sums(x[lo:hi], y[lo:hi], mult[lo:hi], xs, ih, h1, unit)
    if s0 <= 0.0:
        return 0.0, False
    sd /= s0
    sy /= s0
    ys = sy
    if h > 0.0:
        c = sdd / s0 - sd * sd
        if c > 0.0 and math.sqrt(c) > 0.001 * rng:
            ys += (-sd / c) * (sdy / s0 - sd * sy)
    return ys, True


@njit
def _smooth_pass(x, y, mult, cum, ns, delta, unit, ys):
    """One pass of local fits at the anchor points, linear interpolation between anchors
    closer than ``delta``; fitted values written into ``ys``.

    Point g (x sorted) stands for copies ``cum[g]..cum[g+1]-1`` of the data clowess sees
    (``cum = 0, 1, ..., n`` for plain data) with total weight ``mult[g]``: the window of
    ``ns`` copies, the anchors and the interpolation are clowess's on the copies (copies
    share x, so they share their fitted value), computed once per point.
    """
    k = x.shape[0]
    m = cum[k]
    nleft = 0  # first and last copy of the window, and the points they belong to
    nright = ns - 1
    gl = 0
    gr = 0
    while cum[gr + 1] <= nright:
        gr += 1
    last = -1
    i = 0
    while True:
        xs = x[i]
        while nright < m - 1:  # move the window right while its far end is nearer to xs
            gn = gr if nright + 1 < cum[gr + 1] else gr + 1  # point of copy nright + 1
            if xs - x[gl] <= x[gn] - xs:
                break
            # the distances stay the same while both ends stay in their points
            step = min(cum[gl + 1] - nleft, cum[gn + 1] - nright - 1, m - 1 - nright)
            nleft += step
            nright += step
            gr = gn
            if nleft == cum[gl + 1]:
                gl += 1
        val, ok = _lowest(x, y, mult, xs, gl, gr, unit)
        ys[i] = val if ok else y[i]
        if last < i - 1:
            denom = x[i] - x[last]
            for j in range(last + 1, i):
                alpha = (x[j] - x[last]) / denom
                ys[j] = alpha * ys[i] + (1.0 - alpha) * ys[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < k:
            if x[i] > cut:
                break
            if x[i] == x[last]:
                ys[i] = ys[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= k - 1:
            break


@njit
def _robustness_weights(res, sc, rw):
    """Bisquare weights from the residuals ``res`` into ``rw``; False (weights unchanged) when
    the residuals are all ~0 relative to their mean absolute value ``sc``."""
    n = res.shape[0]
    srt = np.sort(np.abs(res))
    m1 = n // 2
    if n % 2 == 0:
        cmad = 3.0 * (srt[m1] + srt[n - m1 - 1])
    else:
        cmad = 6.0 * srt[m1]
    if cmad < 1e-7 * sc:
        return False
    c9 = 0.999 * cmad
    c1 = 0.001 * cmad
    for k in range(n):
        r = abs(res[k])
        if r <= c1:
            rw[k] = 1.0
        elif r <= c9:
            q = r / cmad
            q = 1.0 - q * q
            rw[k] = q * q
        else:
            rw[k] = 0.0
    return True


@njit
def _clowess(x, y, f, nsteps, delta, ys):
    """clowess on x sorted increasingly; fitted values written into ``ys``."""
    n = x.shape[0]
    if n < 2:
        ys[0] = y[0]
        return
    ns = max(2, min(n, int(f * n + 1e-7)))
    rw = np.ones(n)  # first pass unweighted; later passes: robustness weights
    res = np.zeros(n)
    cum = np.arange(n + 1)  # one copy of each point
    it = 1
    while it <= nsteps + 1:
        _smooth_pass(x, y, rw, cum, ns, delta, it == 1, ys)
        for k in range(n):
            res[k] = y[k] - ys[k]
        sc = 0.0
        for k in range(n):
            sc += abs(res[k])
        sc /= n
        if it > nsteps:
            break
        if not _robustness_weights(res, sc, rw):
            break
        it += 1


@njit
def _regularize(x, y, use_mean):
    """Collapse tied x (x sorted): y of the first tie, or the mean of the ties (R's ``ties=``)."""
    n = x.shape[0]
    xu = np.empty(n)
    yu = np.empty(n)
    m = 0
    i = 0
    while i < n:
        j = i
        s = 0.0
        while j < n and x[j] == x[i]:
            s += y[j]
            j += 1
        xu[m] = x[i]
        yu[m] = s / (j - i) if use_mean else y[i]
        m += 1
        i = j
    return xu[:m], yu[:m]


@njit
def _approx1(xk, yk, xout, out):
    """R's approx (method linear, rule 1): NaN outside [min(xk), max(xk)]; xk sorted, unique."""
    m = xk.shape[0]
    for t in range(xout.shape[0]):
        v = xout[t]
        if m == 0 or v < xk[0] or v > xk[m - 1] or math.isnan(v):
            out[t] = np.nan
            continue
        i = 0
        j = m - 1
        while i < j - 1:
            ij = (i + j) // 2
            if v < xk[ij]:
                j = ij
            else:
                i = ij
        if v == xk[j]:
            out[t] = yk[j]
        elif v == xk[i]:
            out[t] = yk[i]
        else:
            out[t] = yk[i] + (yk[j] - yk[i]) * ((v - xk[i]) / (xk[j] - xk[i]))


@njit
def _sorted_lowess(x, y, f, nsteps):
    o = np.argsort(x, kind="mergesort")
    xs = x[o]
    yv = y[o]
    fitted = np.empty(xs.shape[0])
    _clowess(xs, yv, f, nsteps, 0.01 * (xs[-1] - xs[0]), fitted)
    return xs, fitted


@njit
def smooth_rows_at(xmat, ymat, xout, use_mean, out):
    """For each row b: ``approx(lowess(x_b, y_b, iter=0), xout=xout)`` into ``out[b]``.

    This is rms's ``cal.error`` for a stack of resamples (each row one resample).
    """
    for b in range(xmat.shape[0]):
        xs, fitted = _sorted_lowess(xmat[b], ymat[b], 2.0 / 3.0, 0)
        xu, yu = _regularize(xs, fitted, use_mean)
        _approx1(xu, yu, xout, out[b])


@njit
def _curve_at(xs, ys, mult, cum, unit, xout, out, fitted):
    """approx(lowess(x, y, iter = 0), xout, ties = first) into ``out``, of the points ``xs``
    (sorted), ``ys`` standing for copies ``cum[g]..cum[g+1]-1`` (weights ``mult``, not read when
    ``unit``; see ``_smooth_pass``). ``fitted``: work array (at least as long as ``xs``)."""
    k = xs.shape[0]
    m = cum[k]
    if m < 2:
        fitted[0] = ys[0]
    else:
        ns = max(2, min(m, int(2.0 / 3.0 * m + 1e-7)))
        _smooth_pass(xs, ys, mult, cum, ns, 0.01 * (xs[k - 1] - xs[0]), unit, fitted)
    xu, yu = _regularize(xs, fitted[:k], False)
    _approx1(xu, yu, xout, out)


def index_bits(n: int) -> int:
    """Bits that hold a patient's index (0..n-1) in the low end of a sort key."""
    return max(1, int(n - 1).bit_length())


@njit(vectorize=True)
def risk_sort_keys(prob, bits):
    """Sort keys of each row of (non-negative) risks: the risk's bits (ordered as the risks
    are) with the low ``bits`` replaced by the patient's index.

    Sorting these int64 keys (numpy's vectorised sort, twice as fast as an argsort here)
    gives an order of the patients that sorts the risks up to risks within 2**bits ulp of
    each other, put by index; ``smooth_boot_at`` mends those.
    """
    keys = np.empty(prob.shape, np.int64)
    high = -(1 << bits)
    for a in range(prob.shape[0]):
        pa = prob[a]
        ka = keys[a]
        for i in range(pa.size):
            ka[i] = (as_int64(pa[i]) & high) | i
    return keys


@njit
def _mend_order(xs, perm):
    """Insertion sort of ``xs`` (nearly sorted) carrying ``perm`` along; equal values stay."""
    for i in range(1, xs.shape[0]):
        v = xs[i]
        if v >= xs[i - 1]:
            continue
        j = perm[i]
        k = i
        while k > 0 and xs[k - 1] > v:
            xs[k] = xs[k - 1]
            perm[k] = perm[k - 1]
            k -= 1
        xs[k] = v
        perm[k] = j


@njit
def smooth_boot_at(prob, order, y, counts, xout, out_train, out_test, bits=63):
    """rms's ``cal.error`` for a stack of bootstrap fits, training and test side.

    Row b: ``prob[b]`` are the fit's risks of the original patients and ``counts[b]`` how often
    each patient is in the resample; ``order[b]`` sorts ``prob[b]`` (indices), or holds the
    sorted keys of ``risk_sort_keys(prob, bits)`` (the order is then read from their low
    ``bits`` and mended). Test curve: lowess of (prob[b], y); training curve: lowess of the
    resample, i.e. of the same sorted points repeated ``counts`` times, computed over the
    patients in the resample (about 63% of them) with their counts as weights. One sort
    serves both.
    """
    n = prob.shape[1]
    low = -1 if bits >= 63 else (1 << bits) - 1
    ones = np.ones(n)
    steps = np.arange(n + 1)
    xs = np.empty(n)
    ys = np.empty(n)
    perm = np.empty(n, np.int64)
    xk = np.empty(n)
    yk = np.empty(n)
    mk = np.empty(n)
    cum = np.empty(n + 1, np.int64)
    fitted = np.empty(n)
    cum[0] = 0
    for b in range(prob.shape[0]):
        o = order[b]
        pb = prob[b]
        cb = counts[b]
        for i in range(n):
            j = o[i] & low
            perm[i] = j
            xs[i] = pb[j]
        _mend_order(xs, perm)
        k = 0
        for i in range(n):
            j = perm[i]
            ys[i] = y[j]
            c = cb[j]
            if c > 0:
                xk[k] = xs[i]
                yk[k] = y[j]
                mk[k] = c
                cum[k + 1] = cum[k] + c
                k += 1
        _curve_at(xs, ys, ones, steps, True, xout, out_test[b], fitted)
        _curve_at(xk[:k], yk[:k], mk[:k], cum[: k + 1], False, xout, out_train[b], fitted)


def lowess(x, y, *, f: float = 2.0 / 3.0, iter: int = 3, delta: float | None = None):
    """Locally weighted scatterplot smoothing, as R's ``stats::lowess``.

    Parameters
    ----------
    x, y : array-like
        Points to smooth (finite numbers, same length).
    f : float
        Smoother span: the fraction of points that influence each value.
    iter : int
        Robustness iterations (``rms::calibrate`` and ``rms::val.prob`` use 0).
    delta : float, optional
        Points closer than ``delta`` to the last fitted one are interpolated;
        default ``0.01 * (max(x) - min(x))`` as in R.

    Returns
    -------
    (x_sorted, fitted) : tuple of ndarray
        Like R's ``list(x, y)``: x in increasing order and the smoothed values.

    Examples
    --------
    >>> from hccstats.calibration import lowess
    >>> xs, ys = lowess([1, 2, 3, 4, 5], [0, 0, 1, 0, 1], iter=0)   # R: lowess(x, y, iter = 0)
    """
    xa = as_finite(x, "x")
    ya = as_finite(y, "y")
    check_same_length(x=xa, y=ya)
    if len(xa) == 0:
        raise InputError("x: no points to smooth")
    if not (np.isfinite(f) and f > 0):
        raise InputError(f"f: must be finite and > 0, got {f!r}")
    if int(iter) < 0:
        raise InputError(f"iter: must be >= 0, got {iter!r}")
    o = np.argsort(xa, kind="stable")
    xs = np.ascontiguousarray(xa[o])
    ys = np.ascontiguousarray(ya[o])
    d = 0.01 * (xs[-1] - xs[0]) if delta is None else float(delta)
    if not (np.isfinite(d) and d >= 0):
        raise InputError(f"delta: must be finite and >= 0, got {delta!r}")
    fitted = np.empty(len(xs))
    _clowess(xs, ys, float(f), int(iter), d, fitted)
    return xs, fitted


def approx(x, y, xout, *, ties: str = "mean") -> np.ndarray:
    """Linear interpolation as R's ``approx(x, y, xout, ties=, rule=1)``: NaN outside the data.

    ``ties`` is ``"mean"`` or ``"first"`` (R's ``ties = function(x) x[1]``).
    """
    xa = as_finite(x, "x")
    ya = as_finite(y, "y")
    check_same_length(x=xa, y=ya)
    if ties not in ("mean", "first"):
        raise InputError(f"ties: expected 'mean' or 'first', got {ties!r}")
    o = np.argsort(xa, kind="stable")
    xu, yu = _regularize(np.ascontiguousarray(xa[o]), np.ascontiguousarray(ya[o]), ties == "mean")
    xo = np.ascontiguousarray(np.asarray(xout, dtype=np.float64).reshape(-1))
    out = np.empty(len(xo))
    _approx1(xu, yu, xo, out)
    return out
