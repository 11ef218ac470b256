"""Every random number the statistics draw starts here: numpy Generators from an explicit seed.

Nothing draws from global state (no ``np.random.seed``, no unseeded generator). Bootstrap
resamples of patients come from :func:`bootstrap_indices` (calibrate, validate, dca); the AUC
bootstrap, which resamples within cases and controls, and the random training/validation
split draw from :func:`generator`; scikit-learn estimators and CV splitters get integer seeds
from :func:`derived_seed`, one per task, computed up front, so that results do not depend on
the number of workers or the order tasks run in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InputError
from ._validation import check_B, check_seed

__all__ = ["generator", "bootstrap_indices", "derived_seed"]


def generator(seed: Any, what: str = "the bootstrap") -> np.random.Generator:
    """``numpy.random.default_rng(seed)``; InputError unless ``seed`` is an integer (``what``
    names the step that needs it)."""
    return np.random.default_rng(check_seed(seed, what))


def bootstrap_indices(
    n: int, B: Any, seed: Any, resamples: Any = None, *, what: str = "the bootstrap"
) -> np.ndarray:
    """(B, n) row indices of ``B`` resamples of ``n`` patients drawn with replacement, or the
    given ``resamples`` (0-based, e.g. R's), checked."""
    if resamples is not None:
        idx = np.asarray(resamples)
        if idx.ndim != 2 or idx.shape[1] != n or idx.dtype.kind not in "iu":
            raise InputError(f"resamples: expected an integer array of shape (B, {n})")
        if idx.min() < 0 or idx.max() >= n:
            raise InputError(f"resamples: indices must lie in 0..{n - 1}")
        return idx.astype(np.int64)
    B = check_B(B)
    return generator(seed, what).integers(0, n, size=(B, n))


def derived_seed(*parts: int) -> int:
    """A 31-bit seed from integers (e.g. seed, phase, repeat, fold), the same whatever the
    order tasks run in."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0] >> 1)
