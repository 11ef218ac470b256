"""One cross-validation fold of the signature search, with the shared work done once.

Per training set: min-max scaling, Spearman filter and Pearson pruning are fitted once
and shared by all selector x classifier pipelines; each selector is fitted once and only
its ``k`` changes while the number of kept features is tuned. This is exactly what the
equivalent :func:`make_pipeline` would compute (the selectors' scores do not depend on
``k``), only without repeating the shared steps.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from .._random import derived_seed
from ._classifiers import make_classifier
from ._filters import CorrelationPruner, SpearmanFilter
from ._selectors import make_selector

__all__ = [
    "make_pipeline",
    "outer_fold",
    "tune_k",
    "inner_splits_of",
    "inner_fold_scores",
    "best_k",
    "derived_seed",
    "quiet_fits",
    "single_threaded",
    "fold_auc",
]


def make_pipeline(
    selector: str,
    classifier: str,
    k: int,
    *,
    seed: int,
    alpha: float = 0.05,
    threshold: float = 0.9,
) -> Pipeline:
    """The full leak-free pipeline: scale -> Spearman filter -> pruning -> selector -> classifier."""
    return Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("spearman", SpearmanFilter(alpha=alpha)),
            ("prune", CorrelationPruner(threshold=threshold)),
            ("select", make_selector(selector, k)),
            ("classify", make_classifier(classifier, seed)),
        ]
    )


@dataclass
class _Prepared:
    """Shared steps fitted on one training set; ``None`` arrays when no feature passed."""

    train: np.ndarray | None
    test: np.ndarray | None
    selectors: dict
    fitted: dict = field(default_factory=dict)


def _prepare(Xtr, ytr, Xte, selectors, alpha, threshold) -> _Prepared:
    scaler = MinMaxScaler().fit(Xtr)
    a, b = scaler.transform(Xtr), scaler.transform(Xte)
    spear = SpearmanFilter(alpha=alpha).fit(a, ytr)
    keep = spear.get_support()
    if not keep.any():
        return _Prepared(None, None, {})
    a, b = a[:, keep], b[:, keep]
    prune = CorrelationPruner(threshold=threshold).fit(a, ytr)
    a, b = prune.transform(a), prune.transform(b)
    fitted = {s: make_selector(s).fit(a, ytr) for s in selectors}
    return _Prepared(a, b, fitted)


def quiet_fits() -> None:
    """Silence the per-fit convergence chatter of the many small fits (call inside a
    ``warnings.catch_warnings()`` block)."""
    warnings.simplefilter("ignore", SkConvergenceWarning)


@contextlib.contextmanager
def single_threaded():
    """BLAS on one thread: the small fits run faster so, and the floating-point results
    do not depend on the number of threads (same table whatever ``n_jobs``). Inside, the
    many small fits skip scikit-learn's repeated input and parameter checks (the data
    were checked once, finite, on entry; the estimators are built here), which changes
    no number."""
    with (
        threadpool_limits(limits=1),
        sklearn.config_context(assume_finite=True, skip_parameter_validation=True),
    ):
        yield


def _fit_predict(prep: _Prepared, selector: str, classifier: str, k: int, ytr, seed) -> np.ndarray:
    """Test-set probabilities of one pipeline (the shared steps already fitted)."""
    sel = prep.selectors[selector]
    sel.k = k
    cols = sel.get_support(indices=True)
    # selectors (or k values) keeping the same columns give the classifier the same input,
    # hence the same probabilities: fit once per (classifier, columns)
    key = (classifier, cols.tobytes())
    if key not in prep.fitted:
        clf = make_classifier(classifier, seed).fit(prep.train[:, cols], ytr)
        prep.fitted[key] = clf.predict_proba(prep.test[:, cols])[:, 1]
    return prep.fitted[key]


def fold_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC of scores ``p`` for ``y`` in {0, 1} (both present), bit-identical to
    ``sklearn.metrics.roc_auc_score``: the same curve (counts at each distinct score, from the
    highest down; collinear points dropped; (0, 0) prepended), the same rates and the same
    trapezoid sum, without its per-call input checks. R: ``pROC::auc(y, p, direction = "<")``.
    """
    order = np.argsort(p, kind="stable")[::-1]
    ps, ys = p[order], y[order].astype(np.float64)
    idx = np.r_[np.nonzero(np.diff(ps))[0], ys.shape[0] - 1]
    tps = np.cumsum(ys)[idx]
    fps = 1 + idx.astype(np.float64) - tps
    if fps.shape[0] > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        keep = np.nonzero(corner)[0]
        fps, tps = fps[keep], tps[keep]
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def _auc(y, p) -> float:
    if p is None:
        return 0.5  # no feature passed the filter: a constant prediction
    return fold_auc(y, p)


def _fold_scores(Xtr, ytr, Xte, yte, selectors, classifiers, k_grid, seed, alpha, threshold):
    """Held-out AUC of every (selector, classifier, k) on one inner fold."""
    prep = _prepare(Xtr, ytr, Xte, selectors, alpha, threshold)
    n_avail = 0 if prep.train is None else prep.train.shape[1]
    scores = {}
    for s in selectors:
        for c in classifiers:
            done: dict[int, float] = {}
            for k in k_grid:
                keff = min(int(k), n_avail)
                if keff not in done:
                    p = None if prep.train is None else _fit_predict(prep, s, c, keff, ytr, seed)
                    done[keff] = _auc(yte, p)
                scores[(s, c, k)] = done[keff]
    return scores


def inner_splits_of(y, inner_splits: int, seed: int) -> list:
    """The inner stratified folds (train, test) of training outcomes ``y``."""
    inner = StratifiedKFold(inner_splits, shuffle=True, random_state=seed)
    return list(inner.split(np.zeros((len(y), 1)), y))


def inner_fold_scores(X, y, rows_train, rows_test, *, selectors, classifiers, k_grid, seed, **kw):
    """:func:`tune_k`'s work on one inner fold, as a task of its own: the AUC of every
    (selector, classifier, k) fitted on ``X[rows_train]`` and scored on ``X[rows_test]``."""
    with warnings.catch_warnings(), single_threaded():
        quiet_fits()
        return _fold_scores(
            X[rows_train],
            y[rows_train],
            X[rows_test],
            y[rows_test],
            selectors,
            classifiers,
            k_grid,
            seed,
            kw["alpha"],
            kw["threshold"],
        )


def best_k(fold_scores: list, selectors, classifiers, k_grid) -> dict:
    """Best ``k`` per (selector, classifier): highest mean AUC over the inner folds' scores
    (in fold order); ties go to the smaller ``k``."""
    best = {}
    for s in selectors:
        for c in classifiers:
            means = [np.mean([f[(s, c, k)] for f in fold_scores]) for k in k_grid]
            best[(s, c)] = int(k_grid[int(np.argmax(means))])
    return best


def tune_k(X, y, selectors, classifiers, k_grid, *, inner_splits, seed, alpha, threshold):
    """Best ``k`` per (selector, classifier) by inner stratified CV AUC on ``(X, y)``.

    Ties go to the smaller ``k``. With a single value in ``k_grid`` no inner CV is run.
    """
    if len(k_grid) == 1:
        return {(s, c): int(k_grid[0]) for s in selectors for c in classifiers}
    folds = [
        _fold_scores(
            X[tr], y[tr], X[te], y[te], selectors, classifiers, k_grid, seed, alpha, threshold
        )
        for tr, te in inner_splits_of(y, inner_splits, seed)
    ]
    return best_k(folds, selectors, classifiers, k_grid)


def outer_fold(
    X,
    y,
    train,
    test,
    *,
    selectors,
    classifiers,
    k_grid,
    inner_splits,
    seed,
    fold_seed,
    alpha,
    threshold,
    ks=None,
):
    """Fit every pipeline on ``X[train]`` (k tuned inside, or given as ``ks``: the best ``k``
    per (selector, classifier) from :func:`best_k`) and predict ``X[test]``.

    Returns ``{(selector, classifier): (probabilities, k, n_prefiltered)}``; probabilities are
    the training prevalence when no feature passed the Spearman filter in this fold.
    """
    with warnings.catch_warnings(), single_threaded():
        quiet_fits()
        Xtr, ytr = X[train], y[train]
        if ks is None:
            ks = tune_k(
                Xtr,
                ytr,
                selectors,
                classifiers,
                sorted(set(k_grid)),
                inner_splits=inner_splits,
                seed=fold_seed,
                alpha=alpha,
                threshold=threshold,
            )
        prep = _prepare(Xtr, ytr, X[test], selectors, alpha, threshold)
        out = {}
        n_pre = 0 if prep.train is None else prep.train.shape[1]
        for s in selectors:
            for c in classifiers:
                if prep.train is None:
                    p = np.full(len(test), ytr.mean())
                else:
                    p = _fit_predict(prep, s, c, min(ks[(s, c)], n_pre), ytr, seed)
                out[(s, c)] = (p, ks[(s, c)], n_pre)
        return out
