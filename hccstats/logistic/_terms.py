"""The model language of rms in formulas: transformations, and what each design column means.

Formulas (``lrm``, ``coxph``) may call R's names: ``rcs(x, k)`` or ``rcs(x, [k1, k2, k3])``
(restricted cubic spline, rms), ``pol(x, 2)`` (raw polynomial x, x², rms), ``log(x)``,
``log(x + c)``, ``exp(x)``, ``sqrt(x)``, ``factor(x)`` (categorical), patsy's ``I(...)``, ``C(x)``
and ``Q('name')``, and interactions ``a:b`` and ``a * b``. A name that is neither a column nor
one of these functions is an :class:`~hccstats.InputError` naming it.

:func:`model_predictors` reads a fitted design the way ``rms`` does: one predictor per variable
(a transformation of one column), which of its columns are nonlinear (the spline and
polynomial columns after the first), and which interaction terms involve it. ``anova`` and the
report's labels are built on it. :func:`rms_column_names` gives the coefficient names rms prints
(``age``, ``age'``, ``age''``, ``race=2``, ``age * smoke``, ``age' * smoke``).
"""

from __future__ import annotations

import ast
import builtins
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import patsy.builtins

from .._errors import InputError
from .._names import unquote_name
from ._rcs import rcs

__all__ = [
    "FORMULA_FUNCTIONS",
    "FORMULA_NAMESPACE",
    "pol",
    "factor",
    "check_formula_names",
    "code_variables",
    "term_variables",
    "Predictor",
    "model_predictors",
    "rms_column_names",
    "term_label",
    "fit_columns",
]

PATSY_BUILTINS = ("I", "C", "Q")  # patsy adds these to every formula


def log(x):
    """Natural logarithm (R's ``log``)."""
    return np.log(x)


def exp(x):
    """Exponential (R's ``exp``)."""
    return np.exp(x)


def sqrt(x):
    """Square root (R's ``sqrt``)."""
    return np.sqrt(x)


def pol(x, degree: int = 2):
    """Raw polynomial columns ``x, x^2, ..., x^degree`` (``rms::pol``; not orthogonal)."""
    if int(degree) != degree or degree < 1:
        raise InputError(f"pol: the degree must be an integer >= 1, got {degree!r}")
    arr = np.asarray(x, float).ravel()
    cols = np.column_stack([arr**p for p in range(1, int(degree) + 1)])
    index = getattr(x, "index", None)
    return cols if index is None else pd.DataFrame(cols, index=index)


def factor(x, levels=None):
    """``x`` as a categorical variable (R's ``factor``): one dummy per level but the first."""
    from patsy.builtins import C

    return C(x, levels=levels)


#: R's names that a formula may call (besides patsy's ``I``, ``C``, ``Q`` and numpy as ``np``)
FORMULA_FUNCTIONS = {
    "rcs": rcs,
    "pol": pol,
    "log": log,
    "exp": exp,
    "sqrt": sqrt,
    "factor": factor,
}
FORMULA_NAMESPACE = {"np": np, **FORMULA_FUNCTIONS}
NONLINEAR_FUNCTIONS = {"rcs": "restricted cubic spline", "pol": "polynomial"}
_KNOWN = {*FORMULA_NAMESPACE, *PATSY_BUILTINS}
#: also callable in a formula: the rest of patsy's builtins (center, bs, Treatment, ...) and
#: Python's (abs, round, ...)
_CALLABLE = {*_KNOWN, *patsy.builtins.__all__, *dir(builtins)}


def _parse(code: str) -> ast.AST | None:
    try:
        return ast.parse(code, mode="eval")
    except SyntaxError:
        return None


def code_variables(code: str) -> tuple[list[str], list[str]]:
    """The names one factor's code refers to: (variables, function names), in order.

    Variables are the bare names that are not called and the strings of ``Q('...')``;
    ``np.log`` counts as the function ``np``.
    """
    tree = _parse(code)
    if tree is None:
        return [code], []
    called, quoted, bare = set(), [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Name):
                called.add(func.id)
                if func.id == "Q" and node.args and isinstance(node.args[0], ast.Constant):
                    quoted.append(str(node.args[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in called and node.id not in bare:
            bare.append(node.id)
    variables = list(dict.fromkeys(quoted + [b for b in bare if b != "np"]))
    functions = sorted(called | ({"np"} if "np" in bare else set()))
    return variables, functions


def check_formula_names(desc: patsy.ModelDesc, columns: Iterable[str]) -> None:
    """InputError naming the first name of the right-hand side that is neither a column nor a
    known function, with what is available."""
    order = list(dict.fromkeys(map(str, columns)))
    cols = set(order)
    for term in desc.rhs_termlist:
        for f in term.factors:
            if f.code in cols:
                continue
            variables, functions = code_variables(f.code)
            for name in functions:
                if name not in _CALLABLE:
                    raise InputError(
                        f"formula: unknown function {name!r} in {f.code!r} (functions: "
                        f"{', '.join(sorted(_KNOWN))})"
                    )
            for name in variables:
                if name not in cols and name not in _KNOWN:
                    shown = ", ".join(order[:15]) + (" ..." if len(order) > 15 else "")
                    raise InputError(
                        f"formula: unknown name {name!r} in {f.code!r}: neither a column nor a "
                        f"function (columns: {shown}; functions: {', '.join(sorted(_KNOWN))})"
                    )


def term_variables(expression: str) -> list[str]:
    """The variables a model term of the study file refers to (``rcs(age, 4)`` -> [age];
    ``age * sex`` -> [age, sex]); InputError for an expression that is not a formula term or
    calls an unknown function."""
    try:
        desc = patsy.ModelDesc.from_formula("~ " + expression)
    except patsy.PatsyError as exc:
        raise InputError(f"term {expression!r}: {exc.message}") from None
    out: list[str] = []
    for term in desc.rhs_termlist:
        for f in term.factors:
            variables, functions = code_variables(f.code)
            unknown = [n for n in functions if n not in _CALLABLE]
            if unknown:
                raise InputError(
                    f"term {expression!r}: unknown function {unknown[0]!r} "
                    f"(functions: {', '.join(sorted(_KNOWN))})"
                )
            out.extend(v for v in variables if v not in out)
    if not out:
        raise InputError(f"term {expression!r}: names no variable")
    return out


@dataclass(frozen=True)
class Predictor:
    """One predictor as rms sees it: ``name`` (its variable, or the factor's code when it
    uses several), ``code`` (patsy's factor code), ``kind`` ("linear", "rcs", "pol",
    "categorical" or "transformed"), ``columns`` (its main-effect design columns),
    ``nonlinear`` (for each of them, whether it is a nonlinear column), and for each interaction
    term involving it, the interaction's columns and which of those are nonlinear in it."""

    name: str
    code: str
    kind: str
    columns: tuple[str, ...]
    nonlinear: tuple[bool, ...]
    n_knots: int | None = None


@dataclass(frozen=True)
class Interaction:
    """An interaction term: its predictors (by name), columns, and for each column whether it
    is nonlinear in each predictor (``nonlinear[column][k]`` for predictor ``k``)."""

    name: str
    term: str
    predictors: tuple[str, ...]
    columns: tuple[str, ...]
    nonlinear: tuple[tuple[bool, ...], ...]


def _kind(code: str, finfo) -> tuple[str, int | None]:
    if finfo.type == "categorical":
        return "categorical", None
    if unquote_name(code) != code:  # Q('biopsy result'): a column, entered as it is
        return "linear", None
    tree = _parse(code)
    body = tree.body if tree is not None else None
    if isinstance(body, ast.Call) and isinstance(body.func, ast.Name):
        fname = body.func.id
        if fname in NONLINEAR_FUNCTIONS:
            return fname, (finfo.num_columns + 1 if fname == "rcs" else None)
        return "transformed", None
    if isinstance(body, ast.Name):
        return "linear", None
    return "transformed", None


def _name(code: str, columns: Iterable[str] | None) -> str:
    if unquote_name(code) != code:
        return unquote_name(code)
    variables, _ = code_variables(code)
    if columns is not None:
        variables = [v for v in variables if v in set(columns)] or variables
    return variables[0] if len(variables) == 1 else code


def _combinations(counts: list[int]):
    """patsy's column order of an interaction: the left-most factor varies fastest."""
    for combo in itertools.product(*[range(n) for n in reversed(counts)]):
        yield combo[::-1]


def _factor_columns(info, factor) -> int:
    finfo = info.factor_infos[factor]
    return finfo.num_columns if finfo.type == "numerical" else 0


def _formula_order(design_info: patsy.DesignInfo, formula: str | None) -> list:
    """The design's terms in the order the formula writes them, main effects first (rms's order;
    patsy puts terms without numeric factors first)."""
    terms = [t for t in design_info.terms if t.factors]
    if formula is not None and "~" in formula:
        try:
            written = patsy.ModelDesc.from_formula(formula.split("~", 1)[1]).rhs_termlist
        except patsy.PatsyError:
            written = []
        pos = {t: k for k, t in enumerate(written)}
        terms.sort(key=lambda t: pos.get(t, len(pos)))
    return [t for t in terms if len(t.factors) == 1] + [t for t in terms if len(t.factors) > 1]


def model_predictors(
    design_info: patsy.DesignInfo,
    data_columns: Iterable[str] | None = None,
    formula: str | None = None,
) -> tuple[list[Predictor], list[Interaction]]:
    """The predictors (main effects, in formula order) and interaction terms of a design.

    Raises InputError for an interaction whose factors are not all main effects of the model
    (rms's hierarchy) or that involves two nonlinear predictors (rms restricts those).
    """
    cols = list(data_columns) if data_columns is not None else None
    preds: dict = {}
    inters: list[Interaction] = []
    for term in _formula_order(design_info, formula):
        sl = design_info.term_slices[term]
        columns = tuple(design_info.column_names[sl])
        if len(term.factors) == 1:
            (f,) = term.factors
            finfo = design_info.factor_infos[f]
            kind, nk = _kind(f.code, finfo)
            nonlin = tuple(kind in NONLINEAR_FUNCTIONS and j > 0 for j in range(len(columns)))
            preds[f] = Predictor(_name(f.code, cols), f.code, kind, columns, nonlin, nk)
            continue
        missing = [f.code for f in term.factors if f not in preds]
        if missing:
            raise InputError(
                f"interaction {term.name()!r}: its main effect {missing[0]!r} is not in the "
                "model (write a * b, or add it)"
            )
        parts = [preds[f] for f in term.factors]
        if sum(any(p.nonlinear) for p in parts) > 1:
            raise InputError(
                f"interaction {term.name()!r} of two nonlinear terms is not supported "
                "(rms restricts such interactions); make one of them linear"
            )
        counts = [max(_factor_columns(design_info, f), 1) for f in term.factors]
        flags = []
        for sub in design_info.term_codings[term]:
            sub_counts = [
                counts[k] if design_info.factor_infos[f].type == "numerical" else 1
                for k, f in enumerate(term.factors)
            ]
            n_cat = sub.num_columns // int(np.prod(sub_counts))
            for combo in _combinations(sub_counts):
                row = tuple(
                    bool(parts[k].nonlinear[c]) if parts[k].kind in NONLINEAR_FUNCTIONS else False
                    for k, c in enumerate(combo)
                )
                flags.extend([row] * n_cat)
        inters.append(
            Interaction(
                " * ".join(p.name for p in parts),
                term.name(),
                tuple(p.name for p in parts),
                columns,
                tuple(flags),
            )
        )
    return list(preds.values()), inters


def _primes(name: str, j: int) -> str:
    return name + "'" * j


def rms_column_names(
    design_info: patsy.DesignInfo, data_columns: Iterable[str] | None = None
) -> dict[str, str]:
    """Design column -> the coefficient name rms prints (``age'``, ``ptl^2``, ``race=2``,
    ``age' * smoke``)."""
    preds, inters = model_predictors(design_info, data_columns)
    out: dict[str, str] = {}
    by_name = {}
    for p in preds:
        names = []
        for j, col in enumerate(p.columns):
            if p.kind == "rcs":
                names.append(_primes(p.name, j))
            elif p.kind == "pol":
                names.append(p.name if j == 0 else f"{p.name}^{j + 1}")
            elif p.kind == "categorical":
                level = col[len(p.code) :]
                level = level[3:-1] if level.startswith("[T.") else level.strip("[]")
                names.append(f"{p.name}={level}")
            else:
                names.append(p.name)
        by_name[p.name] = names
        out.update(zip(p.columns, names))
    for ia in inters:
        pieces = [[c for c in col.split(":")] for col in ia.columns]
        for col, parts in zip(ia.columns, pieces):
            shown = []
            for pname, piece in zip(ia.predictors, parts):
                pred = next(p for p in preds if p.name == pname)
                shown.append(out.get(piece, by_name[pname][0]) if piece in pred.columns else piece)
            out[col] = " * ".join(shown)
    return out


def term_label(pred: Predictor, label: str) -> str:
    """A predictor's label in tables: "Age (restricted cubic spline, 4 knots)", "Nodes
    (polynomial, degree 2)"; other kinds keep the variable's label."""
    if pred.kind == "rcs":
        return f"{label} (restricted cubic spline, {pred.n_knots} knots)"
    if pred.kind == "pol":
        return f"{label} (polynomial, degree {len(pred.columns)})"
    if pred.kind == "transformed":
        return pred.code.replace(pred.name, label, 1) if pred.name != pred.code else label
    return label


def fit_columns(fit) -> list[str]:
    """The data columns a fitted model's terms read (``rcs(age, 4):sex`` -> age, sex), in order:
    the columns a patient needs for a prediction."""
    cols = set(map(str, fit.data.columns))
    out: list[str] = []
    for term in fit.design_info.terms:
        for f in term.factors:
            names = [f.code] if f.code in cols else code_variables(f.code)[0]
            out.extend(n for n in names if n in cols and n not in out)
    return out
