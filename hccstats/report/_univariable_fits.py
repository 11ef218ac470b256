"""The univariable fits of the report, one predictor at a time, never failing the whole screen.

A predictor that cannot be estimated (constant, a level without events, separation without
Firth) gets a row saying "not estimable (reason)"; a declared level with no training patient
is left out of its variable's fit and listed; exactly collinear candidates are found before
the collinearity table and the multivariable models.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._errors import InputError, SeparationWarning
from ..logistic._univariate import COLUMNS as UNIVARIATE_COLUMNS

__all__ = ["univariable_rows", "drop_collinear", "drop_empty_levels", "unusable", "COLUMNS"]

COLUMNS = [*UNIVARIATE_COLUMNS, "note"]


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text.split("; its odds ratio is not estimable")[0].split("; drop one of")[0]


def _blank(pred: str, note: str, level=None, reference=None) -> dict:
    row = dict.fromkeys(COLUMNS, np.nan)
    row.update(predictor=pred, term=pred, level=level, reference=reference, note=note)
    return row


def _firth_rows(data: pd.DataFrame, outcome: str, pred: str, per: float | None) -> pd.DataFrame:
    """Firth-penalised univariable fit (logistf's defaults: profile-penalised CI and LR p)."""
    from hccstats import lrm
    from hccstats._names import quote_name, term_label

    fit = lrm(f"{quote_name(outcome)} ~ {quote_name(pred)}", data, firth=True, nan_policy="omit")
    ors = fit.odds_ratios(method="profile")
    factor = isinstance(data[pred].dtype, pd.CategoricalDtype)
    scale = 1.0 if factor or per is None else float(per)
    ref = list(fit.data[pred].cat.categories)[0] if factor else None
    rows = []
    for _, r in ors.iterrows():
        term = r["term"]
        level = term.split("[T.", 1)[1][:-1] if factor and "[T." in term else None
        rows.append(
            {
                "predictor": pred,
                "term": term_label(term),  # Q('a b')[T.yes] -> a b[T.yes]
                "level": level,
                "reference": ref,
                "estimate": float(r["estimate"]) ** scale,
                "ci_low": float(r["ci_low"]) ** scale,
                "ci_high": float(r["ci_high"]) ** scale,
                "p_value": float(r["p_value"]),
                "n": fit.stats["n"],
                "events": fit.stats["events"],
                "per": np.nan if factor else scale,
            }
        )
    return pd.DataFrame(rows)


def drop_empty_levels(data: pd.DataFrame, training: pd.Series, names: list[str]) -> dict:
    """Remove from ``data`` (in place) the declared levels no training patient has.

    Such a level has no estimable odds ratio, and a model cannot use it; validation patients
    with it become missing for that variable (left out of complete-case analyses, counted in
    the tables' n). Returns {variable: [levels removed]}.
    """
    out = {}
    for name in names:
        x = data[name]
        if not isinstance(x.dtype, pd.CategoricalDtype):
            continue
        present = set(x[training].dropna().unique().tolist())
        empty = [c for c in x.cat.categories if c not in present]
        if empty and len(empty) < len(x.cat.categories):
            data[name] = x.cat.remove_categories(empty)
            out[name] = empty
    return out


def univariable_rows(
    data: pd.DataFrame, outcome: str, pred: str, per: float | None, firth: bool, empty=()
) -> tuple[pd.DataFrame, str | None]:
    """Rows of one predictor (library :func:`hccstats.univariate` or a Firth fit) and the
    separation found, if any (a one-line description; its rows are then "not estimable")."""
    from hccstats import univariate

    extra = [
        _blank(pred, "not estimable (no patient with this level in the training set)", lvl)
        for lvl in empty
    ]
    separation = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if firth:
                rows = _firth_rows(data, outcome, pred, per)
            else:
                rows = univariate(
                    data, outcome, [pred], nan_policy="omit", per={pred: per} if per else None
                ).to_frame()
        seps = [w for w in caught if issubclass(w.category, SeparationWarning)]
        if seps:
            separation = str(seps[0].message).split(":")[0]
            kind = separation.split(" separation")[0]
            rows = rows.assign(
                estimate=np.nan,
                ci_low=np.nan,
                ci_high=np.nan,
                p_value=np.nan,
                note=f"not estimable ({kind} separation: the odds ratio is infinite; "
                "set analysis: {firth: true})",
            )
        else:
            rows = rows.assign(note="")
    except InputError as exc:
        rows = pd.DataFrame([_blank(pred, f"not estimable ({_reason(exc)})")])
    if extra:
        rows = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)
    return rows.reindex(columns=COLUMNS), separation


def unusable(train: pd.DataFrame, variables: list[str]) -> str | None:
    """Why a model cannot be fitted, found before any fit: a variable with no value in the
    training set, or no training patient with every variable recorded (None otherwise)."""
    present = [v for v in variables if v in train.columns]
    for v in present:
        if train[v].notna().sum() == 0:
            return f"predictor {v!r} has no non-missing values in the training set"
    if present and len(train.dropna(subset=present)) == 0:
        return (
            "no training patient has all of " + ", ".join(map(repr, present)) + " recorded "
            "(listwise deletion leaves no patient)"
        )
    return None


def drop_collinear(data: pd.DataFrame, outcome: str, predictors: list[str]) -> dict[str, str]:
    """Predictors to leave out because their design is constant or exactly collinear with the
    ones before them (in order), with the reason: {predictor: reason}."""
    from hccstats._names import quote_name
    from hccstats.logistic._design import build_design

    kept: list[str] = []
    dropped: dict[str, str] = {}
    for pred in predictors:
        trial = [*kept, pred]
        why = unusable(data, trial)  # e.g. recorded for other patients than the ones before it
        if why is not None:
            dropped[pred] = why
            continue
        formula = f"{quote_name(outcome)} ~ " + " + ".join(quote_name(p) for p in trial)
        try:
            build_design(formula, data, nan_policy="omit", firth=True)
        except InputError as exc:
            text = _reason(exc)
            if "rank-deficient" in text:
                partners = [k for k in kept if repr(k) in text] or kept
                text = "exactly collinear with " + ", ".join(partners)
            dropped[pred] = text
            continue
        kept.append(pred)
    return dropped
