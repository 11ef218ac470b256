"""The native points computation: rms's ``nomogram()`` arithmetic on a ``LogisticFit`` or a
``CoxFit``.

rms (``nomogram`` in rms 6.5) does:

* settings per predictor (a term of one column, ``rcs(x, k)``, ``pol(x, 2)``, ``log(x)``,
  ``sqrt(x)``, is one predictor whose contribution is the sum over its columns): factor levels;
  the sorted distinct values of a numeric predictor with at most 10 of them (``datadist``'s
  ``values``); else ``pretty(range(x), n = nint)``;
* ``Xbeta`` = each term's uncentred contribution at those settings; a variable that interacts
  with discrete variables has one axis per value of them, its ``Xbeta`` the sum of its, their
  and the interaction's contributions (the partners get no axis; with interactions the
  continuous variables come first);
* ``sc = maxscale / max(range of Xbeta over predictors)`` (a predictor's range over all its
  axes); points = ``(Xbeta − min) × sc``;
* ``Intercept`` = β0 + Σ min (β0: the intercept of an ``lrm``, ``-center`` of a ``cph``);
  linear-predictor ticks ``pretty(range(fit lp), nint)``; total-points ticks
  ``pretty(c(0, max(maxscale, sc × max(lp.at − Intercept))), nint)``;
* the ticks of each function axis ``pretty(fun(range(lp.at)), nint)``, placed by ``approx``
  of the inverse of ``fun`` on ``seq(min, max, length = 1000)`` of ``lp.at``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._names import columns_in, term_label
from ._rfuncs import r_approx, r_format, r_pretty, r_seq_length

__all__ = ["UnsupportedModelError", "points_table", "FunAxis", "TABLE_COLUMNS"]

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


#: functions of one column whose axis rms draws as one predictor (its values placed at their
#: points): rms's transformations and numpy's spelling of R's
ONE_COLUMN_FUNCTIONS = {"rcs", "pol", "log", "exp", "sqrt", "np", "I"}


def _call_name(code: str) -> str | None:
    """The function a factor's code calls at its top (``rcs``, ``log``, ``np`` for np.log)."""
    m = re.match(r"\s*([A-Za-z_][\w]*)\s*[.(]", code)
    return m.group(1) if m else None


@dataclass(frozen=True)
class _Interaction:
    name: str  # patsy's term name ("age:smoke")
    variables: tuple[str, ...]
    columns: list[str]


def _predictors(fit) -> tuple[list[_Predictor], list[_Interaction]]:
    """The model's predictors (main effects, in formula order) and its interaction terms."""
    try:
        info, data = fit.design_info, fit.data
    except AttributeError as exc:
        raise InputError(f"fit: expected a LogisticFit or CoxFit, missing {exc.name!r}") from None
    out, by_factor, pending = [], {}, []
    for term in info.terms:
        if not term.factors:
            continue
        if len(term.factors) > 1:
            pending.append(term)
            continue
        pred = _main_effect(term, info, data)
        by_factor[term.factors[0]] = pred.variable
        out.append(pred)
    if not out:
        raise InputError("fit: the model has no predictors to draw a nomogram of")
    twice = sorted({p.variable for p in out if [q.variable for q in out].count(p.variable) > 1})
    if twice:
        raise UnsupportedModelError(
            f"engine='python': the column {twice[0]!r} enters two terms (rms draws one axis per "
            "variable); write it in one term (pol(x, 2), rcs(x, 4)) or use engine='r'"
        )
    inters = []
    for term in pending:
        missing = [f.code for f in term.factors if f not in by_factor]
        if missing:
            raise UnsupportedModelError(
                f"engine='python': the interaction {term.name()!r} needs the main effect of "
                f"{term_label(missing[0])!r} in the model (rms's hierarchy); use engine='r'"
            )
        cols = list(info.column_names[info.term_slices[term]])
        inters.append(_Interaction(term.name(), tuple(by_factor[f] for f in term.factors), cols))
    return sorted(out, key=lambda p: _formula_position(fit, p.variable)), inters


def _main_effect(term, info, data) -> _Predictor:
    name = term.name()
    factor = term.factors[0]
    finfo = info.factor_infos[factor]
    code = term_label(factor.code)  # Q('biopsy result') -> biopsy result
    referenced = columns_in(factor.code, data.columns)
    cols = info.column_names[info.term_slices[term]]
    if finfo.type == "categorical":
        if len(referenced) != 1:
            raise UnsupportedModelError(
                f"engine='python' supports factors of one column; term {name!r} uses "
                f"{referenced}; use engine='r'"
            )
        return _Predictor(referenced[0], cols, True, list(finfo.categories))
    if code in data.columns:
        return _Predictor(code, cols, False, [])
    func = _call_name(code)
    if len(referenced) != 1 or func not in ONE_COLUMN_FUNCTIONS:
        what = f"the function {func!r}" if func else "the expression"
        raise UnsupportedModelError(
            f"engine='python' draws plain columns, factors and rcs/pol/log/exp/sqrt of one "
            f"column, not term {name!r} ({what} of {referenced or 'no column'}); use "
            "engine='r' or make it a column of the data"
        )
    return _Predictor(referenced[0], cols, False, [])


@dataclass(frozen=True)
class _Line:
    """One predictor axis: its variable's predictor, title, the interacting variables held at
    one value each (rms's ``interact``), and the design columns its contribution sums."""

    pred: _Predictor
    axis: str
    fixed: dict
    columns: list[str]


def _discrete_values(pred: _Predictor, data: pd.DataFrame) -> list | None:
    """The values rms holds an interacting variable at: a factor's levels, the distinct values
    of a numeric variable with at most 10 (``datadist``'s ``values``); None otherwise."""
    if pred.categorical:
        return list(pred.levels)
    x = pd.to_numeric(data[pred.variable], errors="coerce").to_numpy(float)
    uniq = np.unique(x[np.isfinite(x)])
    return list(uniq) if uniq.size <= N_UNIQUE else None


def _lines(fit, preds, inters, labels: dict) -> list[_Line]:
    """The predictor axes as rms lays them out: one per main effect; a variable in an
    interaction gets one axis per value (combination) of the variables it interacts with, which
    then have no axis of their own; with interactions, continuous variables come first."""
    if not inters:
        return [_Line(p, labels.get(p.variable, p.variable), {}, list(p.columns)) for p in preds]
    by_var = {p.variable: p for p in preds}
    values = {p.variable: _discrete_values(p, fit.data) for p in preds}
    order = sorted(preds, key=lambda p: values[p.variable] is not None)  # stable: rms's order
    done: set[str] = set()
    lines = []
    for p in order:
        if p.variable in done:
            continue
        partners = {v for ia in inters if p.variable in ia.variables for v in ia.variables}
        related = [q.variable for q in preds if q.variable in partners - {p.variable}]
        if not related:
            lines.append(_Line(p, labels.get(p.variable, p.variable), {}, list(p.columns)))
            continue
        for v in related:
            if values[v] is None:
                name = next(ia.name for ia in inters if {p.variable, v} <= set(ia.variables))
                raise UnsupportedModelError(
                    f"engine='python' cannot draw the interaction {name!r} of two continuous "
                    f"variables: rms needs interact= (the values of {v!r} at which to draw "
                    f"{p.variable!r}; engine='r' refuses it too); refit with one of them grouped"
                )
        cols = list(p.columns) + [c for v in related for c in by_var[v].columns]
        cols += [
            c for ia in inters if set(ia.variables) & {p.variable, *related} for c in ia.columns
        ]
        for combo in itertools.product(*[values[v] for v in reversed(related)]):
            fixed = dict(zip(reversed(related), combo))
            shown = " ".join(f"{v}={_value_text(fixed[v])}" for v in related)
            lines.append(_Line(p, f"{p.variable} ({shown})", fixed, list(dict.fromkeys(cols))))
        done.update(related)
    return lines


def _value_text(value) -> str:
    return r_format(value) if isinstance(value, (int, float, np.number)) else str(value)


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


def _set_column(new: pd.DataFrame, data: pd.DataFrame, var: str, values, categorical: bool):
    col = data[var]
    if isinstance(col.dtype, pd.CategoricalDtype):
        new[var] = pd.Categorical(values, categories=col.cat.categories, ordered=col.cat.ordered)
    else:
        new[var] = pd.Series(values, dtype=col.dtype if categorical else float)


def _axis_frame(fit, line: _Line, values: list) -> pd.DataFrame:
    """The patients of an axis: the fit's first row, the axis variable at ``values``, the
    line's other variables at their fixed values."""
    data = fit.data
    new = data.iloc[[0] * len(values)].reset_index(drop=True).copy()
    pred = line.pred
    _set_column(new, data, pred.variable, values, pred.categorical)
    for var, value in line.fixed.items():
        numeric = pd.api.types.is_numeric_dtype(data[var])
        _set_column(new, data, var, [value] * len(values), not numeric)
    return new


def _xbetas(fit, lines: list[_Line], values: list[list]) -> list[np.ndarray]:
    """Each line's linear predictor at its axis values. The frames of lines whose columns
    have the same types go through patsy together (each row's design is its own); each
    line's product with its coefficients is taken alone, as before."""
    import patsy

    frames = [_axis_frame(fit, line, v) for line, v in zip(lines, values)]
    groups: dict[tuple, list[int]] = {}  # the lines whose frames' column types agree
    for i, f in enumerate(frames):
        groups.setdefault(tuple(f.dtypes), []).append(i)
    designs: dict[int, pd.DataFrame] = {}
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0): reported by _blocks
        for members in groups.values():
            group = [frames[i] for i in members]
            new = pd.concat(group, ignore_index=True) if len(group) > 1 else group[0]
            (X,) = patsy.build_design_matrices([fit.design_info], new, return_type="dataframe")
            ends = np.cumsum([len(f) for f in group])
            designs.update(
                {i: X.iloc[end - len(f) : end] for i, f, end in zip(members, group, ends)}
            )
    out = []
    for i, line in enumerate(lines):
        X = designs[i]
        beta = fit.coef.reindex(line.columns).to_numpy(float)
        out.append(X[line.columns].to_numpy(float) @ beta)
    return out


@dataclass(frozen=True)
class FunAxis:
    """An axis of a function of the linear predictor (rms's ``fun``): its title, its kind in
    the points table ("risk" or "survival"), the function, and its ticks (``fun.at``; None:
    rms's ``pretty(fun(range(lp.at)), nint)``)."""

    label: str
    kind: str
    func: Callable[[np.ndarray], np.ndarray]
    at: Sequence[float] | None = None


def _blocks(fit, lines: list[_Line], nint: int) -> list:
    blocks = []
    settings = [_settings(line.pred, fit.data, nint) for line in lines]
    xbs = _xbetas(fit, lines, [values for values, _, _ in settings])
    for line, (values, text, x), xb in zip(lines, settings, xbs):
        p = line.pred
        if not np.all(np.isfinite(xb)):
            bad = values[int(np.flatnonzero(~np.isfinite(xb))[0])]
            raise InputError(
                f"nomogram: the term of {p.variable!r} is infinite at {p.variable} = {bad} (an "
                "axis value outside the transformation's domain); rms stops here too"
            )
        blocks.append((line, text, x, xb))
    return blocks


def points_table(
    fit,
    *,
    funs: Sequence[FunAxis],
    beta0: float,
    lp,
    lp_at=None,
    maxscale: float = 100,
    nint: int = 10,
    labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, float, float]:
    """(table, sc, intercept): the numbers of ``rms::nomogram(fit, fun = ...)``.

    ``beta0`` is the linear predictor with every term at zero (rms's ``Intercept``: the
    intercept of an ``lrm``, ``-center`` of a ``cph``), ``lp`` the fitted linear predictors
    (rms's ``fit$linear.predictors``) from which the default ``lp.at`` comes.
    """
    preds, inters = _predictors(fit)
    blocks = _blocks(fit, _lines(fit, preds, inters, dict(labels or {})), nint)
    low: dict[str, float] = {}  # rms's R: each predictor's range over all its axes
    high: dict[str, float] = {}
    for line, _, _, xb in blocks:
        var = line.pred.variable
        low[var] = min(low.get(var, np.inf), float(xb.min()))
        high[var] = max(high.get(var, -np.inf), float(xb.max()))
    spans = [high[v] - low[v] for v in low]
    if max(spans) <= 0:
        raise InputError("fit: every predictor has zero effect; a nomogram has no scale")
    sc = maxscale / max(spans)
    intercept = float(beta0) + float(np.sum(list(low.values())))
    rows = []
    for line, text, x, xb in blocks:
        var = line.pred.variable
        for t, xi, b in zip(text, x, xb):
            rows.append((var, line.axis, "predictor", t, xi, b, (b - low[var]) * sc))
    if lp_at is None:
        lp = np.asarray(lp, float)
        lp_at = r_pretty([lp.min(), lp.max()], nint)
    lp_at = np.asarray(lp_at, float)
    entities = len(low)  # predictors with axes (an interaction's partners have none)
    sum_max = maxscale if entities == 1 else max(maxscale, sc * np.max(lp_at - intercept))
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
    xseq = r_seq_length(lo, hi, 1000)
    for fun in funs:
        fu = np.asarray(fun.func(xseq), float)
        ends = np.asarray(fun.func(np.array([lo, hi])), float)
        fat = r_pretty(ends, nint) if fun.at is None else np.asarray(fun.at, float)
        w = r_approx(fu, xseq, fat)
        for f, wi in zip(fat, w):
            if np.isfinite(wi) and np.isfinite(f):
                rows.append(
                    ("", fun.label, fun.kind, r_format(f), f, np.nan, (wi - intercept) * sc)
                )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return table, sc, intercept
