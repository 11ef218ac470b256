"""SciPy's L-BFGS-B driver loop without its per-call wrappers.

``scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=True, bounds=bounds)`` wraps the
objective in ``MemoizeJac`` and ``ScalarFunction`` and standardises the bounds several
times; on a two-parameter problem whose objective takes ~1.5 ms (the Gaussian process's
hyper-parameters) that costs ~0.1 ms per evaluation. ``minimize_lbfgsb`` runs the same
compiled ``setulb`` routine with the same arguments in the same loop as SciPy 1.17's
``_minimize_lbfgsb`` (default options: 10 corrections, ``ftol`` 2.22e-9, ``gtol`` 1e-5, 20
line-search steps, 15000 iterations and evaluations), evaluates the objective at the same
points (once per distinct point, as ``ScalarFunction`` memoises) and returns the same
``x``, ``fun``, ``nit``, ``status`` and ``message``: the iterates are bit-identical
(checked against ``minimize`` in ``tests/test_signature_ensembles.py``). It covers finite
bounds with every lower bound below its upper one, on SciPy 1.17 (whose loop it
repeats); anything else goes to ``scipy.optimize.minimize``.
"""

from __future__ import annotations

import numpy as np
import scipy
import scipy.optimize
from scipy.optimize import OptimizeResult

try:
    from scipy.optimize import _lbfgsb
    from scipy.optimize._lbfgsb_py import status_messages, task_messages
except ImportError:  # pragma: no cover - another SciPy layout
    _lbfgsb = None

__all__ = ["minimize_lbfgsb"]

_SAME_LOOP = _lbfgsb is not None and scipy.__version__.split(".")[:2] == ["1", "17"]
_CORRECTIONS, _FTOL, _GTOL, _MAXLS, _MAXITER, _MAXFUN = (
    10,
    2.2204460492503131e-09,
    1e-5,
    20,
    15000,
    15000,
)
_FG, _NEW_X, _CONVERGENCE, _STOP = 3, 1, 4, 5


def minimize_lbfgsb(fun, x0: np.ndarray, bounds: np.ndarray) -> OptimizeResult:
    """``scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=True, bounds=bounds)``;
    ``fun(x)`` returns the value and the gradient, ``bounds`` is an ``(n, 2)`` array."""
    bounds = np.asarray(bounds, dtype=np.float64)
    x0 = np.asarray(x0)
    if not (
        _SAME_LOOP
        and x0.ndim == 1
        and x0.dtype == np.float64
        and bounds.shape == (x0.shape[0], 2)
        and np.isfinite(bounds).all()
        and (bounds[:, 0] < bounds[:, 1]).all()
    ):
        return scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=True, bounds=bounds)
    low, up = np.array(bounds[:, 0]), np.array(bounds[:, 1])
    n, m = x0.shape[0], _CORRECTIONS
    x = np.array(np.clip(x0, low, up), dtype=np.float64)
    # ScalarFunction evaluates at the start and again only where x has changed
    x_seen = x.copy()
    f_seen, g_seen = _evaluate(fun, x_seen)
    nfev = 1
    nbd = np.full(n, 2, dtype=np.int32)  # both bounds finite
    f, g = np.array(0.0, dtype=np.float64), np.zeros(n)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task, ln_task = np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29)
    factr = _FTOL / np.finfo(float).eps
    nit = 0
    while True:
        g = g.astype(np.float64)
        _lbfgsb.setulb(
            m, x, low, up, nbd, f, g, factr, _GTOL, wa, iwa, task, lsave, isave, dsave,
            _MAXLS, ln_task,
        )  # fmt: skip
        if task[0] == _FG:
            if not np.array_equal(x, x_seen):
                x_seen = x.astype(np.float64)
                f_seen, g_seen = _evaluate(fun, x_seen)
                nfev += 1
            f, g = f_seen, g_seen
        elif task[0] == _NEW_X:
            nit += 1
            if nit >= _MAXITER:
                task[:] = _STOP, 504
            elif nfev > _MAXFUN:
                task[:] = _STOP, 502
        else:
            break
    status = 0 if task[0] == _CONVERGENCE else 1 if nfev > _MAXFUN or nit >= _MAXITER else 2
    return OptimizeResult(
        fun=f,
        jac=g,
        nfev=nfev,
        njev=nfev,
        nit=nit,
        status=status,
        message=status_messages[task[0]] + ": " + task_messages[task[1]],
        x=x,
        success=status == 0,
    )


def _evaluate(fun, x: np.ndarray):
    """The objective at a copy of ``x`` (the caller may change it), its value a scalar and
    its gradient an array, as ``ScalarFunction`` hands them on."""
    value, grad = fun(np.copy(x))
    if not np.isscalar(value):
        value = np.asarray(value).item()
    return value, np.atleast_1d(grad)
