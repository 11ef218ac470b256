"""mp-MR fusion: the phase signatures combined into one multi-phase signature.

``"stacking"`` (default): an unpenalised logistic model on the per-phase out-of-fold
signatures; the fused training signature is itself out of fold (the stacker refitted
K times). ``"union"``: one classifier on the union of the phases' selected features;
its out-of-fold training signature reruns each phase's whole pipeline inside each fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from .._errors import InputError
from ._classifiers import CLASSIFIERS, make_classifier
from ._cv import quiet_fits, single_threaded
from ._inputs import align_phase, new_patient_features
from ._results import SignatureSearch

__all__ = ["fuse_signatures", "FusedSignature"]


@dataclass(frozen=True, eq=False)
class FusedSignature:
    """The mp-MR signature.

    Attributes
    ----------
    method : "stacking" or "union".
    phases : phases fused.
    oof_predictions : Series, out-of-fold fused signature of the training patients.
    apparent_predictions : Series, the final model on its own training data.
    model : the fitted stacker (LogisticRegression) or union pipeline.
    coef : Series (stacking: intercept and one log-odds coefficient per phase signature).
    features : union method: the ``phase:feature`` columns used.
    """

    method: str
    phases: tuple
    oof_predictions: pd.Series
    apparent_predictions: pd.Series
    model: Any
    coef: pd.Series | None
    features: tuple
    search: SignatureSearch

    def signature(self, kind: str = "oof") -> pd.Series:
        if kind not in ("oof", "apparent"):
            raise InputError(f"kind: expected 'oof' or 'apparent', got {kind!r}")
        return self.oof_predictions if kind == "oof" else self.apparent_predictions

    def predict(self, X_new: Mapping[str, Any]) -> pd.Series:
        """Fused signature of new patients (``X_new``: phase -> feature table)."""
        if self.method == "stacking":
            S = self.search.predict(X_new)[list(self.phases)]
            p = self.model.predict_proba(S.to_numpy())[:, 1]
            return pd.Series(p, index=S.index, name="mp-MR")
        U = _union_frame(
            {
                ph: new_patient_features(self.search[ph].feature_names, X_new[ph], ph)
                for ph in self.phases
            },
            self.features,
        )
        return pd.Series(self.model.predict_proba(U.to_numpy())[:, 1], index=U.index, name="mp-MR")

    def __repr__(self) -> str:
        head = f"mp-MR signature ({self.method}) of {', '.join(self.phases)}"
        if self.coef is not None:
            head += "\n" + self.coef.to_string()
        return head


def _union_frame(tables: Mapping[str, pd.DataFrame], columns) -> pd.DataFrame:
    parts = [t.add_prefix(f"{ph}:") for ph, t in tables.items()]
    return pd.concat(parts, axis=1, join="inner")[list(columns)]


def fuse_signatures(
    search: SignatureSearch,
    *,
    method: str = "stacking",
    X: Mapping[str, pd.DataFrame] | None = None,
    classifier: str = "lasso",
    n_splits: int = 5,
    seed: int | None = None,
) -> FusedSignature:
    """Fuse the phase signatures of a multi-phase search into the mp-MR signature.

    R equivalent (stacking): ``glm(y ~ AP + PVP + HBP, family = binomial)`` on the
    out-of-fold phase signatures, with out-of-fold predictions from K refits.

    Parameters
    ----------
    search : SignatureSearch of at least two phases (skipped phases are left out).
    method : ``"stacking"`` or ``"union"``.
    X : the training feature tables (phase -> DataFrame), needed for ``"union"``.
    classifier : the union method's classifier (see ``CLASSIFIERS``).
    n_splits : folds for the out-of-fold fused training signature.
    seed : defaults to the search's seed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hccstats.signature import signature_search
    >>> rng = np.random.default_rng(1)
    >>> y = pd.Series(np.repeat([0, 1], 40), index=[f"p{i}" for i in range(80)])
    >>> X = {ph: pd.DataFrame(rng.normal(size=(80, 20)), index=y.index).add_prefix("f")
    ...      for ph in ("AP", "HBP")}
    >>> X["AP"]["f0"] += 1.5 * y
    >>> X["HBP"]["f1"] += 1.5 * y
    >>> res = signature_search(X, y, selectors=["anova"], classifiers=["lasso"], preset="fast")
    >>> mp = fuse_signatures(res)
    >>> mp.coef.round(1)
    Intercept   -4.1
    AP           5.0
    HBP          2.9
    Name: log_odds, dtype: float64
    >>> mp.oof_predictions.shape  # the fused training signature, out of fold
    (80,)
    >>> mp.predict({ph: t.head(3) for ph, t in X.items()}).round(3)  # e.g. the validation set
    p0    0.246
    p1    0.101
    p2    0.030
    Name: mp-MR, dtype: float64
    """
    if not isinstance(search, SignatureSearch):
        raise InputError("search: expected the SignatureSearch of several phases")
    phases = tuple(search.active)
    if len(phases) < 2:
        raise InputError(
            f"search: fusion needs at least two phases with a signature, got "
            f"{list(phases)} (skipped: {search.skipped})"
        )
    seed = search.settings["seed"] if seed is None else seed
    y = search[phases[0]].y
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    if method == "stacking":
        return _stacking(search, phases, y, cv)
    if method != "union":
        raise InputError(f"method: expected 'stacking' or 'union', got {method!r}")
    if classifier not in CLASSIFIERS:
        raise InputError(f"classifier: unknown {classifier!r}; choose from {sorted(CLASSIFIERS)}")
    if X is None or any(ph not in X for ph in phases):
        raise InputError(f"X: the union method needs the training tables of {list(phases)}")
    return _union(search, phases, y, cv, X, classifier, seed)


def _stacking(search: SignatureSearch, phases: tuple, y: pd.Series, cv) -> FusedSignature:
    """Logistic regression on the phases' out-of-fold signatures; out-of-fold by ``cv``."""
    S = search.oof_predictions[list(phases)]
    stacker = LogisticRegression(C=np.inf, max_iter=1000)
    oof = np.zeros(len(y))
    for tr, te in cv.split(S, y):
        oof[te] = clone(stacker).fit(S.iloc[tr], y.iloc[tr]).predict_proba(S.iloc[te])[:, 1]
    model = clone(stacker).fit(S.to_numpy(), y.to_numpy())
    coef = pd.Series(
        np.r_[model.intercept_, model.coef_.ravel()],
        index=["Intercept", *phases],
        name="log_odds",
    )
    app = model.predict_proba(S.to_numpy())[:, 1]
    return FusedSignature(
        "stacking",
        phases,
        pd.Series(oof, index=y.index, name="mp-MR"),
        pd.Series(app, index=y.index, name="mp-MR"),
        model,
        coef,
        (),
        search,
    )


def _union(search, phases: tuple, y: pd.Series, cv, X, classifier: str, seed) -> FusedSignature:
    """One classifier on the union of the phases' selected features; out-of-fold by ``cv``,
    the phases' pipelines refitted in each fold."""
    data = {ph: align_phase(X[ph], y, ph) for ph in phases}
    union = Pipeline([("scale", MinMaxScaler()), ("classify", make_classifier(classifier, seed))])
    oof = np.zeros(len(y))
    yv = y.to_numpy()
    with warnings.catch_warnings(), single_threaded():
        quiet_fits()
        for tr, te in cv.split(np.zeros(len(y)), yv):
            cols_tr, cols_te = [], []
            for ph in phases:
                pipe = clone(search[ph].best_pipeline).fit(data[ph].X[tr], yv[tr])
                keep = np.ones(data[ph].X.shape[1], bool)
                for step in ("spearman", "prune", "select"):
                    keep[keep] = pipe.named_steps[step].get_support()
                cols_tr.append(data[ph].X[tr][:, keep])
                cols_te.append(data[ph].X[te][:, keep])
            m = clone(union).fit(np.hstack(cols_tr), yv[tr])
            oof[te] = m.predict_proba(np.hstack(cols_te))[:, 1]
        features = tuple(f"{ph}:{f}" for ph in phases for f in search[ph].selected_features)
        tabs = {
            ph: pd.DataFrame(data[ph].X, index=data[ph].ids, columns=data[ph].columns)
            for ph in phases
        }
        U = _union_frame(tabs, features)
        model = clone(union).fit(U.to_numpy(), yv)
    app = model.predict_proba(U.to_numpy())[:, 1]
    return FusedSignature(
        "union",
        phases,
        pd.Series(oof, index=y.index, name="mp-MR"),
        pd.Series(app, index=y.index, name="mp-MR"),
        model,
        None,
        features,
        search,
    )
