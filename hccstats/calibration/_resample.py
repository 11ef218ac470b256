"""Bootstrap plumbing shared by calibrate and validate: seeded indices, weights, chunks, joblib."""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed

from .._errors import InputError
from .._random import bootstrap_indices

__all__ = ["fit_arrays", "bootstrap_indices", "counts", "run_chunks", "average", "CHUNK"]

CHUNK = 50  # resamples per batch; fixed, so that results never depend on n_jobs


def fit_arrays(fit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X with intercept column first, y as 0/1 floats, coefficients) of a LogisticFit-like."""
    for attr in ("X", "y", "coef"):
        if not hasattr(fit, attr):
            raise InputError(f"fit: expected a LogisticFit (hccstats.lrm), it has no .{attr}")
    X = np.asarray(fit.X, dtype=np.float64)
    y = np.asarray(fit.y, dtype=np.float64).reshape(-1)
    coef = np.asarray(fit.coef, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or X.shape[0] != len(y) or X.shape[1] != len(coef):
        raise InputError(f"fit: X {X.shape}, y ({len(y)},) and coef ({len(coef)},) do not agree")
    if not np.allclose(X[:, 0], 1.0):
        raise InputError("fit.X: the first column must be the intercept (all ones)")
    if not np.isin(y, (0.0, 1.0)).all() or y.min() == y.max():
        raise InputError("fit.y: must be 0/1 with both classes present")
    return X, y, coef


def counts(idx: np.ndarray, n: int, dtype=np.float64) -> np.ndarray:
    """Frequency weights (B, n) of the resamples ``idx``."""
    B = idx.shape[0]
    flat = (idx + n * np.arange(B)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype(dtype, copy=False)


def run_chunks(
    func,
    idx: np.ndarray,
    n_jobs: int | None,
    *,
    chunk: int = CHUNK,
    progress: bool = False,
    desc: str = "bootstrap",
):
    """``func(idx_chunk)`` over fixed chunks of ``chunk`` resamples (threads), results in order.

    BLAS runs single-threaded meanwhile: the matrices are small, so BLAS threads only contend
    (badly so on a loaded machine), and one thread keeps every sum in one fixed order, so the
    result is the same for any ``n_jobs``. ``progress`` shows a bar with the resamples done
    and the time left (tqdm, on stderr).
    """
    from threadpoolctl import threadpool_limits

    from .._progress import progress_bar

    chunks = [idx[i : i + chunk] for i in range(0, idx.shape[0], chunk)]
    out = []
    with (
        threadpool_limits(limits=1, user_api="blas"),
        progress_bar(idx.shape[0], desc, progress) as bar,
    ):
        if n_jobs in (None, 1) or len(chunks) == 1:
            results = (func(c) for c in chunks)
        else:
            results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                delayed(func)(c) for c in chunks
            )
        for c, res in zip(chunks, results):
            out.append(res)
            bar.update(len(c))
    return out


def average(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """rms's predab.resample averages: per index, the mean training and test values over the
    resamples where both are defined. Returns (training, test, n per index, failed fits)."""
    train = np.vstack([p[0] for p in parts])
    test = np.vstack([p[1] for p in parts])
    failed = int(np.concatenate([p[2] for p in parts]).sum())
    na = np.isnan(train + test)
    num = (~na).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tr = np.where(na, 0.0, train).sum(axis=0) / num
        te = np.where(na, 0.0, test).sum(axis=0) / num
    return tr, te, num, failed
