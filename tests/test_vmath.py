"""vexp / vlog (fdlibm's exp and log as plain arithmetic) against the true values and libm."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from hccstats._jit import njit
from hccstats._vmath import as_float64, as_int64, vexp, vlog


@njit(vectorize=True)
def _exp_loop(x, out):  # the way the compiled loops use them (inlined, vectorised)
    for i in range(x.size):
        out[i] = vexp(x[i])


@njit(vectorize=True)
def _log_loop(x, out):
    for i in range(x.size):
        out[i] = vlog(x[i])


def _apply(loop, x):
    out = np.empty_like(x)
    loop(x, out)
    return out


def _ulps_from_truth(values, args, func):
    """Error of each value in ulps of the correctly rounded result (mpmath, 40 digits)."""
    mpmath.mp.dps = 40
    true = np.array([float(func(mpmath.mpf(float(a)))) for a in args])
    return np.abs(values - true) / np.spacing(np.abs(true))


def _args():
    rng = np.random.default_rng(20261206)
    # the logistic fits' range (|eta| <= 30) densely, the rest of the domain sparsely
    x_exp = np.concatenate([rng.uniform(-30, 30, 3000), rng.uniform(-700, 700, 300)])
    x_exp = np.concatenate([x_exp, [0.0, -0.0, 1e-300, 0.5 * math.log(2), -30.0, 30.0, 700.0]])
    # risks and 1 - risks down to 1e-14, and positive normal numbers of any size
    x_log = np.concatenate(
        [
            rng.uniform(0, 1, 2000),
            np.exp(rng.uniform(-32, 0, 1000)),
            10.0 ** rng.uniform(-300, 300, 300),
            [1.0, 0.5, 2.0, math.sqrt(0.5), math.sqrt(2), np.nextafter(1.0, 0), 1e-14],
        ]
    )
    return x_exp, x_log


def test_vexp_vlog_are_within_one_ulp_of_the_true_values():
    # fdlibm's documented bound: error < 1 ulp; checked against 40-digit mpmath
    x_exp, x_log = _args()
    assert _ulps_from_truth(_apply(_exp_loop, x_exp), x_exp, mpmath.exp).max() <= 1.0
    assert _ulps_from_truth(_apply(_log_loop, x_log), x_log, mpmath.log).max() <= 1.0


def test_vexp_vlog_agree_with_libm_to_one_ulp_and_mostly_exactly():
    x_exp, x_log = _args()
    for loop, x, ref in ((_exp_loop, x_exp, np.vectorize(math.exp)), (_log_loop, x_log, np.log)):
        ours = _apply(loop, x)
        want = ref(x)
        ulps = np.abs(ours.view(np.int64) - want.view(np.int64))
        assert ulps.max() <= 1
        assert (ulps == 0).mean() > 0.8  # an independent formula would not agree this often
    assert vexp(0.0) == 1.0 and vlog(1.0) == 0.0
    assert vlog(0.5) == -math.log(2) and vlog(2.0) == math.log(2)


@njit
def _casts(x, bits):
    return as_int64(x), as_float64(bits)


@pytest.mark.parametrize("x", [1e-300, 0.1, 0.999, 1.0, 3.5, -2.0, 1e300])
def test_bit_casts_are_numpys_views(x):
    bits = np.float64(x).view(np.int64)
    assert _casts(x, bits) == (bits, x)
