"""The Gaussian process's linear algebra, as scikit-learn's kernel objects and SciPy's
wrappers compute it, minus the wrappers.

scikit-learn's binary Laplace GPC calls ``scipy.linalg.cholesky``, ``cho_solve`` and
``solve`` and builds ``ConstantKernel * RBF`` through its kernel objects; each call re-checks
and converts its input (``solve`` also estimates the condition number and detects the
matrix's structure). The functions here call the same LAPACK routines (``potrf``,
``potrs``, ``trtrs``) with the same arguments on the same matrices, so their results are
bit-identical (checked against SciPy in ``tests/test_signature_ensembles.py``); where the
memory order of a result decides how NumPy later sums it, they return SciPy's order.
"""

from __future__ import annotations

import numpy as np
import scipy
from scipy.linalg import LinAlgError, solve
from scipy.linalg.lapack import dpotrf, dpotrs, dtrtrs
from scipy.spatial.distance import cdist, pdist, squareform

from .._jit import HAVE_NUMBA, njit

try:  # the compiled routines scipy.spatial.distance's pdist and cdist hand the arrays to
    from scipy.spatial._distance_pybind import cdist_sqeuclidean, pdist_sqeuclidean
except ImportError:  # pragma: no cover - another SciPy layout

    def pdist_sqeuclidean(X):
        return pdist(X, metric="sqeuclidean")

    def cdist_sqeuclidean(XA, XB):
        return cdist(XA, XB, metric="sqeuclidean")


#: ``scipy.linalg.solve`` picks its LAPACK routine by the matrix's structure as SciPy 1.17
#: does (other versions: ``solve`` itself is called)
_SOLVE_BY_STRUCTURE = scipy.__version__.split(".")[:2] == ["1", "17"]

__all__ = [
    "cdist_sqeuclidean",
    "cho_solve_lower",
    "cholesky_lower",
    "kernel_and_gradient",
    "pdist_sqeuclidean",
    "solve_cholesky_factor",
    "weigh_kernel",
    "weigh_kernel_numpy",
]


def kernel_and_gradient(X: np.ndarray, theta: np.ndarray):
    """``ConstantKernel(c) * RBF(l)`` at ``theta = log([c, l])`` on ``X`` and its two gradient
    matrices in ``theta``, as scikit-learn's kernel objects compute them (``Product.__call__``:
    ``full(c) * rbf`` for both ``K`` and the gradient in ``log c``, which are therefore the same
    matrix; ``(rbf * D) * full(c)`` in ``log l``; every product exactly rounded, so the scalar
    ``c`` gives the same bits as scikit-learn's full matrix of it)."""
    c, length = np.exp(theta[0]), np.exp(theta[1])
    dists = pdist_sqeuclidean(X / np.squeeze(length).astype(float))
    rbf = squareform(np.exp(-0.5 * dists))
    np.fill_diagonal(rbf, 1)
    K = np.multiply(rbf, c)
    dK_length = squareform(dists)
    np.multiply(rbf, dK_length, out=dK_length)
    np.multiply(dK_length, c, out=dK_length)
    return K, dK_length


def cholesky_lower(B: np.ndarray) -> np.ndarray:
    """``scipy.linalg.cholesky(B, lower=True)``: LAPACK's ``potrf`` with the upper triangle
    zeroed, in place in the Fortran-ordered ``B`` (SciPy hands a copy of the same matrix in
    that order to the same routine)."""
    L, info = dpotrf(B, lower=1, clean=1, overwrite_a=1)
    if info > 0:
        raise LinAlgError(f"{info}-th leading minor of the array is not positive definite")
    return L


def cho_solve_lower(L: np.ndarray, b: np.ndarray, overwrite_b: bool = False) -> np.ndarray:
    """``scipy.linalg.cho_solve((L, True), b)``: LAPACK's ``potrs``."""
    return dpotrs(L, b, lower=1, overwrite_b=overwrite_b)[0]


def solve_cholesky_factor(L: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``scipy.linalg.solve(L, M)`` for a lower Cholesky factor ``L`` (upper triangle zero)
    and a Fortran-ordered ``M`` (overwritten), in the C order SciPy returns. SciPy detects
    the structure: a diagonal ``L`` (every off-diagonal kernel value underflowed to zero)
    is solved by multiplying each row by ``1 / L[j, j]``, any other lower-triangular ``L``
    by LAPACK's ``trtrs``. SciPy's condition estimate, which could only warn, is left out:
    the factor of ``B = I + W_sr K W_sr`` (eigenvalues 1 to 1 + n c / 4) has a condition
    number below ``sqrt(1 + n c / 4)``, far from the warning's ``1 / eps``. On a SciPy other
    than 1.17, ``solve`` itself."""
    if not _SOLVE_BY_STRUCTURE:
        return solve(L, M, check_finite=False)
    d = L.diagonal()
    if not d.all():
        raise LinAlgError("A singular matrix detected.")
    if np.count_nonzero(L) == d.shape[0]:
        return np.ascontiguousarray(M * (1.0 / d)[:, np.newaxis])
    return np.ascontiguousarray(dtrtrs(L, M, lower=1, overwrite_b=1)[0])


def weigh_kernel(K: np.ndarray, W_sr: np.ndarray, W_sr_K: np.ndarray, B: np.ndarray) -> None:
    """Scikit-learn's ``W_sr_K = W_sr[:, np.newaxis] * K`` (into the C-ordered ``W_sr_K``) and
    ``B = np.eye(n) + W_sr_K * W_sr`` (into the Fortran-ordered ``B``, where LAPACK reads it):
    products and a sum of two numbers, exactly rounded whoever computes them. Compiled, only
    the lower triangle of ``B`` is written (all ``potrf(lower=True)`` reads; it zeroes the
    rest)."""
    (_weigh_loops if HAVE_NUMBA else weigh_kernel_numpy)(K, W_sr, W_sr_K, B)


def weigh_kernel_numpy(K, W_sr, W_sr_K, B) -> None:
    """``weigh_kernel`` without numba: NumPy's elementwise products, all of ``B``."""
    np.multiply(W_sr.reshape(-1, 1), K, out=W_sr_K)
    np.multiply(W_sr_K, W_sr, out=B)
    B.reshape(-1, order="F")[:: B.shape[0] + 1] += 1.0


@njit
def _weigh_loops(K, W_sr, W_sr_K, B):
    n = K.shape[0]
    for i in range(n):
        w = W_sr[i]
        for j in range(n):
            W_sr_K[i, j] = w * K[i, j]
    Bt = B.T  # C-ordered view: Bt[j, i] is B[i, j], column j of B in row j
    for j in range(n):
        w = W_sr[j]
        for i in range(j, n):
            Bt[j, i] = W_sr_K[i, j] * w
        Bt[j, j] = 1.0 + Bt[j, j]
