"""A small simulated cohort for the docstring examples and quick experiments."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["example_cohort"]


def example_cohort(n: int = 200, seed: int = 7) -> pd.DataFrame:
    """``n`` simulated patients with a known logistic model of early recurrence.

    Columns: ``age`` (years, whole), ``mvi`` (microvascular invasion, 0/1), ``afp`` (ng/mL,
    log-normal), ``recurrence`` (0/1) drawn from ``logit P = -6 + 0.08 age + 1.2 mvi +
    0.2 log(afp)``, and ``noise``, unrelated to the outcome.

    Examples
    --------
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()
    >>> d.shape, round(float(d["recurrence"].mean()), 2)
    ((200, 5), 0.43)
    """
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "age": rng.normal(55, 10, n).round(),
            "mvi": rng.integers(0, 2, n),
            "afp": rng.lognormal(3, 1.5, n).round(1),
        }
    )
    lp = -6 + 0.08 * d["age"] + 1.2 * d["mvi"] + 0.2 * np.log(d["afp"])
    d["recurrence"] = rng.binomial(1, expit(lp))
    d["noise"] = rng.normal(size=n)
    return d
