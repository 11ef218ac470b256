"""Optional numba acceleration: ``njit`` compiles when numba is installed, else runs as Python.

The loops in this package are written once, in plain Python; with numba (``pip install
'hccstats[fast]'``) they are compiled on first use (cached on disk), without it they run
unchanged and give the same numbers, only slower.
"""

from __future__ import annotations

try:  # pragma: no cover - depends on the environment
    from numba import njit as _numba_njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _numba_njit = None
    HAVE_NUMBA = False

__all__ = ["njit", "HAVE_NUMBA"]


def njit(func=None, *, reassoc: bool = False, vectorize: bool = False, inline: bool = False):
    """Compile ``func`` with ``numba.njit(cache=True, nogil=True)`` when numba is available.

    ``reassoc=True`` lets LLVM reorder floating-point sums (vectorised reductions): the
    results then differ from strict left-to-right summation by rounding only (~1e-16).
    ``vectorize=True`` compiles floating-point division as numpy does it (x / 0 gives inf or
    nan, no ZeroDivisionError check), so that loops with a division can be vectorised; the
    values computed are the same. ``inline=True`` inlines the function into its compiled
    callers (numba's ``inline="always"``): small helpers that take arrays then cost no
    call and no reference counting of the arrays.
    """
    if func is None:
        return lambda f: njit(f, reassoc=reassoc, vectorize=vectorize, inline=inline)
    if _numba_njit is None:
        return func
    fm = {"reassoc", "contract"} if reassoc else False
    errors = "numpy" if vectorize else "python"
    kw = {"inline": "always"} if inline else {}
    return _numba_njit(cache=True, nogil=True, fastmath=fm, error_model=errors, **kw)(func)
