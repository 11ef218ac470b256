"""Model terms in the study file (``analysis.models``, ``analysis.clinical_candidates``):
``age``, ``rcs(age, 4)``, ``log(pgr + 1)``, ``factor(stage)``, ``age:sex``, ``age * sex``.

Each term's variables must be declared under ``variables:``; a transformation that needs numbers
(``rcs``, ``pol``, ``log``, ``exp``, ``sqrt``) must not be applied to a categorical or binary
variable. Errors are one line naming the key, the model and the term.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import InputError

__all__ = ["check_terms", "check_model_terms", "predictor_variables"]

_NUMERIC_ONLY = ("rcs", "pol", "log", "exp", "sqrt")
_FACTORS = ("categorical", "binary")


def _one(term: str, variables: Mapping[str, Any], where: str) -> None:
    from ..logistic._terms import code_variables, term_variables

    if term in variables:
        return
    try:
        names = term_variables(term)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    bad = [v for v in names if v not in variables]
    if bad:
        what = "" if names == [term] else f"term {term!r}: "
        raise InputError(f"{where}: {what}{bad[0]!r} is not declared under variables:")
    _check_interactions(term, where)
    _, functions = code_variables(term)
    numeric = [f for f in functions if f in _NUMERIC_ONLY]
    factors = [v for v in names if getattr(variables[v], "type", "") in _FACTORS]
    if numeric and factors:
        raise InputError(
            f"{where}: term {term!r}: {numeric[0]}() needs a numeric variable; {factors[0]!r} "
            f"is {variables[factors[0]].type}"
        )


def _check_interactions(term: str, where: str) -> None:
    """rms leaves the doubly nonlinear products out of an interaction of two splines or
    polynomials; a formula would keep them, so such interactions are refused."""
    import patsy

    for t in patsy.ModelDesc.from_formula("~ " + term).rhs_termlist:
        nonlinear = [f.code for f in t.factors if f.code.startswith(("rcs(", "pol("))]
        if len(nonlinear) > 1:
            raise InputError(
                f"{where}: term {term!r}: an interaction of two nonlinear terms "
                f"({' and '.join(nonlinear)}) is not supported (rms restricts it); make one linear"
            )


def check_terms(
    key: str, terms: Sequence[str], variables: Mapping[str, Any], yaml_name: str
) -> None:
    """InputError (one line) for the first term of ``analysis.<key>`` that is not a model term
    of declared variables."""
    for term in terms:
        _one(term, variables, f"{yaml_name}: analysis.{key}")


def check_model_terms(
    models: Mapping[str, Sequence[str]], variables: Mapping[str, Any], yaml_name: str
) -> None:
    """:func:`check_terms` for every model of ``analysis.models``, naming the model."""
    for model, terms in models.items():
        for term in terms:
            _one(term, variables, f"{yaml_name}: analysis.models: model {model!r}")


def predictor_variables(value: Mapping[str, Sequence[str]] | Sequence[str]) -> list[str]:
    """The variables the terms of a candidate list, or of every model of ``analysis.models``,
    refer to (``rcs(age, 4)`` -> ``age``), in order of first use."""
    from ..logistic._terms import term_variables

    terms = [t for ts in value.values() for t in ts] if isinstance(value, Mapping) else value
    out: list[str] = []
    for term in terms:
        try:
            names = term_variables(term)
        except InputError:
            names = [term]
        out += [n for n in names if n not in out]
    return out
