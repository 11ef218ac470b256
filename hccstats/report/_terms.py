"""Model terms in the report: their labels, their rows in Table 3, the stepwise candidates made
from the study file's terms, and the anova table of a model.

A term keeps its variable's label: ``rcs(age, 4)`` is "Age (restricted cubic spline, 4 knots)",
``pol(x, 2)`` "X (polynomial, degree 2)", ``log(afp + 1)`` "log(AFP + 1)", ``factor(stage)``
"Stage", ``age:sex`` "Age × Sex"; its design columns are shown by the names rms prints, with the
variable's label in place of its name (Age, Age', Age'').
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence

import patsy

__all__ = [
    "is_plain",
    "term_display_label",
    "column_rows",
    "candidate_variables",
    "stepwise_terms",
    "has_model_terms",
    "study_candidates",
]


def _plain_name(code: str) -> str | None:
    """The column a factor code names (``age``, ``Q('BCLC stage')``), else None."""
    if code.isidentifier():
        return code
    if code.startswith("Q(") and code.endswith(")"):
        try:
            return str(ast.literal_eval(code[2:-1]))
        except (ValueError, SyntaxError):
            return None
    return None


def is_plain(term: str) -> bool:
    """A term that is one column (bare or Q-quoted), not a transformation or interaction."""
    return _plain_name(term) is not None


def _arg_count(code: str) -> int | None:
    """k of ``rcs(x, k)`` / ``rcs(x, [k1, k2, k3])`` / ``pol(x, k)``, when written as a literal."""
    try:
        call = ast.parse(code, mode="eval").body
        arg = call.args[1] if len(call.args) > 1 else None
        value = ast.literal_eval(arg) if arg is not None else None
    except (SyntaxError, ValueError, AttributeError):
        return None
    if isinstance(value, (list, tuple)):
        return len(value)
    return int(value) if isinstance(value, int) else None


def _factor_label(code: str, label: Callable[[str], str]) -> str:
    from hccstats.logistic._terms import code_variables

    name = _plain_name(code)
    if name is not None:
        return label(name)
    variables, _ = code_variables(code)
    head = code.split("(", 1)[0]
    if len(variables) == 1:
        var = variables[0]
        k = _arg_count(code)
        if head == "rcs":
            return f"{label(var)} (restricted cubic spline{f', {k} knots' if k else ''})"
        if head == "pol":
            return f"{label(var)} (polynomial, degree {k or 2})"
        if head in ("factor", "C"):
            return label(var)
        quoted = f"Q({var!r})"
        return code.replace(quoted, label(var)) if quoted in code else code.replace(var, label(var))
    return code


def term_display_label(term: str, label: Callable[[str], str]) -> str:
    """The label of a model term from its variables' labels (``label``: variable -> text)."""
    if is_plain(term):
        return label(_plain_name(term))
    try:
        terms = [t for t in patsy.ModelDesc.from_formula("~ " + term).rhs_termlist if t.factors]
    except patsy.PatsyError:
        return term
    parts = [" × ".join(_factor_label(f.code, label) for f in t.factors) for t in terms]
    return " + ".join(parts)


def column_rows(fit, term: str, label: Callable[[str], str]) -> list[tuple[str, str]] | None:
    """(design column, its label) per column of a model term that is not one plain column (None
    for those): rms's column names with each variable's label for its name."""
    from hccstats.logistic._terms import rms_column_names

    if is_plain(term) or term not in fit.term_columns:
        return None
    names = rms_column_names(fit.design_info, fit.data.columns)
    out = []
    for col in fit.term_columns[term]:
        shown = names.get(col, col)
        pieces = []
        for piece in shown.split(" * "):
            var, sep, rest = _split_name(piece)
            pieces.append((label(var) if var in fit.data.columns else var) + sep + rest)
        out.append((col, " × ".join(pieces)))
    return out


def _split_name(piece: str) -> tuple[str, str, str]:
    """``age''`` -> (age, '', "''"); ``race=2`` -> (race, '=', '2'); ``ptl^2`` -> (ptl, '', '^2')."""
    if "=" in piece:
        var, rest = piece.split("=", 1)
        return var, ": ", rest
    stripped = piece.rstrip("'")
    if stripped != piece:
        return stripped, "", piece[len(stripped) :]
    if "^" in piece:
        var, rest = piece.rsplit("^", 1)
        return var, "", "^" + rest
    return piece, "", ""


def candidate_variables(names: Sequence[str], declared: Iterable[str]) -> list[str]:
    """The variables of the study file's candidates (terms expanded), in order, each once."""
    from hccstats.logistic._terms import term_variables

    declared = set(declared)
    out: list[str] = []
    for name in names:
        for v in [name] if name in declared else term_variables(name):
            if v not in out:
                out.append(v)
    return out


def has_model_terms(names: Iterable[str]) -> bool:
    """Some candidate is a term, not a plain variable."""
    return any(not is_plain(n) for n in names)


def stepwise_terms(given: Sequence[str], passed: Sequence[str], columns) -> list[str]:
    """The stepwise candidates from the study file's candidate terms: each term (``a * b`` split
    into a, b, a:b) whose variables all passed the univariable screen; an interaction only with
    its main effects."""
    from hccstats.logistic._candidates import candidate_requires, expand_candidates
    from hccstats.logistic._terms import term_variables

    terms = expand_candidates(list(given), columns)
    requires = candidate_requires(terms, columns)
    ok, cols = set(passed), set(columns)
    kept = [t for t in terms if set([t] if t in cols else term_variables(t)) <= ok]
    return [t for t in kept if all(m in kept for m in requires.get(t, ()))]


def study_candidates(given: Sequence[str], passed: Sequence[str], columns) -> list[str]:
    """The stepwise candidates: the variables that passed the univariable screen or, where the
    study file's candidates (``given``) are model terms, :func:`stepwise_terms`."""
    if has_model_terms(given):
        return stepwise_terms(given, passed, columns)
    return list(passed)
