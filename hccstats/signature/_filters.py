"""Univariable Spearman filter and Pearson redundancy pruning (fit on training data only).

These are the first two steps of the study's feature reduction (Yan et al. 2023, Methods
"Feature selection and DL signature development"): keep the features whose Spearman
correlation with the outcome has p < 0.05, then drop one feature of each pair with
Pearson |r| > 0.9 -- the one less related to the outcome.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SpearmanFilter", "CorrelationPruner", "spearman_outcome"]


def _column_ranks(X: np.ndarray) -> np.ndarray:
    """Average ranks of each column (ties get the mean rank, as R's ``rank``)."""
    return stats.rankdata(X, axis=0, method="average")


def spearman_outcome(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho of every column of ``X`` with ``y`` and its two-sided p-value.

    The p-value uses the t approximation ``t = rho * sqrt((n - 2) / (1 - rho^2))`` with
    ``n - 2`` degrees of freedom, as ``scipy.stats.spearmanr`` and R's
    ``cor.test(x, y, method = "spearman", exact = FALSE)`` (R's default whenever there are
    ties, which a binary outcome always has). Constant columns get ``rho = p = nan``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    rx = _column_ranks(X)
    ry = stats.rankdata(y)
    rx = rx - rx.mean(axis=0)
    ry = ry - ry.mean()
    sx = np.sqrt((rx**2).sum(axis=0))
    sy = np.sqrt((ry**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rx.T @ ry) / (sx * sy)
        rho = np.clip(rho, -1.0, 1.0)
        t = rho * np.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
    p = 2.0 * stats.t.sf(np.abs(t), n - 2)
    p[np.isnan(rho)] = np.nan
    return rho, p


class SpearmanFilter(SelectorMixin, BaseEstimator):
    """Keep the features whose Spearman correlation with the outcome has ``p < alpha``.

    R equivalent: ``cor.test(x, y, method = "spearman", exact = FALSE)$p.value < alpha`` per
    column. Fit on training data only (inside each cross-validation fold).

    Parameters
    ----------
    alpha : float, default 0.05
        Significance level of the filter.

    Attributes
    ----------
    rho_, pvalues_ : ndarray of shape (n_features,)
        Spearman rho and p-value of each input feature (nan for constant features).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = np.c_[y + rng.normal(size=60), rng.normal(size=(60, 3))]
    >>> SpearmanFilter().fit(X, y).get_support()[0]
    np.True_

    If no feature passes, ``transform`` returns an array with zero columns.
    """

    def __init__(self, alpha: float = 0.05):
        self.alpha = alpha

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.rho_, self.pvalues_ = spearman_outcome(X, y)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "pvalues_")
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(self.pvalues_, nan=np.inf) < self.alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def prune_order(X: np.ndarray, relevance: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask: greedy pruning of pairs with Pearson |r| > threshold.

    Features are visited from the most to the least relevant (ties broken by column
    order); a feature is kept unless its |r| with an already kept feature exceeds
    ``threshold``. So of every correlated pair, the one less related to the outcome goes.
    """
    p = X.shape[1]
    keep = np.zeros(p, dtype=bool)
    if p == 0:
        return keep
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.abs(np.corrcoef(X, rowvar=False)).reshape(p, p)
    r = np.nan_to_num(r, nan=0.0)
    order = np.argsort(-np.nan_to_num(relevance, nan=-1.0), kind="stable")
    kept: list[int] = []
    for j in order:
        if not kept or r[j, kept].max() <= threshold:
            kept.append(j)
    keep[kept] = True
    return keep


class CorrelationPruner(SelectorMixin, BaseEstimator):
    """Drop one feature of every pair with Pearson ``|r| > threshold``: the one less related to ``y``.

    Relation to the outcome is ``|Spearman rho|`` with ``y``; features are visited from the
    most to the least related and kept unless correlated above ``threshold`` with one already
    kept (greedy; the result does not depend on the column order except for exact ties).
    R equivalent: ``cor(X)`` plus a loop (``caret::findCorrelation`` uses mean correlation
    instead of the outcome, so it differs on purpose).

    Parameters
    ----------
    threshold : float, default 0.9

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> x1 = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 1.0])
    >>> X = np.c_[x1, x1 + 0.01, np.arange(6) % 2]
    >>> CorrelationPruner().fit(X, y).get_support().tolist()
    [True, False, True]
    """

    def __init__(self, threshold: float = 0.9):
        self.threshold = threshold

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.relevance_ = np.abs(spearman_outcome(X, y)[0])
        self.support_ = prune_order(X, self.relevance_, self.threshold)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
