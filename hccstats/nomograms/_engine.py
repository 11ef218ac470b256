"""The native points computation: rms's ``nomogram()`` arithmetic on a ``LogisticFit``.

rms (``nomogram`` in rms 6.5) does, for a model without interactions:

* settings per predictor (a restricted cubic spline ``rcs(x, k)`` is one predictor whose
  contribution is the sum over its columns): factor levels; the sorted distinct values of a numeric predictor with
  at most 10 of them (``datadist``'s ``values``); else ``pretty(range(x), n = nint)``;
* ``Xbeta`` = each term's uncentred contribution at those settings;
* ``sc = maxscale / max(range of Xbeta over predictors)``; points = ``(Xbeta − min) × sc``;
* ``Intercept`` = β0 + Σ min; linear-predictor ticks ``pretty(range(fit lp), nint)``; total-points
  ticks ``pretty(c(0, max(maxscale, sc × max(lp.at − Intercept))), nint)``;
* risk ticks ``pretty(plogis(range(lp.at)), nint)``, placed by ``approx`` of the inverse of
  ``plogis`` on ``seq(min, max, length = 1000)`` of ``lp.at``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from .._errors import InputError
from .._names import columns_in, term_label
from ._rfuncs import r_approx, r_format, r_pretty, r_seq_length

__all__ = ["UnsupportedModelError", "points_table", "TABLE_COLUMNS"]

TABLE_COLUMNS = ["variable", "axis", "kind", "value", "x", "xbeta", "points"]
N_UNIQUE = (
    10  # datadist(n.unique = 10): numeric predictors with at most this many values are discrete
)


class UnsupportedModelError(InputError, NotImplementedError):
    """The native nomogram engine cannot draw this model (yet); ``engine="r"`` can."""


@dataclass(frozen=True)
class _Predictor:
    variable: str
    columns: list[str]
    categorical: bool
    levels: list  # categorical: the factor levels


def _predictors(fit) -> list[_Predictor]:
    try:
        info, data = fit.design_info, fit.data
    except AttributeError as exc:
        raise InputError(
            f"fit: expected a LogisticFit (hccstats.lrm), missing {exc.name!r}"
        ) from None
    out = []
    for term in info.terms:
        if not term.factors:
            continue
        name = term.name()
        if len(term.factors) > 1:
            raise UnsupportedModelError(
                f"engine='python' does not support interaction terms yet (term {name!r}); use engine='r'"
            )
        factor = term.factors[0]
        finfo = info.factor_infos[factor]
        code = term_label(factor.code)  # Q('biopsy result') -> biopsy result
        referenced = columns_in(factor.code, data.columns)
        cols = info.column_names[info.term_slices[term]]
        if finfo.type == "categorical":
            if len(referenced) != 1:
                raise UnsupportedModelError(
                    f"engine='python' supports factors of one column; term {name!r} uses {referenced}; use engine='r'"
                )
            out.append(_Predictor(referenced[0], cols, True, list(finfo.categories)))
            continue
        if finfo.num_columns != 1 and _is_rcs(code, referenced):
            out.append(_Predictor(referenced[0], cols, False, []))
            continue
        if finfo.num_columns != 1:
            raise UnsupportedModelError(
                f"engine='python' draws rcs() splines but no other spline or polynomial terms (term {name!r}, "
                f"{finfo.num_columns} columns); use engine='r'"
            )
        if code not in data.columns:
            raise UnsupportedModelError(
                f"engine='python' supports plain numeric columns only, not the transformation {code!r}; "
                "make it a column of the data or use engine='r'"
            )
        out.append(_Predictor(code, cols, False, []))
    if not out:
        raise InputError("fit: the model has no predictors to draw a nomogram of")
    return sorted(out, key=lambda p: _formula_position(fit, p.variable))


def _is_rcs(code: str, referenced: list[str]) -> bool:
    """``rcs(x, ...)`` of one data column: one axis, the spline's contribution at each tick."""
    return (
        len(referenced) == 1
        and re.match(rf"rcs\(\s*{re.escape(referenced[0])}\s*[,)]", code) is not None
    )


def _formula_position(fit, variable: str) -> int:
    """Position of ``variable`` in the formula's right-hand side (rms keeps formula order; patsy
    puts categorical terms first)."""
    rhs = term_label(str(getattr(fit, "formula", ""))).split("~", 1)[-1]
    m = re.search(rf"(?<![\w.]){re.escape(variable)}(?![\w])", rhs)
    return m.start() if m else len(rhs)


def _settings(
    pred: _Predictor, data: pd.DataFrame, nint: int
) -> tuple[list, list[str], np.ndarray]:
    """Values at which rms puts ticks: (raw values, tick labels, numeric x or nan)."""
    if pred.categorical:
        return pred.levels, [str(v) for v in pred.levels], np.full(len(pred.levels), np.nan)
    x = pd.to_numeric(data[pred.variable], errors="coerce").to_numpy(float)
    x = x[np.isfinite(x)]
    uniq = np.unique(x)
    values = uniq if uniq.size <= N_UNIQUE else r_pretty([x.min(), x.max()], nint)
    return list(values), [r_format(v).replace(" ", "") for v in values], np.asarray(values, float)


def _xbeta(fit, pred: _Predictor, values: list) -> np.ndarray:
    import patsy

    data = fit.data
    new = data.iloc[[0] * len(values)].reset_index(drop=True).copy()
    col = data[pred.variable]
    if isinstance(col.dtype, pd.CategoricalDtype):
        new[pred.variable] = pd.Categorical(
            values, categories=col.cat.categories, ordered=col.cat.ordered
        )
    else:
        new[pred.variable] = pd.Series(values, dtype=col.dtype if pred.categorical else float)
    (X,) = patsy.build_design_matrices([fit.design_info], new, return_type="dataframe")
    beta = fit.coef.reindex(pred.columns).to_numpy(float)
    return X[pred.columns].to_numpy(float) @ beta


def points_table(
    fit,
    *,
    fun_label: str,
    fun_at=None,
    lp_at=None,
    maxscale: float = 100,
    nint: int = 10,
    labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, float, float]:
    """(table, sc, intercept): the numbers of ``rms::nomogram(lrm(...), fun = plogis)``."""
    preds = _predictors(fit)
    labels = dict(labels or {})
    blocks = []
    lows, spans = [], []
    for p in preds:
        values, text, x = _settings(p, fit.data, nint)
        xb = _xbeta(fit, p, values)
        lows.append(xb.min())
        spans.append(xb.max() - xb.min())
        blocks.append((p, text, x, xb))
    if max(spans) <= 0:
        raise InputError("fit: every predictor has zero effect; a nomogram has no scale")
    sc = maxscale / max(spans)
    intercept = float(fit.coef["Intercept"]) + float(np.sum(lows))
    rows = []
    for (p, text, x, xb), low in zip(blocks, lows):
        axis = labels.get(p.variable, p.variable)
        for t, xi, b in zip(text, x, xb):
            rows.append((p.variable, axis, "predictor", t, xi, b, (b - low) * sc))
    if lp_at is None:
        lp = np.asarray(fit.linear_predictor(), float)
        lp_at = r_pretty([lp.min(), lp.max()], nint)
    lp_at = np.asarray(lp_at, float)
    sum_max = maxscale if len(preds) == 1 else max(maxscale, sc * np.max(lp_at - intercept))
    for v in r_pretty([0.0, sum_max], nint):
        rows.append(("", "Total Points", "total_points", r_format(v), v, np.nan, v))
    for v in lp_at:
        rows.append(
            (
                "",
                "Linear Predictor",
                "linear_predictor",
                r_format(v),
                v,
                np.nan,
                (v - intercept) * sc,
            )
        )
    lo, hi = float(np.min(lp_at)), float(np.max(lp_at))
    fat = r_pretty(expit([lo, hi]), nint) if fun_at is None else np.asarray(fun_at, float)
    xseq = r_seq_length(lo, hi, 1000)
    w = r_approx(expit(xseq), xseq, fat)
    for f, wi in zip(fat, w):
        if np.isfinite(wi) and np.isfinite(f):
            rows.append(("", fun_label, "risk", r_format(f), f, np.nan, (wi - intercept) * sc))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return table, sc, intercept
