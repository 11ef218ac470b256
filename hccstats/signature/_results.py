"""Result objects of the signature search (frozen; unrounded numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .._errors import InputError
from ._inputs import new_patient_features

__all__ = ["PhaseSignature", "PhaseSkipped", "SignatureSearch", "TABLE_COLUMNS"]

TABLE_COLUMNS = [
    "phase",
    "selector",
    "classifier",
    "mean_auc",
    "sd_auc",
    "n_folds",
    "oof_auc",
    "median_k",
]


@dataclass(frozen=True, eq=False)
class PhaseSkipped:
    """A phase without a signature, and why (e.g. no feature passed the Spearman filter)."""

    phase: str
    reason: str
    notes: tuple = ()
    skipped: bool = field(default=True, init=False)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(columns=TABLE_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def __repr__(self) -> str:
        return f"phase {self.phase} skipped: {self.reason}"


@dataclass(frozen=True, eq=False)
class PhaseSignature:
    """The search result of one phase.

    Attributes
    ----------
    table : DataFrame, one row per selector x classifier: ``phase, selector, classifier,
        mean_auc, sd_auc`` (over all ``n_folds`` held-out folds), ``n_folds``, ``oof_auc``
        (AUC of the out-of-fold predictions averaged over repeats), ``median_k``.
    fold_table : DataFrame, one row per pipeline and fold (``auc``, tuned ``k``, ...).
    best : (selector, classifier) with the highest ``mean_auc``.
    best_k : number of features the refitted selector keeps (tuned by inner CV).
    best_pipeline : sklearn Pipeline refitted on all training patients.
    oof_predictions : Series (index = patient id): out-of-fold probability of the best
        pipeline, averaged over repeats -- the honest training signature.
    apparent_predictions : Series: ``best_pipeline`` applied to its own training data
        (the study's way; optimistic).
    """

    phase: str
    table: pd.DataFrame
    fold_table: pd.DataFrame
    best: tuple
    best_k: int
    best_pipeline: Pipeline
    feature_names: list
    ids: pd.Index
    oof_predictions: pd.Series
    apparent_predictions: pd.Series
    y: pd.Series
    notes: tuple = ()
    skipped: bool = field(default=False, init=False)

    @property
    def selected_features(self) -> list:
        """Names of the features the refitted best pipeline uses, in input order."""
        names = np.asarray(self.feature_names, dtype=object)
        for step in ("spearman", "prune", "select"):
            names = names[self.best_pipeline.named_steps[step].get_support()]
        return names.tolist()

    def predict(self, X_new: Any) -> pd.Series:
        """Signature (probability) for new patients, e.g. the validation set (use once)."""
        df = new_patient_features(self.feature_names, X_new, self.phase)
        p = self.best_pipeline.predict_proba(df.to_numpy(dtype=np.float64))[:, 1]
        return pd.Series(p, index=df.index, name=self.phase)

    def signature(self, kind: str = "oof") -> pd.Series:
        """Training signature: ``"oof"`` (default, honest) or ``"apparent"`` (the study's)."""
        if kind == "oof":
            return self.oof_predictions
        if kind == "apparent":
            return self.apparent_predictions
        raise InputError(f"kind: expected 'oof' or 'apparent', got {kind!r}")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        best = self.table.set_index(["selector", "classifier"]).loc[self.best]
        return (
            f"DL signature search, phase {self.phase}: {len(self.table)} pipelines, "
            f"{int(best['n_folds'])} held-out folds each\n"
            f"best: {self.best[0]} + {self.best[1]} (k = {self.best_k}), "
            f"CV AUC {best['mean_auc']:.4f} (SD {best['sd_auc']:.4f}); "
            f"{len(self.selected_features)} features selected\n" + "\n".join(self.notes)
        )


@dataclass(frozen=True, eq=False)
class SignatureSearch:
    """What :func:`signature_search` returns: the search of each phase (``phases``: name ->
    PhaseSignature, or PhaseSkipped for a phase without a signature), in the order given.

    ``res[phase]`` is one phase's result; the properties gather all phases with a signature
    (``table`` stacks their tables, ``best`` maps phase -> (selector, classifier), ...).
    Fuse the phases with :func:`fuse_signatures`.
    """

    phases: Mapping[str, PhaseSignature | PhaseSkipped]
    settings: Mapping[str, Any]

    def __getitem__(self, phase: str) -> PhaseSignature | PhaseSkipped:
        return self.phases[phase]

    @property
    def active(self) -> dict:
        return {k: v for k, v in self.phases.items() if not v.skipped}

    @property
    def skipped(self) -> dict:
        """phase -> reason, for the phases without a signature."""
        return {k: v.reason for k, v in self.phases.items() if v.skipped}

    @property
    def table(self) -> pd.DataFrame:
        """Figure 4 data: all phases' tables stacked (tidy)."""
        tabs = [v.table for v in self.active.values()]
        return pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame(columns=TABLE_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    @property
    def fold_table(self) -> pd.DataFrame:
        tabs = [v.fold_table for v in self.active.values()]
        return pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame()

    @property
    def best(self) -> dict:
        return {k: v.best for k, v in self.active.items()}

    @property
    def best_pipeline(self) -> dict:
        return {k: v.best_pipeline for k, v in self.active.items()}

    @property
    def selected_features(self) -> dict:
        return {k: v.selected_features for k, v in self.active.items()}

    @property
    def oof_predictions(self) -> pd.DataFrame:
        """Out-of-fold training signatures, one column per phase."""
        return pd.concat([v.oof_predictions for v in self.active.values()], axis=1)

    def signature(self, kind: str = "oof") -> pd.DataFrame:
        return pd.concat([v.signature(kind) for v in self.active.values()], axis=1)

    def predict(self, X_new: Mapping[str, Any]) -> pd.DataFrame:
        """Signatures of new patients, one column per phase (``X_new``: phase -> table)."""
        missing = [p for p in self.active if p not in X_new]
        if missing:
            raise InputError(f"X_new: missing phase(s) {', '.join(missing)}")
        return pd.concat([v.predict(X_new[k]) for k, v in self.active.items()], axis=1)

    def __repr__(self) -> str:
        lines = [f"DL signature search: {len(self.phases)} phase(s)"]
        for v in self.phases.values():
            lines.append(
                repr(v)
                if v.skipped
                else f"{v.phase}: best {v.best[0]} + {v.best[1]} (k = {v.best_k}), CV AUC "
                f"{v.table['mean_auc'].max():.4f}"
            )
        return "\n".join(lines)
