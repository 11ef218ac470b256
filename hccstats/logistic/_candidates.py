"""Stepwise candidates written as model terms: ``age``, ``rcs(age, 4)``, ``log(afp)``,
``factor(stage)``, ``age:sex``, ``age * sex``.

A candidate that is a column of the data is that column (quoted for patsy when its name is not
an identifier); any other candidate is a formula term, normalised as patsy writes it
(``rcs(age,4)`` becomes ``rcs(age, 4)``). ``a * b`` is three candidates: ``a``, ``b`` and
``a:b``. A multi-column term (spline, polynomial, factor, interaction) enters and leaves as one
block with its degrees of freedom. Hierarchy: an interaction is a candidate only once all its
main effects are in the model, and a main effect cannot leave while an interaction with it is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import patsy

from .._errors import InputError
from ._terms import term_variables
from ._univariate import quote_name

__all__ = ["expand_candidates", "candidate_term", "candidate_requires"]


def candidate_term(candidate: str, columns: Iterable[str]) -> str:
    """The patsy term name of a candidate: the quoted column, or the term itself."""
    return quote_name(candidate) if candidate in set(columns) else candidate


def _terms_of(expression: str) -> list:
    try:
        desc = patsy.ModelDesc.from_formula("~ " + expression)
    except patsy.PatsyError as exc:
        raise InputError(
            f"candidates: {expression!r} is not a model term ({exc.message})"
        ) from None
    return [t for t in desc.rhs_termlist if t.factors]


def expand_candidates(candidates: Sequence[str], columns: Iterable[str]) -> list[str]:
    """The candidates with ``a * b`` split into ``a``, ``b``, ``a:b``, terms normalised, each
    once; InputError naming a candidate whose variables are not columns, or an interaction
    whose main effects are not candidates."""
    cols = list(map(str, columns))
    out: list[str] = []
    for cand in candidates:
        if cand in cols:
            out.append(cand)
            continue
        missing = [v for v in term_variables(cand) if v not in cols]
        if missing:
            raise InputError(f"candidates: {cand!r} refers to {missing[0]!r}, not a column of data")
        for term in _terms_of(cand):
            name = term.name()
            single = len(term.factors) == 1 and term.factors[0].code
            out.append(single if single in cols else name)
    out = list(dict.fromkeys(out))
    candidate_requires(out, cols)  # checks the hierarchy
    return out


def candidate_requires(candidates: Sequence[str], columns: Iterable[str]) -> dict[str, list[str]]:
    """Interaction candidate -> the main-effect candidates that must be in the model first."""
    cols = list(map(str, columns))
    by_code: dict[str, str] = {}
    parsed = {}
    for cand in candidates:
        terms = _terms_of(candidate_term(cand, cols))
        parsed[cand] = terms[0] if len(terms) == 1 else None
        if parsed[cand] is not None and len(parsed[cand].factors) == 1:
            by_code[parsed[cand].factors[0].code] = cand
    out: dict[str, list[str]] = {}
    for cand, term in parsed.items():
        if term is None or len(term.factors) < 2:
            continue
        need = []
        for f in term.factors:
            if f.code not in by_code:
                raise InputError(
                    f"candidates: interaction {cand!r} needs its main effect {f.code!r} among "
                    "the candidates"
                )
            need.append(by_code[f.code])
        out[cand] = need
    return out
