"""Published models from their equation: ``published_lrm`` and ``published_cox``.

External validation of a model given in a paper needs its predictions for new patients, not
a refit: the intercept (logistic) or the baseline survival at the horizon (Cox) and the
coefficients, applied to a DataFrame through the same formula language as :func:`~hccstats.lrm`
and :func:`~hccstats.coxph` (``log(x)``, ``rcs(x, [k1, k2, k3])`` with the paper's knots,
factors with the paper's levels, the first one the reference). The risks then go to
:func:`~hccstats.val_prob` or :func:`~hccstats.val_surv` as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy

from ._errors import InputError
from .logistic._design import referenced_columns, rhs_matrix

__all__ = ["published_lrm", "published_cox", "PublishedLogistic", "PublishedCox"]

_LEVEL = re.compile(r"\[T\.[^\]]*\]$")


@dataclass(frozen=True, eq=False)
class _Equation:
    """The linear predictor of a published model: right-hand side, coefficients, levels."""

    formula: str
    coef: pd.Series
    levels: dict[str, list]

    def design(self, new_data: pd.DataFrame) -> pd.DataFrame:
        """The design columns (no intercept) for ``new_data``, in the order of ``coef``."""
        if not isinstance(new_data, pd.DataFrame):
            raise InputError(
                f"new_data: expected a pandas DataFrame, got {type(new_data).__name__}"
            )
        desc = patsy.ModelDesc.from_formula(self.formula)
        used = referenced_columns(desc, new_data)
        for col in [*used, *self.levels]:
            if col not in new_data.columns:
                raise InputError(f"new_data: column {col!r} (used by the model) not in new_data")
        miss = new_data[used].isna().any(axis=1)
        if miss.any():
            cols = [c for c in used if new_data[c].isna().any()]
            raise InputError(
                f"new_data: missing values in column(s) {cols}; first row(s) "
                f"{list(new_data.index[miss][:5])}; the model cannot predict them"
            )
        frame = new_data.copy()
        for col, levels in self.levels.items():
            bad = ~frame[col].isin(levels)
            if bad.any():
                raise InputError(
                    f"new_data: column {col!r} has value(s) {sorted(map(str, frame[col][bad].unique()))[:5]} "
                    f"outside the model's levels {levels}; first row(s) {list(frame.index[bad][:5])}"
                )
            frame[col] = pd.Categorical(frame[col], categories=levels)
        X = rhs_matrix(self.formula, desc, frame)
        cols = [c for c in X.columns if c != "Intercept"]
        missing = [c for c in cols if c not in self.coef.index]
        extra = [c for c in self.coef.index if c not in cols]
        if missing or extra:
            raise InputError(
                f"coef: the formula {self.formula!r} gives the design column(s) {cols}; "
                + (f"no coefficient for {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"{extra} are not among them" if extra else "")
            )
        return X[list(self.coef.index)]

    def linear_predictor(self, new_data: pd.DataFrame) -> np.ndarray:
        return self.design(new_data).to_numpy(float) @ self.coef.to_numpy()

    def by_term(self, new_data: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """[(term, its coefficients in the order of its design columns)] in the design's term
        order: the equation as R's ``model.matrix`` of the same terms (``keep.order = TRUE``)
        lays it out, column block by column block."""
        self.design(new_data)  # the checks: every column has its coefficient
        frame = new_data.copy()
        for col, levels in self.levels.items():
            frame[col] = pd.Categorical(frame[col], categories=levels)
        desc = patsy.ModelDesc.from_formula(self.formula)
        info = rhs_matrix(self.formula, desc, frame).design_info
        return [
            (name, self.coef.loc[info.column_names[sl]].to_numpy(float))
            for name, sl in info.term_name_slices.items()
            if name != "Intercept"
        ]


# patsy's transforms that learn from the data they are evaluated on
_DATA_DEPENDENT = re.compile(r"\b(center|standardize|scale|bs|cr|cc|te)\s*\(")


def _check_fixed(code: str) -> None:
    """InputError for a term computed from the new data itself (its centre, scale or knots),
    which a published equation cannot mean."""
    if re.match(r"\s*rcs\s*\(", code) and "[" not in code and "knots" not in code:
        raise InputError(
            f"formula: {code!r} would place its knots on the new data; give the "
            "published knots, e.g. rcs(age, [40, 55, 70])"
        )
    if _DATA_DEPENDENT.search(code):
        raise InputError(
            f"formula: {code!r} would be computed from the new data; write the published "
            "transformation out, e.g. I(age - 60)"
        )


def _equation(coef: Mapping[str, float], formula: str | None, levels) -> _Equation:
    if not isinstance(coef, Mapping) or not coef:
        raise InputError("coef: give the coefficients as a mapping design column -> value")
    values = {}
    for name, v in coef.items():
        try:
            values[str(name)] = float(v)
        except (TypeError, ValueError):
            raise InputError(f"coef[{name!r}]: expected a number, got {v!r}") from None
        if not np.isfinite(values[str(name)]):
            raise InputError(f"coef[{name!r}]: must be finite, got {v!r}")
    levels = {} if levels is None else dict(levels)
    for col, lv in levels.items():
        if isinstance(lv, str) or not isinstance(lv, Sequence) or len(lv) < 2:
            raise InputError(
                f"levels[{col!r}]: give a list of at least two levels, reference first"
            )
        if len(set(lv)) != len(lv):
            raise InputError(f"levels[{col!r}]: levels repeated in {list(lv)}")
        levels[col] = list(lv)
    if formula is None:  # the terms named by the coefficients: 'stage[T.II]' -> 'stage'
        formula = " + ".join(dict.fromkeys(_LEVEL.sub("", n) for n in values))
    elif not isinstance(formula, str):
        raise InputError(f"formula: expected a string, got {type(formula).__name__}")
    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    try:
        desc = patsy.ModelDesc.from_formula(rhs)
    except patsy.PatsyError as exc:
        raise InputError(f"formula {formula!r}: {exc.message}") from None
    for term in desc.rhs_termlist:
        for factor in term.factors:
            _check_fixed(factor.name())
    return _Equation(rhs.strip(), pd.Series(values, name="coef"), levels)


@dataclass(frozen=True, eq=False)
class PublishedLogistic:
    """A logistic model given by its equation (the result of :func:`published_lrm`)."""

    intercept: float
    equation: _Equation

    @property
    def coef(self) -> pd.Series:
        """Intercept and coefficients, as :attr:`LogisticFit.coef`."""
        return pd.concat([pd.Series({"Intercept": self.intercept}), self.equation.coef])

    def predict(self, new_data: pd.DataFrame, type: str = "lp") -> np.ndarray:
        """Linear predictor (``"lp"``, intercept included) or risk (``"risk"``)."""
        lp = self.intercept + self.equation.linear_predictor(new_data)
        if type == "lp":
            return lp
        if type == "risk":
            return 1.0 / (1.0 + np.exp(-lp))
        raise InputError(f"type: expected 'lp' or 'risk', got {type!r}")

    def predict_risk(self, new_data: pd.DataFrame) -> np.ndarray:
        """Predicted probability of the outcome, ``plogis(lp)``, one per row of ``new_data``."""
        return self.predict(new_data, type="risk")

    def __repr__(self) -> str:
        return (
            f"Published logistic model: logit(p) = {self.intercept:g} + {self.equation.formula}\n"
            + self.coef.to_string()
        )


@dataclass(frozen=True, eq=False)
class PublishedCox:
    """A Cox model given by its equation (the result of :func:`published_cox`).

    ``baseline``: the baseline survival S0 at each of ``times`` (for a linear predictor
    equal to ``centre``).
    """

    times: np.ndarray
    baseline: np.ndarray
    centre: float
    equation: _Equation

    @property
    def coef(self) -> pd.Series:
        return self.equation.coef

    def predict(self, new_data: pd.DataFrame, type: str = "lp") -> np.ndarray:
        """Linear predictor ``x b - centre`` (``"lp"``) or relative hazard ``exp`` of it
        (``"risk"``, as R's ``predict.coxph``)."""
        lp = self.equation.linear_predictor(new_data) - self.centre
        if type == "lp":
            return lp
        if type == "risk":
            return np.exp(lp)
        raise InputError(f"type: expected 'lp' or 'risk', got {type!r}")

    def cloglog(self, new_data: pd.DataFrame, *, times: float) -> np.ndarray:
        """``log(-log(1 - risk))`` by ``times``, ``log(-log S0(times)) + x b - centre``: exact
        also where the risk rounds to 1 (for ``val_surv(cloglog=...)``)."""
        return np.log(-np.log(self._s0(times))) + self.predict(new_data)

    def predict_risk(self, new_data: pd.DataFrame, *, times: float) -> np.ndarray:
        """Risk of an event by ``times``: ``1 - S0(times) ^ exp(x b - centre)``, one per row."""
        s0 = self._s0(times)
        # 1 - S0^r = -expm1(r log S0): exact also for risks near 0
        return -np.expm1(np.exp(self.predict(new_data)) * np.log(s0))

    def _s0(self, times: float) -> float:
        """S0 at ``times``, one of the published horizons."""
        try:
            t = float(times)
        except (TypeError, ValueError):
            raise InputError(f"times: expected one number, got {times!r}") from None
        hit = np.flatnonzero(np.isclose(self.times, t, rtol=1e-12, atol=0.0))
        if hit.size == 0:
            raise InputError(
                f"times: the model's baseline survival is given at {self.times.tolist()}, not at {t:g}"
            )
        return float(self.baseline[hit[0]])

    def __repr__(self) -> str:
        s0 = ", ".join(f"S0({t:g}) = {s:.6g}" for t, s in zip(self.times, self.baseline))
        return (
            f"Published Cox model: lp = {self.equation.formula} - {self.centre:g}; {s0}\n"
            + self.coef.to_string()
        )


def published_lrm(
    intercept: float,
    coef: Mapping[str, float],
    *,
    formula: str | None = None,
    levels: Mapping[str, Sequence[Any]] | None = None,
) -> PublishedLogistic:
    """A logistic model from its published equation, for external validation without refitting.

    R equivalent: the equation written out, ``plogis(b0 + model.matrix(~ ..., new) %*% b)``
    (with the factors' levels set as published: ``factor(x, levels = ...)``).

    Parameters
    ----------
    intercept : float
    coef : mapping
        Design column -> coefficient (log odds ratio): a column (``"age"``), a transformed one
        (``"log(afp)"``), a factor level (``"stage[T.II]"``), a spline's columns
        (``"rcs(age, [40, 55, 70])[0]"``, ...), as :func:`~hccstats.lrm` names them.
    formula : str, optional
        Right-hand side (``"age + log(afp) + stage"``; a left-hand side is ignored).
        Default: the terms the coefficients name.
    levels : mapping, optional
        Factor column -> its levels, the reference first (``{"stage": ["I", "II", "III"]}``);
        a value outside them in the new data raises InputError.

    Returns
    -------
    PublishedLogistic
        ``.predict_risk(new_data)``: ``plogis(lp)``; ``.predict(new_data, "lp")``.

    Examples
    --------
    >>> import pandas as pd
    >>> import hccstats as hs
    >>> m = hs.published_lrm(-4.1, {"age": 0.05, "log(afp)": 0.3, "stage[T.II]": 0.6},
    ...                      levels={"stage": ["I", "II"]})
    >>> new = pd.DataFrame({"age": [50, 70], "afp": [10.0, 400.0], "stage": ["I", "II"]})
    >>> m.predict_risk(new).round(4)
    array([0.2872, 0.8578])
    """
    try:
        b0 = float(intercept)
    except (TypeError, ValueError):
        raise InputError(f"intercept: expected a number, got {intercept!r}") from None
    if not np.isfinite(b0):
        raise InputError(f"intercept: must be finite, got {intercept!r}")
    return PublishedLogistic(b0, _equation(coef, formula, levels))


def _baseline(times, baseline_survival, baseline_cumhaz) -> tuple[np.ndarray, np.ndarray]:
    if (baseline_survival is None) == (baseline_cumhaz is None):
        raise InputError("give one of baseline_survival and baseline_cumhaz")
    t = np.atleast_1d(np.asarray(times, dtype=float))
    name = "baseline_survival" if baseline_cumhaz is None else "baseline_cumhaz"
    given = baseline_survival if baseline_cumhaz is None else baseline_cumhaz
    v = np.atleast_1d(np.asarray(given, dtype=float))
    if t.ndim != 1 or v.shape != t.shape:
        raise InputError(f"{name}: give one value per time in times ({t.size}), got {v.size}")
    if not (np.all(np.isfinite(t)) and np.all(t > 0)):
        raise InputError(f"times: expected positive finite horizons, got {t.tolist()}")
    if baseline_cumhaz is None:
        if not np.all((v > 0) & (v <= 1)):
            raise InputError(f"baseline_survival: expected values in (0, 1], got {v.tolist()}")
        return t, v
    if not np.all(np.isfinite(v) & (v >= 0)):
        raise InputError(f"baseline_cumhaz: expected finite values >= 0, got {v.tolist()}")
    return t, np.exp(-v)


def published_cox(
    coef: Mapping[str, float],
    *,
    times: float | Sequence[float],
    baseline_survival: float | Sequence[float] | None = None,
    baseline_cumhaz: float | Sequence[float] | None = None,
    centre: float = 0.0,
    formula: str | None = None,
    levels: Mapping[str, Sequence[Any]] | None = None,
) -> PublishedCox:
    """A Cox model from its published equation: coefficients and baseline survival at horizons.

    The risk of an event by ``t`` is ``1 - S0(t) ^ exp(x b - centre)``. R equivalent: the
    equation written out, ``1 - S0^exp(model.matrix(~ ..., new)[, -1] %*% b - centre)``.

    Parameters
    ----------
    coef : mapping
        Design column -> log hazard ratio, named as :func:`~hccstats.coxph` names them.
    times : float or sequence
        Horizon(s) at which the baseline is published (in the unit of the follow-up time).
    baseline_survival, baseline_cumhaz : float or sequence
        One of them: S0(t) or H0(t) = -log S0(t), one value per time.
    centre : float
        The linear predictor at which the baseline holds: 0 when S0 is the survival of a
        patient with every covariate 0, else the published mean linear predictor (R's
        ``predict(fit, type = "lp")`` is centred so, at ``sum(coef * fit$means)``).
    formula, levels
        As :func:`published_lrm`.

    Returns
    -------
    PublishedCox
        ``.predict_risk(new_data, times=t)`` at a horizon among ``times``;
        ``.predict(new_data, "lp")``.

    Examples
    --------
    >>> import pandas as pd
    >>> import hccstats as hs
    >>> m = hs.published_cox({"age": 0.04, "mvi": 0.7}, times=5, baseline_survival=0.8,
    ...                      centre=2.4)
    >>> new = pd.DataFrame({"age": [50, 70], "mvi": [0, 1]})
    >>> m.predict_risk(new, times=5).round(4)
    array([0.1389, 0.4885])
    """
    t, s0 = _baseline(times, baseline_survival, baseline_cumhaz)
    try:
        c = float(centre)
    except (TypeError, ValueError):
        raise InputError(f"centre: expected a number, got {centre!r}") from None
    if not np.isfinite(c):
        raise InputError(f"centre: must be finite, got {centre!r}")
    return PublishedCox(t, s0, c, _equation(coef, formula, levels))
