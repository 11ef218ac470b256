"""``univariate``: one logistic model per predictor, as a tidy odds-ratio table."""

from __future__ import annotations

import keyword
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from ._lrm import lrm
from ._print import print_table

__all__ = [
    "univariate",
    "Univariate",
    "quote_name",
    "per_value",
    "is_factor",
    "factor_levels",
    "level_of",
]

COLUMNS = [
    "predictor",
    "term",
    "level",
    "reference",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "events",
    "per",
]


@dataclass(frozen=True, eq=False)
class Univariate:
    """Result of :func:`univariate`: one row per model term, unrounded.

    Attributes
    ----------
    table : DataFrame
        Columns predictor, term, level (of a factor; None otherwise), reference (the factor's
        reference level), estimate (odds ratio), ci_low, ci_high, p_value, n, events, per
        (the unit of a continuous predictor's odds ratio; nan for factors).
    outcome : str
    ci_method, test : str
        How the limits (``"wald"``, ``"profile"``) and p values (``"wald"``, ``"lr"``) were
        computed.
    conf_level : float
        Confidence level.
    """

    table: pd.DataFrame
    outcome: str
    ci_method: str
    test: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy): one row per term."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        lo, hi = (0.5 - self.conf_level / 2) * 100, (0.5 + self.conf_level / 2) * 100
        shown = self.table.assign(
            term=[
                t if pd.isna(per) or per == 1 else f"{t} (per {per:g})"
                for t, per in zip(self.table["term"], self.table["per"])
            ]
        )
        head = (
            f"Univariable logistic regression: {self.outcome} ~ x, one model per predictor\n"
            f"{self.ci_method.capitalize()} {self.conf_level:.0%} CI; "
            f"{'Wald' if self.test == 'wald' else 'likelihood-ratio'} test\n\n"
        )
        return head + print_table(
            shown,
            {
                "term": "Term",
                "n": "n",
                "events": "Events",
                "estimate": "Odds ratio",
                "ci_low": f"{lo:g} %",
                "ci_high": f"{hi:g} %",
                "p_value": "Pr(>|z|)" if self.test == "wald" else "Pr(>Chi)",
            },
        )


def quote_name(name: str) -> str:
    """A column name as patsy reads it: bare when an ASCII identifier, else Q('...').

    Non-ASCII identifiers are quoted too: Python folds them (NFKC, 'µ' to 'μ') before the
    lookup, so 'µmol' bare would not find its column.
    """
    if name.isidentifier() and name.isascii() and not keyword.iskeyword(name):
        return name
    return "Q(" + repr(name) + ")"


def _per_value(per: Any, predictor: str, x: pd.Series) -> float:
    value = per.get(predictor, 1.0) if isinstance(per, Mapping) else per
    if value is None:
        return 1.0
    if isinstance(value, str):
        if value != "sd":
            raise InputError(f"per[{predictor!r}]: expected a number or 'sd', got {value!r}")
        return float(x.astype(float).std(ddof=1))
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"per[{predictor!r}]: expected a number or 'sd', got {value!r}") from None
    if not np.isfinite(value) or value == 0:
        raise InputError(f"per[{predictor!r}]: must be a finite non-zero number, got {value!r}")
    return value


def _is_factor(x: pd.Series) -> bool:
    return (
        isinstance(x.dtype, pd.CategoricalDtype)
        or x.dtype == object
        or x.dtype.kind in "bOSU"
        or pd.api.types.is_string_dtype(x)
    )


def univariate(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    per: float | str | Mapping[str, float | str] | None = None,
    ci_method: str = "wald",
    test: str = "wald",
    conf_level: float = 0.95,
    nan_policy: str = "raise",
) -> Univariate:
    """Univariable logistic regression: one model ``outcome ~ predictor`` per predictor.

    R equivalent: for each predictor ``glm(outcome ~ x, family = binomial)`` with
    ``exp(coef)``, ``exp(confint.default(g))`` (``ci_method="wald"``) or ``exp(confint(g))``
    (``"profile"``), and the Wald p of ``summary(g)`` (``test="wald"``) or
    ``anova(g, test = "Chisq")`` (``test="lr"``, one p per predictor, also for factors).

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Binary outcome column.
    predictors : sequence of str
        Columns; categorical ones (pandas Categorical, strings, booleans) give one row per
        non-reference level, the reference being the first category.
    per : number, "sd" or mapping, optional
        Report the odds ratio per ``per`` units of a continuous predictor (OR**per), e.g.
        ``per=0.1`` for a 0-1 score, ``"sd"`` for one standard deviation, or a dict
        predictor -> number/"sd" (others per 1 unit). Ignored for categorical predictors.
    ci_method : {"wald", "profile"}
    test : {"wald", "lr"}
    conf_level : float
        Confidence level.
    nan_policy : {"raise", "omit"}
        Missing values raise InputError, or each model omits its incomplete rows (``n``).

    Returns
    -------
    Univariate
        ``.to_frame()``: columns predictor, term, level, reference, estimate (OR), ci_low,
        ci_high, p_value, n, events, per; printed like R's coefficient tables.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> u = hs.univariate(d, "recurrence", ["age", "mvi", "afp"], per={"age": 10})
    >>> u.to_frame()[["predictor", "estimate", "ci_low", "ci_high", "per"]].round(3)
      predictor  estimate  ci_low  ci_high   per
    0       age     2.589   1.752    3.826  10.0
    1       mvi     2.567   1.439    4.578   1.0
    2       afp     1.005   1.001    1.009   1.0
    """
    if isinstance(predictors, str):
        predictors = [predictors]
    if ci_method not in ("wald", "profile"):
        raise InputError(f"ci_method: expected 'wald' or 'profile', got {ci_method!r}")
    if test not in ("wald", "lr"):
        raise InputError(f"test: expected 'wald' or 'lr', got {test!r}")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    for name in [outcome, *predictors]:
        if name not in data.columns:
            raise InputError(f"column {name!r} not in data")
    if isinstance(per, Mapping):
        extra = [k for k in per if k not in predictors]
        if extra:
            raise InputError(f"per: {extra} are not among the predictors")
    rows = []
    for pred in predictors:
        fit = lrm(f"{quote_name(outcome)} ~ {quote_name(pred)}", data, nan_policy=nan_policy)
        factor = _is_factor(data[pred])
        scale = 1.0 if factor else _per_value(per, pred, fit.data[pred])
        ci = fit.conf_int(conf_level, ci_method)
        if test == "lr":
            lr = fit.stats["lr_chi2"]
            p_all = float(sps.chi2.sf(lr, fit.stats["df"]))
        ref = None
        if factor:
            levels = _levels(fit.data[pred])
            ref = levels[0]
        term = fit.terms[0]
        for col in fit.term_columns[term]:
            b = fit.coef[col] * scale
            lo, hi = sorted((ci.loc[col, "ci_low"] * scale, ci.loc[col, "ci_high"] * scale))
            rows.append(
                {
                    "predictor": pred,
                    "term": col,
                    "level": _level_of(col, term) if factor else None,
                    "reference": ref,
                    "estimate": float(np.exp(b)),
                    "ci_low": float(np.exp(lo)),
                    "ci_high": float(np.exp(hi)),
                    "p_value": p_all if test == "lr" else float(fit.p_values[col]),
                    "n": fit.stats["n"],
                    "events": fit.stats["events"],
                    "per": np.nan if factor else scale,
                }
            )
    return Univariate(pd.DataFrame(rows, columns=COLUMNS), outcome, ci_method, test, conf_level)


def _levels(x: pd.Series) -> list:
    if isinstance(x.dtype, pd.CategoricalDtype):
        return list(x.cat.categories)
    return sorted(pd.unique(x.dropna()).tolist())


def _level_of(column: str, term: str) -> str:
    """'race[T.black]' -> 'black'."""
    if column.startswith(term + "[T.") and column.endswith("]"):
        return column[len(term) + 3 : -1]
    return column


# the same rules serve the univariable Cox screen (hccstats.survival)
per_value = _per_value
is_factor = _is_factor
factor_levels = _levels
level_of = _level_of
