"""``exp`` and ``log`` as plain arithmetic, so that compiled loops calling them vectorise.

numba compiles ``math.exp`` / ``math.log`` to scalar libm calls (about 5 ns each here), and
this machine's numba has no vector math library, so a loop over patients that takes an
``exp`` and a ``log`` per patient runs one patient at a time. ``vexp`` and ``vlog`` are
fdlibm's algorithms (the ones of FreeBSD's and musl's libm: argument reduction by ln 2 with
a two-part constant, then fdlibm's rational approximations) written with float and
64-bit integer arithmetic only, the integers reached through bit casts, so LLVM inlines
them and vectorises the loop (1.5 and 2.1 ns per value on AVX2). Both are within 1 ulp of
the true value, as fdlibm's are; they agree with glibc's ``exp`` / ``log`` bit for bit for
about 90% / 96% of arguments and differ by 1 ulp otherwise (``tests/test_vmath.py``).

Domain: ``vexp`` for |x| <= 700 (finite, normal results; callers clip first), ``vlog`` for
positive normal x. No special cases (nan, inf, 0, subnormals) are handled: callers that
need them must not use these.

Callers compiled with ``njit(reassoc=True)`` must not call them: reassociation would break
the error-compensating steps. Without numba, the same functions run as Python. numba's
on-disk cache of a caller does not notice edits to this file (the code is inlined into the
caller): after changing it, delete the callers' ``__pycache__/*.nbi`` / ``*.nbc`` files.
"""

from __future__ import annotations

import numpy as np

from ._jit import HAVE_NUMBA, njit

__all__ = ["as_int64", "as_float64", "vexp", "vlog", "vdot"]

if HAVE_NUMBA:  # pragma: no branch - depends on the environment
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def as_int64(typingctx, x):
        """The bits of a float64 as an int64 (a bit cast, no conversion)."""
        if not isinstance(x, types.Float) or x.bitwidth != 64:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(types.float64), codegen

    @intrinsic
    def as_float64(typingctx, x):
        """The float64 whose bits are the int64 ``x`` (a bit cast, no conversion)."""
        if not isinstance(x, types.Integer) or x.bitwidth != 64:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(types.int64), codegen

else:  # pragma: no cover

    def as_int64(x):
        """The bits of a float64 as an int64 (a bit cast, no conversion)."""
        return int(np.float64(x).view(np.int64))

    def as_float64(x):
        """The float64 whose bits are the int64 ``x`` (a bit cast, no conversion)."""
        return float(np.int64(x).view(np.float64))


_SHIFT = 6755399441055744.0  # 1.5 * 2**52: x + _SHIFT rounds x to an integer, kept in the low bits
_SHIFT_BITS = 0x4338000000000000  # the bits of _SHIFT
_INVLN2 = 1.44269504088896338700e00
_LN2HI = 6.93147180369123816490e-01  # ln 2 = _LN2HI + _LN2LO; k * _LN2HI exact for |k| < 2**20
_LN2LO = 1.90821492927058770002e-10
# fdlibm e_exp.c: minimax R(r^2) on [0, 0.1716], error < 2**-59
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
# fdlibm e_log.c: minimax of (log(1+f) - 2s + s*R) in s^2, error < 2**-58.45
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
# added to the bits of x, carries into the exponent when the mantissa is >= sqrt(2)
_SQRT2_CARRY = (0x3FF00000 - 0x3FE6A09E) << 32


@njit(vectorize=True)
def vexp(x):
    """exp(x) for |x| <= 700, within 1 ulp (fdlibm's ``__ieee754_exp``)."""
    ki = as_int64(x * _INVLN2 + _SHIFT)  # k = round(x / ln 2) in the low bits
    kd = as_float64(ki) - _SHIFT
    hi = x - kd * _LN2HI
    lo = kd * _LN2LO
    r = hi - lo  # x = k ln 2 + r, |r| <= ln 2 / 2
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    e = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return e * as_float64((ki - _SHIFT_BITS + 1023) << 52)  # times 2**k


@njit(vectorize=True)
def vlog(x):
    """log(x) for positive normal x, within 1 ulp (fdlibm's ``__ieee754_log``)."""
    ix = as_int64(x)
    # x = 2**k m with m in [sqrt(2)/2, sqrt(2)); the mask makes the shift logical (x > 0)
    k = (((ix + _SQRT2_CARRY) >> 52) & 0x7FF) - 1023
    f = as_float64(ix - (k << 52)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = as_float64(k + _SHIFT_BITS) - _SHIFT  # float(k) without an int64 conversion
    return s * (hfsq + (t2 + t1)) + dk * _LN2LO - hfsq + f + dk * _LN2HI


@njit(reassoc=True)
def vdot(u, v):
    """sum(u * v) over two 1-d arrays, vectorised: the order of the additions is the
    compiler's, so the result differs from left-to-right summation by rounding only."""
    s = 0.0
    for i in range(len(u)):
        s += u[i] * v[i]
    return s
