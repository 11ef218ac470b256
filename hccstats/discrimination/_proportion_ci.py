"""Confidence intervals for a binomial proportion (Wilson score, Clopper–Pearson).

R equivalents: ``prop.test(x, n, correct = FALSE)$conf.int`` (Wilson) and
``binom.test(x, n)$conf.int`` (Clopper–Pearson).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .._errors import InputError
from .._results import ConfidenceInterval
from .._validation import check_conf_level

__all__ = ["proportion_ci", "CI_METHODS"]

CI_METHODS = ("wilson", "clopper-pearson")


def proportion_ci(x, n, conf_level: float = 0.95, method: str = "wilson") -> ConfidenceInterval:
    """Two-sided CI of the proportion ``x / n`` (vectorised over ``x`` and ``n``).

    Returns a :class:`~hccstats.ConfidenceInterval` whose ``low`` and ``high`` are floats for
    scalar input and float arrays otherwise; ``nan`` where ``n == 0``. It unpacks as
    ``low, high = proportion_ci(x, n)``.

    >>> proportion_ci(7, 10)
    95% CI: 0.396778-0.892209
    """
    if method not in CI_METHODS:
        raise InputError(f"ci_method: expected one of {CI_METHODS}, got {method!r}")
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    conf_level = check_conf_level(conf_level)
    alpha = 1.0 - conf_level
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = stats.norm.ppf(1.0 - alpha / 2.0)
            p = x / n
            z22n = z * z / (2.0 * n)
            half = z * np.sqrt(p * (1.0 - p) / n + z22n / (2.0 * n))
            low = np.maximum(0.0, (p + z22n - half) / (1.0 + 2.0 * z22n))
            high = np.minimum(1.0, (p + z22n + half) / (1.0 + 2.0 * z22n))
        else:
            low = np.where(x > 0, stats.beta.ppf(alpha / 2.0, x, n - x + 1.0), 0.0)
            high = np.where(x < n, stats.beta.ppf(1.0 - alpha / 2.0, x + 1.0, n - x), 1.0)
    empty = n <= 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    if low.ndim == 0:
        return ConfidenceInterval(float(low), float(high), conf_level)
    return ConfidenceInterval(low, high, conf_level)
