"""``partial_effect``: the odds or hazard ratio against one predictor, with its confidence band,
as ``rms::Predict(fit, x, ref.zero = TRUE, fun = exp)`` gives it.

The other predictors are held at rms's ``datadist`` "Adjust to" values (the median of a numeric
column, its middle value with three distinct values and its lowest with two, the most
frequent level of a categorical one), and the ratio is relative to the
patient with every predictor at its adjust-to value (rms's ``ref.zero``); ``at`` sets other
predictors for the predictions only (``Predict(fit, age, smoke = 1)``). Without ``values`` the
predictor runs over its distinct values when it has at most 10 (datadist's ``n.unique``), else
over 200 equally spaced points between the quantiles ``10 / max(n, 200)`` and ``1 - 10 / max(n, 200)`` (datadist's
"Low:prediction" and "High:prediction"); a categorical predictor, or a numeric one the model enters as ``factor(x)``,
over its levels (its adjust-to value then its most frequent level, as rms's datadist of the
factor gives it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._errors import InputError
from ._validation import check_conf_level

__all__ = ["partial_effect", "PartialEffect", "adjust_to_values"]

N_POINTS = 200  # rms::Predict's np
N_UNIQUE = 10  # datadist's n.unique: a numeric column with at most this many values keeps them


def _is_categorical(x: pd.Series) -> bool:
    return isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object or x.dtype == bool


def adjust_to_values(
    data: pd.DataFrame, columns: Sequence[str], levels: Sequence[str] = ()
) -> dict[str, Any]:
    """rms's ``datadist`` "Adjust to" values: a numeric column's (:func:`_numeric_adjust_to`), the most frequent
    level (the first among ties, in level order) of a categorical one or of a numeric column
    named in ``levels`` (one the model enters as ``factor(x)``)."""
    out: dict[str, Any] = {}
    for c in columns:
        x = data[c].dropna()
        if _is_categorical(x) or c in levels:
            counts = x.value_counts(sort=False)
            if isinstance(x.dtype, pd.CategoricalDtype):
                counts = counts.reindex(x.cat.categories, fill_value=0)
            else:
                counts = counts.sort_index()
            out[c] = counts.index[int(np.argmax(counts.to_numpy()))]
        else:
            out[c] = _numeric_adjust_to(x.to_numpy(float))
    return out


def _numeric_adjust_to(x: np.ndarray) -> float:
    """datadist's "Adjust to" of a numeric column: its lowest value with fewer than three
    distinct values, the middle one with three, else the median."""
    u = np.unique(x)
    if len(u) < 3:
        return float(u[0])
    return float(u[1]) if len(u) == 3 else float(np.median(x))


def _default_values(x: pd.Series, as_levels: bool = False) -> np.ndarray | list:
    x = x.dropna()
    if _is_categorical(x) or as_levels:
        return (
            list(x.cat.categories)
            if isinstance(x.dtype, pd.CategoricalDtype)
            else sorted(x.unique())
        )
    v = x.to_numpy(float)
    distinct = np.unique(v)
    if len(distinct) <= N_UNIQUE:  # datadist keeps these values, and Predict runs over them
        return distinct
    q = 10.0 / max(len(x), 200)
    lo, hi = np.quantile(v, [q, 1.0 - q])
    return np.linspace(lo, hi, N_POINTS)


def _factor_columns(fit) -> list[str]:
    """The numeric columns the model enters as factors (``factor(race)``, ``C(stage)``)."""
    from .logistic._terms import code_variables

    out: list[str] = []
    for term in fit.design_info.terms:
        for f in term.factors:
            if f.code.startswith(("factor(", "C(")):
                out += [v for v in code_variables(f.code)[0] if v not in out]
    return out


def _frame(data: pd.DataFrame, columns, values: dict) -> pd.DataFrame:
    """New data with the fitted categories of categorical columns."""
    out = pd.DataFrame(values)[list(columns)]
    for c in columns:
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(out[c], categories=data[c].cat.categories)
    return out


@dataclass(frozen=True, eq=False)
class PartialEffect:
    """Result of :func:`partial_effect`.

    ``table``: the predictor's values (column named after it), ``lp`` (log ratio against the
    reference), ``se``, ``estimate`` (odds or hazard ratio), ``ci_low``, ``ci_high``.
    ``reference`` is the predictor's adjust-to value; ``adjust_to`` the settings of every
    predictor at the reference (ratio 1), ``ratio`` "odds ratio" or "hazard ratio".
    """

    table: pd.DataFrame
    variable: str
    reference: Any
    adjust_to: Mapping[str, Any]
    ratio: str
    conf_level: float
    label: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def plot(self, ax=None, *, log: bool = True):
        """The ratio against the predictor with its confidence band (a line and a shaded band;
        points with error bars for a categorical predictor); returns the Figure
        (:class:`hccstats.plots.PartialEffectDisplay`)."""
        from .plots import PartialEffectDisplay

        return PartialEffectDisplay.from_partial_effect(self).plot(ax, log=log).figure_


def partial_effect(
    fit,
    variable: str,
    values: Sequence | None = None,
    *,
    conf_level: float = 0.95,
    at: Mapping[str, Any] | None = None,
    adjust_to: Mapping[str, Any] | None = None,
    label: str = "",
) -> PartialEffect:
    """Odds ratio (LogisticFit) or hazard ratio (CoxFit) against one predictor, with its Wald
    confidence band: ``rms::Predict(fit, variable, ref.zero = TRUE, fun = exp)``.

    Parameters
    ----------
    fit : LogisticFit or CoxFit
        With any terms of the predictor (``rcs``, ``pol``, ``log``, interactions).
    variable : str
        A data column the model uses.
    values : sequence, optional
        Where to evaluate (default: rms's 200 points between datadist's prediction limits, or
        the levels of a categorical predictor).
    conf_level : float
    at : mapping, optional
        Values of other predictors in the predictions (R: ``Predict(fit, age, smoke = 1)``);
        the reference stays at the adjust-to values, as rms's ``ref.zero`` does.
    adjust_to : mapping, optional
        Adjust-to values replacing datadist's (the reference, and the other predictors'
        values where ``at`` does not set them).
    label : str
        Axis label of :meth:`PartialEffect.plot`.

    Returns
    -------
    PartialEffect

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> fit = hs.lrm("recurrence ~ rcs(age, 4) + mvi", example_cohort())
    >>> pe = hs.partial_effect(fit, "age", [40, 50, 60, 70])
    >>> pe.to_frame()[["age", "estimate", "ci_low", "ci_high"]].round(3)
       age  estimate  ci_low  ci_high
    0   40     0.552   0.231    1.316
    1   50     0.709   0.449    1.120
    2   60     2.187   1.451    3.298
    3   70    11.606   2.629   51.236
    """
    from .logistic._terms import fit_columns

    check_conf_level(conf_level)
    for attr in ("coef", "cov", "design", "data"):
        if not hasattr(fit, attr):
            raise InputError(
                f"partial_effect: expected a LogisticFit or CoxFit, got {type(fit).__name__}"
            )
    columns = fit_columns(fit)
    if variable not in columns:
        raise InputError(
            f"partial_effect: {variable!r} is not a variable of the model (variables: "
            f"{', '.join(columns)})"
        )
    for name, given in (("at", at), ("adjust_to", adjust_to)):
        unknown = [k for k in (given or {}) if k not in columns]
        if unknown:
            raise InputError(f"{name}: {unknown[0]!r} is not a variable of the model")
    levels = _factor_columns(fit)
    settings = {**adjust_to_values(fit.data, columns, levels), **dict(adjust_to or {})}
    if values is None:
        vals = _default_values(fit.data[variable], as_levels=variable in levels)
    else:
        vals = list(values)
    held = {**settings, **dict(at or {})}
    grid = _frame(fit.data, columns, {c: [held[c]] * len(vals) for c in columns} | {variable: vals})
    ref = _frame(fit.data, columns, {c: [settings[c]] for c in columns})
    D = fit.design(grid) - fit.design(ref)
    b = fit.coef.to_numpy(float)
    V = fit.cov.to_numpy(float)
    lp = D @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", D, V, D))
    z = sps.norm.ppf(0.5 + conf_level / 2.0)
    table = pd.DataFrame(
        {
            variable: vals,
            "lp": lp,
            "se": se,
            "estimate": np.exp(lp),
            "ci_low": np.exp(lp - z * se),
            "ci_high": np.exp(lp + z * se),
        }
    )
    ratio = "hazard ratio" if hasattr(fit, "baseline_cumhaz") else "odds ratio"
    return PartialEffect(table, variable, settings[variable], settings, ratio, conf_level, label)
