"""signature_search: every selector x classifier pipeline scored by repeated stratified CV.

Everything that learns from the outcome (scaling, Spearman filter, pruning, selector with
its tuned ``k``, classifier) is fitted inside each training fold; the validation set is
not an argument: it is touched once, at the end, through ``predict``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn.model_selection import RepeatedStratifiedKFold

from .._errors import HccstatsWarning, InputError
from ._classifiers import CLASSIFIERS
from ._cv import (
    best_k,
    derived_seed,
    fold_auc,
    inner_fold_scores,
    inner_splits_of,
    make_pipeline,
    outer_fold,
    quiet_fits,
    single_threaded,
    tune_k,
)
from ._filters import SpearmanFilter
from ._inputs import align_phase, check_folds
from ._results import PhaseSignature, PhaseSkipped, SignatureSearch
from ._selectors import SELECTORS
from ._tasks import run_tasks

__all__ = ["signature_search", "PRESETS"]

#: named settings; any of them can be overridden by the matching keyword argument
PRESETS: dict[str, dict[str, Any]] = {
    # the demo / quick look: one 5-fold pass, k fixed at 10 (no inner tuning)
    "fast": {"n_splits": 5, "n_repeats": 1, "k_grid": (10,), "inner_splits": 3},
    # the default: one 5-fold pass, k tuned by 3-fold inner CV
    "standard": {"n_splits": 5, "n_repeats": 1, "k_grid": (5, 10, 20, 40), "inner_splits": 3},
    # for the manuscript: 5-fold CV repeated 5 times, k tuned by 3-fold inner CV
    "thorough": {"n_splits": 5, "n_repeats": 5, "k_grid": (5, 10, 20, 40), "inner_splits": 3},
}


def _names(values: Sequence[str], allowed: Mapping[str, str], arg: str) -> tuple[str, ...]:
    values = (values,) if isinstance(values, str) else tuple(values)
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise InputError(f"{arg}: unknown {bad or 'empty list'}; choose from {sorted(allowed)}")
    return values


def signature_search(
    X: pd.DataFrame | np.ndarray | Mapping[str, pd.DataFrame],
    y: Any,
    *,
    selectors: Sequence[str] = ("anova", "rfe", "relief"),
    classifiers: Sequence[str] = ("rf", "svm", "lasso", "adaboost", "gp"),
    preset: str = "standard",
    n_splits: int | None = None,
    n_repeats: int | None = None,
    k_grid: Sequence[int] | None = None,
    inner_splits: int | None = None,
    alpha: float = 0.05,
    threshold: float = 0.9,
    seed: int = 2023,
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    phase: str = "features",
    progress: bool = False,
) -> SignatureSearch:
    """Search selector x classifier pipelines for a deep-learning signature, without leakage.

    Each pipeline is min-max scaling -> Spearman filter (p < ``alpha``) -> Pearson pruning
    (|r| > ``threshold``, the feature less related to the outcome goes) -> selector keeping
    ``k`` features (``k`` tuned by inner stratified CV over ``k_grid``) -> classifier, all
    fitted on the training folds only. Each is scored by the AUC on the held-out folds of
    repeated stratified K-fold CV. The best (highest mean AUC; ties: first in the order
    given) is refitted on all of ``X``, with ``k`` tuned the same way.

    There is no single R function for this; the parts map to ``cor.test(method =
    "spearman")``, ``cor``, ``caret::sbf`` / ``caret::rfe`` and ``CORElearn::attrEval``, and
    the loop to ``caret::train`` with ``trainControl(method = "repeatedcv")``.

    Parameters
    ----------
    X : DataFrame (rows = patients, index = patient id, or a ``patient_id`` column),
        array, or a mapping ``{phase: DataFrame}`` to search several phases at once.
    y : binary outcome: a Series indexed by patient id (checked against ``X``'s ids and
        aligned), or an array in ``X``'s row order.
    selectors : subset of ``("anova", "rfe", "relief")``.
    classifiers : subset of ``("rf", "svm", "lasso", "adaboost", "gp")`` (see ``CLASSIFIERS``).
    preset : ``"fast"`` (5-fold x 1, k fixed at 10: the demo), ``"standard"`` (5-fold x 1, k
        tuned over (5, 10, 20, 40) by 3-fold inner CV; the default) or ``"thorough"``
        (5-fold x 5 repeats). ``n_splits``, ``n_repeats``, ``k_grid``, ``inner_splits``
        override single settings.
    alpha, threshold : Spearman filter level and Pearson pruning threshold.
    seed : all randomness (CV splits, classifiers) derives from it.
    n_jobs : processes sharing the tasks (this one and ``n_jobs - 1`` joblib/loky workers;
        -1: one per core): first each (phase, repeat, fold, inner fold) tuning ``k``, then
        each (phase, repeat, fold) fitting with the tuned ``k``, then each phase's refit.
        The result does not depend on it.
    scheduler : address of a Dask scheduler (``"tcp://host:8786"``): the tasks then run on
        that cluster's workers through joblib's Dask backend (``n_jobs`` = 1 or None means
        all of its workers); needs the ``distributed`` package. The tables are identical
        to a one-process run: every task's seed is fixed before it is sent.
    phase : name of the phase when ``X`` is a single table (its key in the result).
    progress : show progress bars over those tasks with the time left
        (tqdm, on stderr); off by default.

    Returns
    -------
    SignatureSearch
        Whatever ``X`` is: ``res[phase]`` is a PhaseSignature, or a PhaseSkipped when no
        feature passes the Spearman filter on the whole training set.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> y = pd.Series(np.repeat([0, 1], 40), index=[f"p{i}" for i in range(80)])
    >>> X = pd.DataFrame(rng.normal(size=(80, 30)), index=y.index).add_prefix("f")
    >>> X["f0"] += 1.5 * y
    >>> res = signature_search(X, y, selectors=["anova"], classifiers=["lasso"], preset="fast")
    >>> res.best
    {'features': ('anova', 'lasso')}
    >>> "f0" in res["features"].selected_features
    True
    """
    cfg = _settings(preset, n_splits, n_repeats, k_grid, inner_splits)
    selectors = _names(selectors, SELECTORS, "selectors")
    classifiers = _names(classifiers, CLASSIFIERS, "classifiers")
    tables = dict(X) if isinstance(X, Mapping) else {phase: X}
    if not tables:
        raise InputError("X: no phase given")
    phases = {name: align_phase(tab, y, name) for name, tab in tables.items()}
    for data in phases.values():
        check_folds(data.y, cfg["n_splits"], cfg["inner_splits"])
    tasks, skipped = _fold_tasks(phases, cfg, alpha, seed)
    common = dict(
        selectors=selectors,
        classifiers=classifiers,
        k_grid=cfg["k_grid"],
        inner_splits=cfg["inner_splits"],
        seed=seed,
        alpha=alpha,
        threshold=threshold,
    )
    active = [n for n in phases if n not in skipped]
    with _workers(n_jobs, scheduler) as jobs:
        run = dict(n_jobs=jobs, progress=progress, joblib_backend=scheduler is not None)
        ks = _tuned_ks(phases, tasks, cfg, common, run)
        outs = run_tasks(
            _outer_fold_task,
            [
                (phases[name].X, phases[name].y, tr, te, fs, k, common)
                for (name, rep, fold, tr, te, fs), k in zip(tasks, ks)
            ],
            desc="signature search (folds)",
            **run,
        )
        refits = run_tasks(
            _phase_result,
            [
                (
                    name,
                    phases[name],
                    ip,
                    [(t, o) for t, o in zip(tasks, outs) if t[0] == name],
                    cfg,
                    common,
                )
                for ip, name in enumerate(active)
            ],
            desc="signature search (refits)",
            **{**run, "progress": False},
        )
    results: dict[str, PhaseSignature | PhaseSkipped] = {}
    for name in phases:
        results[name] = skipped[name] if name in skipped else refits[active.index(name)]
    settings = {
        **cfg,
        "selectors": selectors,
        "classifiers": classifiers,
        "alpha": alpha,
        "threshold": threshold,
        "seed": seed,
        "preset": preset,
    }
    return SignatureSearch(results, settings)


def _outer_fold_task(X, y, train, test, fold_seed, ks, common):
    return outer_fold(X, y, train, test, fold_seed=fold_seed, ks=ks, **common)


def _inner_fold_task(X, y, rows_train, rows_test, seed, kw):
    return inner_fold_scores(X, y, rows_train, rows_test, seed=seed, **kw)


def _tuned_ks(phases, tasks, cfg, common, run) -> list:
    """The tuned ``k`` of every pipeline in every outer fold (``None``: nothing to tune).
    Each (outer fold, inner fold) is a task of its own, so that the workers share the
    work evenly; the numbers are those of :func:`tune_k` inside each outer fold."""
    k_grid = common["k_grid"]
    if len(k_grid) == 1:
        return [None] * len(tasks)
    inner = []  # (task index, rows fitted, rows scored, seed)
    for i, (name, _rep, _fold, tr, _te, fs) in enumerate(tasks):
        for itr, ite in inner_splits_of(phases[name].y[tr], cfg["inner_splits"], fs):
            inner.append((i, tr[itr], tr[ite], fs))
    kw = {key: common[key] for key in ("selectors", "classifiers", "k_grid", "alpha", "threshold")}
    scores = run_tasks(
        _inner_fold_task,
        [
            (phases[tasks[i][0]].X, phases[tasks[i][0]].y, rtr, rte, fs, kw)
            for i, rtr, rte, fs in inner
        ],
        desc="signature search (tuning k)",
        **run,
    )
    per_task: list[list] = [[] for _ in tasks]
    for (i, *_), sc in zip(inner, scores):
        per_task[i].append(sc)
    return [best_k(f, common["selectors"], common["classifiers"], k_grid) for f in per_task]


def _settings(preset: str, n_splits, n_repeats, k_grid, inner_splits) -> dict:
    """The preset's CV settings, with those given overriding it; ``k_grid`` sorted, unique."""
    if preset not in PRESETS:
        raise InputError(f"preset: unknown {preset!r}; choose from {sorted(PRESETS)}")
    cfg = dict(PRESETS[preset])
    for key, val in (
        ("n_splits", n_splits),
        ("n_repeats", n_repeats),
        ("k_grid", k_grid),
        ("inner_splits", inner_splits),
    ):
        if val is not None:
            cfg[key] = val
    cfg["k_grid"] = tuple(sorted({int(k) for k in np.atleast_1d(cfg["k_grid"])}))
    if min(cfg["k_grid"]) < 1:
        raise InputError(f"k_grid: values must be >= 1, got {cfg['k_grid']}")
    return cfg


def _fold_tasks(phases: Mapping, cfg: dict, alpha: float, seed: int) -> tuple[list, dict]:
    """The (phase, repeat, fold, train rows, test rows, seed) tasks of the outer CV, each seed
    fixed here; and the phases skipped because no feature passes the Spearman filter on the
    whole training set (warned about)."""
    cv = RepeatedStratifiedKFold(
        n_splits=cfg["n_splits"], n_repeats=cfg["n_repeats"], random_state=seed
    )
    tasks, skipped = [], {}
    for ip, (name, data) in enumerate(phases.items()):
        spear = SpearmanFilter(alpha=alpha).fit(data.X, data.y)
        if not spear.get_support().any():
            skipped[name] = PhaseSkipped(
                name,
                f"no feature passed the Spearman filter (p < {alpha}) on the "
                f"{len(data.y)} training patients",
                notes=data.notes,
            )
            warnings.warn(
                f"phase {name} skipped: {skipped[name].reason}", HccstatsWarning, stacklevel=3
            )
            continue
        splits = list(cv.split(data.X, data.y))
        for i, (tr, te) in enumerate(splits):
            rep, fold = divmod(i, cfg["n_splits"])
            tasks.append((name, rep, fold, tr, te, derived_seed(seed, ip, rep, fold)))
    return tasks, skipped


#: seconds to wait for the Dask scheduler before saying it is not reachable
SCHEDULER_TIMEOUT_S = 10.0


@contextlib.contextmanager
def _workers(n_jobs: int | None, scheduler: str | None) -> Iterator[int | None]:
    """joblib's workers: local processes, or a Dask cluster's when ``scheduler`` is given."""
    if scheduler is None:
        yield n_jobs
        return
    try:
        from distributed import Client
    except ImportError as err:  # pragma: no cover - distributed is a declared dependency
        raise InputError(
            "scheduler: running on a Dask cluster needs the 'distributed' package"
        ) from err
    try:
        client = Client(scheduler, set_as_default=False, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError) as err:
        raise InputError(
            f"scheduler: no Dask scheduler reachable at {scheduler!r} ({err})"
        ) from err
    try:
        with parallel_config(backend="dask", client=client):
            yield -1 if n_jobs in (None, 1) else n_jobs
    finally:
        client.close()


def _phase_result(name, data, ip, done, cfg, common) -> PhaseSignature:
    """Table of one phase from its fold outputs, and the best pipeline refitted on all data."""
    seed, y = common["seed"], data.y
    fold_table, oof = _fold_results(name, y, done, common, cfg["n_repeats"])
    table = _pipeline_table(name, y, fold_table, oof)
    best_row = table.loc[table["mean_auc"].idxmax()]
    best = (str(best_row["selector"]), str(best_row["classifier"]))
    with warnings.catch_warnings(), single_threaded():
        quiet_fits()
        k = tune_k(
            data.X,
            y,
            [best[0]],
            [best[1]],
            cfg["k_grid"],
            inner_splits=cfg["inner_splits"],
            seed=derived_seed(seed, ip, 10**6),
            alpha=common["alpha"],
            threshold=common["threshold"],
        )[best]
        pipe = make_pipeline(
            best[0], best[1], k, seed=seed, alpha=common["alpha"], threshold=common["threshold"]
        ).fit(data.X, y)
        apparent = pipe.predict_proba(data.X)[:, 1]
    return PhaseSignature(
        phase=name,
        table=table,
        fold_table=fold_table,
        best=best,
        best_k=k,
        best_pipeline=pipe,
        feature_names=data.columns,
        ids=data.ids,
        oof_predictions=pd.Series(oof[best], index=data.ids, name=name),
        apparent_predictions=pd.Series(apparent, index=data.ids, name=name),
        y=pd.Series(y, index=data.ids, name="outcome"),
        notes=data.notes,
    )


def _fold_results(name, y, done, common, n_repeats) -> tuple[pd.DataFrame, dict]:
    """One row per pipeline and held-out fold (AUC, k, features after the filters), and each
    pipeline's out-of-fold predictions, averaged over the repeats."""
    folds = []
    oof: dict[tuple[str, str], np.ndarray] = {}
    for s in common["selectors"]:
        for c in common["classifiers"]:
            pred = np.zeros((n_repeats, len(y)))
            for (_, rep, fold, _tr, te, _), out in done:
                p, k, npre = out[(s, c)]
                pred[rep, te] = p
                folds.append(
                    {
                        "phase": name,
                        "selector": s,
                        "classifier": c,
                        "repeat": rep,
                        "fold": fold,
                        "auc": fold_auc(y[te], p),
                        "k": k,
                        "n_prefiltered": npre,
                        "n_test": len(te),
                    }
                )
            oof[(s, c)] = pred.mean(axis=0)
    return pd.DataFrame(folds), oof


def _pipeline_table(name, y, fold_table: pd.DataFrame, oof: dict) -> pd.DataFrame:
    """One row per pipeline: mean and SD of the fold AUCs, the out-of-fold AUC, median k."""
    rows = []
    for (s, c), grp in fold_table.groupby(["selector", "classifier"], sort=False):
        rows.append(
            {
                "phase": name,
                "selector": s,
                "classifier": c,
                "mean_auc": grp["auc"].mean(),
                "sd_auc": grp["auc"].std(ddof=1),
                "n_folds": len(grp),
                "oof_auc": fold_auc(y, oof[(s, c)]),
                "median_k": float(grp["k"].median()),
            }
        )
    return pd.DataFrame(rows)
