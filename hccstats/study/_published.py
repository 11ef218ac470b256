"""Published models in the study file: a model of ``analysis.models`` given by its equation.

.. code-block:: yaml

    analysis:
      models:
        Clinical: [age, rcs(afp, 4)]                  # fitted on the training set
        Smith 2021:                                   # validated from its equation, never refitted
          coef: {age: 0.031, log(afp): 0.42, "sex[T.male]": 0.3}
          intercept: -2.1                             # a logistic model (binary outcome)
        Mayo:
          coef: {age: 0.039, log(bili): 0.871}
          baseline_survival: 0.80                     # S0(horizon): a Cox model (survival study)
          centre: 5.07                                # the linear predictor S0 holds at (default 0)

Each coefficient is named as :func:`hccstats.lrm` and :func:`hccstats.coxph` name their design
columns: a variable (``age``; an ordinal one as its score, or ``ptl[T.2]`` with
``ordinal_as: factor``), a transformation (``log(afp)``), a factor's level against the first
declared level (``sex[T.male]``), a spline's columns at the published knots
(``rcs(age, [40, 55, 70])[0]``, ``[1]``), an interaction (``age:sex[T.male]``). A variable whose
name is not an identifier is written bare (``BCLC stage[T.B]``). The checks here are made at
load, before anything runs: one line naming the model and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._errors import InputError, short_repr

__all__ = [
    "PublishedSpec",
    "is_published",
    "read_published",
    "check_published",
    "published_model",
    "PUBLISHED_KEYS",
    "split_interaction",
]

#: the keys of a published model's mapping
PUBLISHED_KEYS = ("coef", "intercept", "baseline_survival", "centre")
_SUFFIX = re.compile(r"(\[T\.[^\]]*\]|\[\d+\])$")
_FACTORS = ("categorical", "binary")


@dataclass(frozen=True)
class PublishedSpec:
    """A published equation of the study file: coefficients by design column, and the intercept
    (logistic) or the baseline survival at the horizon with its centre (Cox).

    ``coef`` names each column as the design builder does (a declared variable quoted for patsy
    where needed); ``formula`` is the right-hand side those columns come from.
    """

    coef: Mapping[str, float]
    formula: str
    intercept: float | None = None
    baseline_survival: float | None = None
    centre: float = 0.0

    @property
    def kind(self) -> str:
        """``"logistic"`` (an intercept), ``"cox"`` (a baseline survival), or ``""`` (neither
        given yet: :func:`check_published` names the one the study needs)."""
        if self.intercept is not None:
            return "logistic"
        return "cox" if self.baseline_survival is not None else ""

    @property
    def terms(self) -> list[str]:
        """The formula's terms (``age``, ``log(afp)``, ``sex``), in order."""
        return [t.strip() for t in self.formula.split(" + ")]


def is_published(value: Any) -> bool:
    """Whether a model of ``analysis.models`` is given as an equation (a mapping)."""
    return isinstance(value, Mapping)


def split_interaction(name: str) -> list[str]:
    """``age:sex[T.male]`` -> [age, sex[T.male]], ':' inside brackets or quotes left alone."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(name):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == ":" and depth == 0:
            parts.append(name[start:i])
            start = i + 1
    return [*parts, name[start:]]


def _column(name: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """(design column, term) of a coefficient's name: declared variables quoted for patsy,
    the level or spline-column suffix kept on the column and dropped from the term."""
    from .._names import quote_name

    cols, terms = [], []
    for part in split_interaction(name.strip()):
        m = _SUFFIX.search(part)
        head, suffix = (part[: m.start()], m.group(0)) if m else (part, "")
        head = head.strip()
        head = quote_name(head) if head in variables else head
        cols.append(head + suffix)
        terms.append(head)
    return ":".join(cols), ":".join(terms)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number, got {short_repr(value)}")
    return float(value)


def read_published(
    model: str, value: Mapping, variables: Mapping[str, Any], yaml_name: str
) -> PublishedSpec:
    """The :class:`PublishedSpec` of one model's mapping; InputError (one line naming the model
    and key) for an unknown key, no or non-numeric coefficients, both ``intercept`` and
    ``baseline_survival``, a baseline survival outside (0, 1), or ``centre``
    without ``baseline_survival``."""
    where = f"{yaml_name}: analysis.models: model {model!r}"
    unknown = [str(k) for k in value if str(k) not in PUBLISHED_KEYS]
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} of a published equation (allowed: "
            f"{', '.join(PUBLISHED_KEYS)})"
        )
    coef = value.get("coef")
    if not isinstance(coef, Mapping) or not coef:
        raise InputError(
            f"{where}: coef: give the published coefficients as a mapping {{design column: "
            f"number}}, e.g. {{age: 0.031, log(afp): 0.42}}; got {short_repr(coef)}"
        )
    columns: dict[str, float] = {}
    terms: list[str] = []
    for name, b in coef.items():
        col, term = _column(str(name), variables)
        columns[col] = _number(b, f"{where}: coef[{str(name)!r}]")
        terms += [term] if term not in terms else []
    has_b0, has_s0 = value.get("intercept") is not None, value.get("baseline_survival") is not None
    if has_b0 and has_s0:
        raise InputError(
            f"{where}: give intercept (a logistic equation) or baseline_survival (a Cox equation: "
            "S0 at the horizon), not both"
        )
    if not has_s0:
        if "centre" in value:
            raise InputError(f"{where}: centre belongs to a Cox equation (baseline_survival)")
        b0 = _number(value["intercept"], f"{where}: intercept") if has_b0 else None
        return PublishedSpec(columns, " + ".join(terms), intercept=b0)
        if "centre" in value:
            raise InputError(f"{where}: centre belongs to a Cox equation (baseline_survival)")
        b0 = _number(value["intercept"], f"{where}: intercept")
        return PublishedSpec(columns, " + ".join(terms), intercept=b0)
    s0 = _number(value["baseline_survival"], f"{where}: baseline_survival")
    if not 0 < s0 < 1:
        raise InputError(
            f"{where}: baseline_survival: expected S0(horizon) strictly between 0 and 1, got {s0:g}"
        )
    centre = _number(value.get("centre", 0.0), f"{where}: centre")
    return PublishedSpec(columns, " + ".join(terms), baseline_survival=s0, centre=centre)


def _factor_variables(variables: Mapping[str, Any], ordinal_as: str) -> dict[str, list]:
    """{variable: its declared levels} of the variables the report enters as factors."""
    kinds = (*_FACTORS, "ordinal") if ordinal_as == "factor" else _FACTORS
    return {
        n: list(v.levels)
        for n, v in variables.items()
        if getattr(v, "type", "") in kinds and getattr(v, "levels", None)
    }


def published_model(spec: PublishedSpec, variables: Mapping[str, Any], ordinal_as: str, horizon):
    """The :class:`~hccstats.PublishedLogistic` or :class:`~hccstats.PublishedCox` of a spec,
    the factors' levels as declared (the first the reference), the Cox baseline at ``horizon``."""
    from ..logistic._terms import term_variables
    from ..published import published_cox, published_lrm

    used = {v for t in spec.terms for v in term_variables(t)}
    levels = {n: lv for n, lv in _factor_variables(variables, ordinal_as).items() if n in used}
    if spec.kind == "logistic":
        return published_lrm(spec.intercept, spec.coef, formula=spec.formula, levels=levels)
    return published_cox(
        spec.coef,
        times=horizon,
        baseline_survival=spec.baseline_survival,
        centre=spec.centre,
        formula=spec.formula,
        levels=levels,
    )


def _example_frame(variables: Mapping[str, Any], ordinal_as: str) -> pd.DataFrame:
    """A few made-up patients with every declared variable (numbers positive, each level of
    each factor), on which a published equation's design columns are built at load."""
    factors = _factor_variables(variables, ordinal_as)
    n = max([3, *(len(lv) for lv in factors.values())])
    out = {}
    for name in variables:
        if name in factors:
            lv = factors[name]
            out[name] = pd.Categorical([lv[i % len(lv)] for i in range(n)], categories=lv)
        else:
            out[name] = [1.0 + i for i in range(n)]
    return pd.DataFrame(out)


def check_published(
    published: Mapping[str, PublishedSpec],
    variables: Mapping[str, Any],
    *,
    survival_only: bool,
    ordinal_as: str,
    horizon: float | None,
    yaml_name: str,
) -> None:
    """InputError (one line naming the model) for a published equation of the wrong family for
    the study (a Cox equation without a survival-only endpoint, a logistic one in a survival-only
    study), a term of undeclared variables or one they cannot build (``log`` of a factor, a
    spline without its published knots), or coefficients that do not match the design columns
    its terms give (a level missing or not declared, the reference level given)."""
    from ._terms import check_model_terms

    for model, spec in published.items():
        where = f"{yaml_name}: analysis.models: model {model!r}"
        if not spec.kind:
            need = (
                f"baseline_survival (S0 at the horizon {horizon:g}) of its Cox equation: the "
                "study is survival-only"
                if survival_only
                else "intercept of its logistic equation: the study has a binary outcome"
            )
            raise InputError(f"{where}: missing {need}")
        if survival_only and spec.kind == "logistic":
            raise InputError(
                f"{where}: a logistic equation (intercept) in a survival-only study; give the "
                "Cox equation's baseline_survival at the horizon instead"
            )
        if not survival_only and spec.kind == "cox":
            raise InputError(
                f"{where}: a Cox equation (baseline_survival) in a study with a binary outcome; "
                "give the logistic equation's intercept instead"
            )
        check_model_terms({model: spec.terms}, variables, yaml_name)
        try:
            m = published_model(spec, variables, ordinal_as, horizon or 1.0)
            m.equation.design(_example_frame(variables, ordinal_as))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
