"""Restricted cubic splines as rms builds them: ``rcs(x, k)`` in formulas.

``rcs_knots`` places the knots as ``Hmisc::rcspline.eval`` does when none are given (the rule
``rms::rcs`` uses): quantiles of the non-missing values at ``outer, ..., 1 - outer`` spaced
equally (``outer`` 0.10 for 3 knots, 0.05 for 4-6, 0.025 for 7 or more), the outer knots moved to
the 5th smallest and 5th largest values when fewer than 100 values are left, and a heavily
tied end value (at least 5 % of the values) taken as its own knot. ``rcs_basis`` gives the design
columns of ``rms::rcs``: ``x`` and the ``k - 2`` truncated-power terms scaled by
``(t_k - t_1)^(2/3)`` (``rcspline.eval(..., inclx = TRUE, norm = 2)``).

``rcs`` is a patsy stateful transform: the knots are placed on the data the model is fitted
on and kept for predictions on new data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._errors import HccstatsWarning, InputError

__all__ = ["rcs", "rcs_knots", "rcs_basis", "RcsKnotWarning", "spline_knots"]

FRACTIED = 0.05  # rms's options(fractied): share of ties that makes an end value a knot


class RcsKnotWarning(HccstatsWarning):
    """Fewer distinct values than knots asked for, or the knots had to be placed otherwise."""


def _quantile7(x: np.ndarray, p) -> np.ndarray:
    """R's ``quantile(x, p)`` (type 7)."""
    return np.quantile(x, np.atleast_1d(np.asarray(p, float)), method="linear")


def _seq(a: float, b: float, n: int) -> np.ndarray:
    """R's ``seq(a, b, length = n)``."""
    if n == 1:
        return np.array([a])
    by = (b - a) / (n - 1)
    return np.array([a, *(a + np.arange(1, n - 1) * by), b])


def _tied_ends(xx: np.ndarray, n: int, fractied: float):
    """First/last knots taken by heavily tied end values, and the values left between them."""
    first = last = None
    if not 0 < fractied < 1:
        return first, last, xx
    values, counts = np.unique(xx, return_counts=True)
    f = counts / n
    if f[1:-1].max(initial=-np.inf) >= fractied:
        return first, last, xx
    if f[0] >= fractied:
        first = xx[xx > xx.min()].min()
        xx = xx[xx > first]
    if f[-1] >= fractied:
        last = xx[xx < xx.max()].max()
        xx = xx[xx < last]
    return first, last, xx


def rcs_knots(x, nk: int = 5, *, fractied: float = FRACTIED, name: str = "x") -> np.ndarray:
    """Default knots of a restricted cubic spline with ``nk`` knots, as rms places them.

    Parameters
    ----------
    x : array-like
        The values (NaN are ignored).
    nk : int
        Number of knots (at least 3; rms's default is 5).
    fractied : float
        An end value shared by at least this share of the values becomes a knot of its own
        (rms's ``options(fractied = 0.05)``).
    name : str
        Column name for messages.

    Returns
    -------
    ndarray
        The sorted distinct knots.

    Notes
    -----
    R equivalent: ``Hmisc::rcspline.eval(x, nk = nk, knots.only = TRUE)`` (what ``rms::rcs(x, nk)``
    uses); with fewer than ``nk + 3`` distinct values the inner distinct values are the knots.
    """
    arr = np.asarray(pd.to_numeric(np.asarray(x).ravel(), errors="coerce"), float)
    xx = np.sort(arr[np.isfinite(arr)])
    n = len(xx)
    if n < 6:
        raise InputError(f"rcs({name}): knots need at least 6 non-missing values, got {n}")
    if int(nk) != nk or nk < 3:
        raise InputError(f"rcs({name}): the number of knots must be an integer >= 3, got {nk!r}")
    nk = int(nk)
    xu = np.unique(xx)
    if len(xu) - 2 <= nk:
        warnings.warn(
            f"rcs({name}): {nk} knots requested with {len(xu)} distinct values; "
            f"the {len(xu) - 2} inner values are the knots",
            RcsKnotWarning,
            stacklevel=3,
        )
        return _final(xu[1:-1], name)
    outer = 0.025 if nk > 6 else (0.05 if nk > 3 else 0.1)
    first, last, xx = _tied_ends(xx, n, fractied)
    nke = nk - (first is not None) - (last is not None)
    if nke == 1:
        knots = np.array([np.median(xx)])
    else:
        p = _seq(0.5, 1 - outer, nke) if nke == 2 else _seq(outer, 1 - outer, nke)
        knots = _quantile7(xx, p)
        if len(np.unique(knots)) < min(nke, 3):
            knots = _alternate_knots(xx, nke, outer, first, last, name)
        if len(xx) < 100:
            knots = np.concatenate([knots, np.full(max(nke - len(knots), 0), np.nan)])
            if first is None:
                knots[0] = xx[4]
            if last is None:
                knots[nke - 1] = xx[len(xx) - 5]
    ends = [[first] if first is not None else [], [last] if last is not None else []]
    return _final(np.concatenate([ends[0], knots, ends[1]]), name)


def _alternate_knots(xx, nke, outer, first, last, name) -> np.ndarray:
    knots = _quantile7(xx, _seq(outer, 1 - outer, 2 * nke))
    if first is not None and len(np.unique(knots)) < 3:
        mid = (first + last) / 2 if last is not None else np.median(xx)
        end = last if last is not None else _quantile7(xx, [1 - outer])[0]
        knots = np.sort(np.array([first, mid, end], float))
    nu = len(np.unique(knots))
    if nu < 3:
        raise InputError(f"rcs({name}): fewer than 3 distinct knots can be placed")
    warnings.warn(
        f"rcs({name}): could not place {nke} inner knots by the default rule; used {nu}",
        RcsKnotWarning,
        stacklevel=4,
    )
    return knots


def _final(knots, name: str) -> np.ndarray:
    knots = np.unique(np.asarray(knots, float)[~np.isnan(np.asarray(knots, float))])
    if len(knots) < 3:
        raise InputError(
            f"rcs({name}): fewer than 3 distinct knots ({knots.tolist()}); "
            "the variable has too few distinct values for a spline"
        )
    return knots


def rcs_basis(x, knots) -> np.ndarray:
    """Design columns of ``rms::rcs``: ``x`` and the ``k - 2`` nonlinear terms (n × (k − 1)).

    Term ``j`` is ``u(x − t_j) + [(t_{k−1} − t_j) u(x − t_k) − (t_k − t_j) u(x − t_{k−1})] /
    (t_k − t_{k−1})`` with ``u(z) = max(z / s, 0)^3`` and ``s = (t_k − t_1)^(2/3)``.
    R equivalent: ``Hmisc::rcspline.eval(x, knots, inclx = TRUE)``.
    """
    x = np.asarray(x, float)
    t = np.asarray(knots, float)
    k = len(t)
    if k < 3 or np.any(np.diff(t) <= 0):
        raise InputError(f"rcs: knots must be at least 3 increasing values, got {t.tolist()}")
    s = (t[-1] - t[0]) ** (2.0 / 3.0)

    def u(z):
        return np.maximum(z / s, 0.0) ** 3

    cols = [x]
    for j in range(k - 2):
        cols.append(
            u(x - t[j])
            + ((t[-2] - t[j]) * u(x - t[-1]) - (t[-1] - t[j]) * u(x - t[-2])) / (t[-1] - t[-2])
        )
    return np.column_stack(cols)


class _RCS:
    """patsy stateful transform: knots from the fitting data, reused for new data."""

    def __init__(self):
        self._values: list[np.ndarray] = []
        self.knots: np.ndarray | None = None
        self.name = "x"
        self._args: tuple = (5, None)

    def memorize_chunk(self, x, k=5, knots=None):
        self.name = str(getattr(x, "name", None) or "x")
        self._args = (k, knots)
        self._values.append(np.asarray(pd.to_numeric(np.asarray(x).ravel()), float))

    def memorize_finish(self):
        x = np.concatenate(self._values) if self._values else np.array([])
        self._values = []
        k, knots = self._args
        if knots is not None:
            self.knots = _final(knots, self.name)
        elif np.ndim(k) == 1:  # rcs(x, [t1, t2, t3]) as rms's rcs(x, c(...))
            self.knots = _final(k, self.name)
        else:
            self.knots = rcs_knots(x, k, name=self.name)

    def transform(self, x, k=5, knots=None):
        basis = rcs_basis(np.asarray(x, float).ravel(), self.knots)
        index = getattr(x, "index", None)
        return basis if index is None else pd.DataFrame(basis, index=index)


def _make_rcs():
    import patsy

    fn = patsy.stateful_transform(_RCS)
    fn.__name__ = "rcs"
    fn.__doc__ = """Restricted cubic spline of ``x`` with ``k`` knots, for formulas (``rms::rcs``).

    ``lrm("y ~ rcs(age, 4) + sex", data)``: knots at rms's default quantiles of the fitting data
    (:func:`rcs_knots`), design columns ``x, x', x'', ...`` as ``rms::rcs`` (:func:`rcs_basis`).
    ``rcs(age, [30, 50, 70])`` gives the knots. New data are evaluated at the fitted knots.
    """
    return fn


rcs = _make_rcs()


def spline_knots(design_info) -> dict[str, np.ndarray]:
    """Knots of each ``rcs(...)`` term of a fitted design (term name -> knots)."""
    out = {}
    for factor, finfo in design_info.factor_infos.items():
        for obj in finfo.state.get("transforms", {}).values():
            if isinstance(obj, _RCS) and obj.knots is not None:
                out[factor.code] = obj.knots.copy()
    return out
