"""The ``analysis:`` section of study.yaml: one declarative table of keys, and its validation.

Each row of :data:`ANALYSIS_KEYS` names a key, its kind, the allowed range or choices, the
default and a one-line description. :func:`read_analysis` checks a study's ``analysis:``
mapping against it (unknown keys, wrong types, values out of range: one-line
:class:`hccstats.InputError`); docs/study-file.md lists the same rows
(:func:`analysis_keys_markdown`). Adding a key is adding one row.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import InputError, listed, short_repr
from .._names import term_to_patsy
from .._validation import check_seed
from ._published import is_published, read_published
from ._terms import check_model_terms, check_terms, predictor_variables

__all__ = [
    "AnalysisKey",
    "ANALYSIS_KEYS",
    "read_analysis",
    "analysis_defaults",
    "check_model_names",
    "check_combinations",
    "check_predictors",
    "reserved_model_names",
    "survival_columns_as_candidates",
    "STEPWISE_MODEL_NAMES",
    "MAX_THRESHOLDS",
]

#: the report's names of its stepwise models (hccstats/report/_s_models.py)
STEPWISE_MODEL_NAMES = ("Clinical model", "DL model")
#: the most threshold probabilities of a decision curve (``analysis.dca_thresholds``)
MAX_THRESHOLDS = 1000
#: the keys of ``analysis:`` whose variables enter models as predictors
_PREDICTOR_KEYS = ("clinical_candidates", "models")


@dataclass(frozen=True)
class AnalysisKey:
    """One key of ``analysis:``.

    ``kind`` is ``"int"``, ``"number"``, ``"bool"``, ``"choice"`` (one of ``choices``;
    ``aliases`` maps other accepted spellings to them), ``"int_list"`` (a non-empty list of
    integers, each in the range), ``"variables"`` (a list of names declared under
    ``variables:``), ``"models"`` ({model name: [variables or model terms]}), ``"bootstrap"`` ({B, seed}),
    ``"range"`` ({from, to, by} of probabilities; ``default`` fills the missing ones) or
    ``"per"`` ({variable: a positive number of units, or sd}). ``low``/``high`` bound numbers (and each
    list element); ``open_low``/``open_high`` make a bound strict. ``default`` None means
    "chosen by the pipeline" (said in ``doc``).
    """

    name: str
    kind: str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    aliases: tuple = ()  # (spelling, the choice it means)

    def allowed(self) -> str:
        """The allowed values, in words (for messages and the documentation)."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices + tuple(a for a, _ in self.aliases)))
        if self.kind in _MAPPING_KINDS:
            return _MAPPING_KINDS[self.kind]
        if self.kind == "variables":
            return "a list of variables declared under variables:"
        what = {"int": "an integer", "number": "a number", "int_list": "a list of integers"}[
            self.kind
        ]
        lo = "" if self.low is None else f"{'>' if self.open_low else '≥'} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.open_high else '≤'} {self.high:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        return f"{what}{' ' + bounds if bounds else ''}"


_PROB = dict(low=0.0, high=1.0, open_low=True, open_high=True)
_FACTORS = ("categorical", "binary")
_MAPPING_KINDS = {
    "models": "a mapping {model name: [variables declared under variables:, or terms of them], "
    "or a published equation {coef: {column: number}, intercept or baseline_survival}}",
    "bootstrap": "a mapping {B: integer 10–100000, seed: integer ≥ 0}",
    "range": "a mapping {from, to, by} with 0 ≤ from < to < 1 and 0 < by ≤ to − from, at most "
    f"{MAX_THRESHOLDS:,} thresholds",
    "per": "a mapping {variable: positive number of units, or sd}",
}

#: every key of ``analysis:`` (one row each; docs/study-file.md lists the same rows)
ANALYSIS_KEYS: tuple[AnalysisKey, ...] = (
    AnalysisKey(
        "clinical_candidates",
        "variables",
        None,
        "clinical variables screened by the univariable analysis, or model terms of them "
        "(`rcs(age, 4)`, `log(afp)`, `age * sex`; see below) (default: every declared "
        "variable except the outcome and centre)",
    ),
    AnalysisKey(
        "baseline_variables",
        "variables",
        None,
        "variables of the baseline tables (default: every declared variable)",
    ),
    AnalysisKey("alpha", "number", 0.05, "significance level of the tests and the screen", **_PROB),
    AnalysisKey(
        "entry",
        "number",
        0.05,
        "stepwise (forward or backward LR): score-test p to enter a model",
        **_PROB,
    ),
    AnalysisKey(
        "removal",
        "number",
        0.10,
        "stepwise (forward or backward LR): likelihood-ratio p to leave it",
        **_PROB,
    ),
    AnalysisKey(
        "B",
        "int",
        None,
        "the former spelling of `bootstrap.B`, still read; refused beside `bootstrap.B`",
        low=10,
        high=1e5,
    ),
    AnalysisKey(
        "signature_preset",
        "choice",
        "standard",
        "signature search settings (the demo uses fast)",
        choices=("fast", "standard", "thorough"),
    ),
    AnalysisKey(
        "crop_size",
        "int",
        None,
        "extraction crop in pixels, checked by extract (at least 32; default: extract's 224; "
        "the demo: 64)",
    ),
    AnalysisKey(
        "n4_iterations",
        "int_list",
        None,
        "N4 bias-field iterations per level, checked by extract (positive; default: extract's; "
        "the demo: [10, 10])",
    ),
    AnalysisKey(
        "n4_convergence",
        "number",
        None,
        "N4 convergence threshold, checked by extract (between 0 and 1; default: extract's; "
        "the demo: 0.01)",
    ),
    AnalysisKey(
        "ordinal_as",
        "choice",
        "numeric",
        "ordinal variables in the regressions: numeric scores (`score` is the same) or factors",
        choices=("numeric", "factor"),
        aliases=(("score", "numeric"),),
    ),
    AnalysisKey("n_jobs", "int", 1, "parallel workers of the signature search", low=1, high=256),
    AnalysisKey(
        "firth",
        "bool",
        False,
        "Firth-penalised logistic fits (logistf / brglm2), for separated data",
    ),
    AnalysisKey(
        "models",
        "models",
        None,
        "prespecified models by name, every variable or term kept (`{Clinical: [rcs(age, 4), "
        "mvi, log(afp)]}`), fitted beside the stepwise models, or instead of them with "
        "`selection: none`; a model given by its published equation (`{Smith: {coef: {age: "
        "0.03}, intercept: -2.1}}`) is validated, never refitted (see below)",
    ),
    AnalysisKey(
        "selection",
        "choice",
        "forward_lr",
        "stepwise selection of the clinical and DL models: SPSS Forward: LR, Backward: LR, or "
        "none (only `models`)",
        choices=("forward_lr", "backward_lr", "none"),
    ),
    AnalysisKey(
        "bootstrap",
        "bootstrap",
        None,
        "resamples and seed of every bootstrap: the calibration curves, the internal "
        "validation, the Cox calibration (default: B 1000 and the run seed)",
    ),
    AnalysisKey(
        "dca_thresholds",
        "range",
        {"from": 0.0, "to": 0.6, "by": 0.01},
        "threshold probabilities of the decision curves (R's seq(from, to, by))",
    ),
    AnalysisKey(
        "per",
        "per",
        None,
        "odds-ratio units in Table 3 per numeric variable (`{age: 10, afp: sd}`; sd: one SD in "
        "the model's training patients)",
    ),
)

_BY_NAME = {k.name: k for k in ANALYSIS_KEYS}
#: variable lists that take model terms (``rcs(age, 4)``, ``age * sex``) besides variables
TERM_KEYS = ("clinical_candidates",)


def analysis_defaults() -> dict[str, Any]:
    """{key: default} of every ``analysis:`` key."""
    return {k.name: k.default for k in ANALYSIS_KEYS}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _in_range(key: AnalysisKey, v: float) -> bool:
    if key.low is not None and (v <= key.low if key.open_low else v < key.low):
        return False
    return not (key.high is not None and (v >= key.high if key.open_high else v > key.high))


def _models(value: Any) -> dict[str, Any] | None:
    """{model: [terms]}; a model given by its equation (a mapping) is kept as given, for
    :func:`~hccstats.study._published.read_published`."""
    if not isinstance(value, Mapping) or not value:
        return None
    out = {}
    for name, names in value.items():
        if is_published(names):
            out[str(name)] = names
            continue
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names or not all(isinstance(v, str) for v in names):
            return None
        out[str(name)] = list(dict.fromkeys(names))
    return out


def _bootstrap(value: Any) -> dict[str, int] | None:
    if not isinstance(value, Mapping) or not value or set(value) - {"B", "seed"}:
        return None
    B = value.get("B", 1000)
    try:
        check_seed(value.get("seed", 0))
    except InputError:
        return None
    return dict(value) if _is_int(B) and 10 <= B <= 100_000 else None


def _range(value: Any, default: Mapping[str, float]) -> dict[str, float] | None:
    if not isinstance(value, Mapping) or set(value) - set(default):
        return None
    spec = {**default, **value}
    if not all(_is_number(v) for v in spec.values()):
        return None
    lo, hi, by = (float(spec[k]) for k in ("from", "to", "by"))
    return {"from": lo, "to": hi, "by": by} if 0 <= lo < hi < 1 and 0 < by <= hi - lo else None


def _per(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping) or not value:
        return None
    ok = all(v == "sd" or (_is_number(v) and v > 0) for v in value.values())
    return {str(k): (v if v == "sd" else float(v)) for k, v in value.items()} if ok else None


def _named(key: AnalysisKey, checked: Any) -> list[str]:
    """The variable names a value refers to (checked against ``variables:``)."""
    if key.kind == "variables" and key.name not in TERM_KEYS:
        return list(checked)
    return list(checked) if key.kind == "per" else []


def _check(key: AnalysisKey, value: Any, variables: Mapping[str, Any]) -> Any:
    """The normalised value, or None when it breaks the row (the caller raises)."""
    if key.kind == "bool":
        return value if isinstance(value, bool) else None
    if key.kind == "choice":
        value = dict(key.aliases).get(value, value) if isinstance(value, str) else value
        return value if isinstance(value, str) and value in key.choices else None
    if key.kind in ("models", "bootstrap", "per"):
        return {"models": _models, "bootstrap": _bootstrap, "per": _per}[key.kind](value)
    if key.kind == "range":
        return _range(value, key.default)
    if key.kind == "variables":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return list(value) if ok else None
    if key.kind == "int_list":
        ok = isinstance(value, list) and value and all(_is_int(v) for v in value)
        return tuple(value) if ok and all(_in_range(key, v) for v in value) else None
    ok = _is_int(value) if key.kind == "int" else _is_number(value)
    return value if ok and _in_range(key, value) else None


def read_analysis(
    raw: Any,
    variables: Mapping[str, Any],
    yaml_name: str,
    *,
    roles: Mapping[str, str] | None = None,
    between: bool = True,
) -> dict[str, Any]:
    """Validate ``analysis:`` against :data:`ANALYSIS_KEYS`; returns only the keys given.

    Raises :class:`hccstats.InputError` (one line: ``study.yaml: analysis.KEY: ...``) for an
    unknown key (with the closest known one), a value of the wrong type or out of range,
    a variable list naming undeclared variables, a predictor that is one of ``roles``
    ({column: what it is}: the outcome, the survival time and event), ``entry`` above
    ``removal``, or a decision-curve grid of more than :data:`MAX_THRESHOLDS` thresholds.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(
            f"{yaml_name}: analysis: expected a mapping, got {type(raw).__name__} {short_repr(raw)}"
        )
    out: dict[str, Any] = {}
    for name, value in raw.items():
        key = _BY_NAME.get(str(name))
        if key is None:
            raise _unknown_key(name, yaml_name)
        checked = _check(key, value, variables)
        if checked is None:
            raise InputError(
                f"{yaml_name}: analysis.{name}: expected {key.allowed()}, got {short_repr(value)}"
            )
        checked = _terms_as_patsy(key, checked, variables)
        if key.kind == "models":  # equations apart: out["published"], never refitted
            checked = _split_published(checked, out, variables, roles or {}, yaml_name)
            if not checked:
                continue
        if key.name in _PREDICTOR_KEYS:  # a leak first: its message says more than "undeclared"
            check_predictors(key.name, predictor_variables(checked), roles or {}, yaml_name)
        if key.kind == "models":
            check_model_terms(checked, variables, yaml_name)
        elif key.name in TERM_KEYS:
            check_terms(key.name, checked, variables, yaml_name)
        _check_declared(key, checked, variables, f"{yaml_name}: analysis.{name}")
        if key.kind == "range":
            _check_grid(checked, yaml_name, f"analysis.{name}")
        if key.kind == "per":
            _check_per(checked, variables, yaml_name)
        out[key.name] = checked
    if between:  # else the caller checks the keys with others (:func:`check_combinations`)
        check_combinations(out, yaml_name)
    return out


def _terms_as_patsy(key: AnalysisKey, checked: Any, variables: Mapping[str, Any]) -> Any:
    """The model terms of ``models`` and ``clinical_candidates`` as patsy reads them: names in
    R's backticks, and declared names patsy cannot read bare (``log(class)``), quoted
    (:func:`hccstats._names.term_to_patsy`)."""
    if key.kind == "models":
        return {
            m: [term_to_patsy(t, variables) for t in ts] if isinstance(ts, list) else ts
            for m, ts in checked.items()
        }
    if key.name in TERM_KEYS:
        return [term_to_patsy(t, variables) for t in checked]
    return checked


def check_combinations(given: Mapping[str, Any], yaml_name: str) -> None:
    """The rules between keys: ``selection: none`` needs ``models``; ``entry`` <= ``removal``
    (of the study file, or of the file and the run's options together)."""
    _check_stepwise(given, yaml_name)


def _check_declared(key: AnalysisKey, checked: Any, variables: Mapping[str, Any], where: str):
    """The variables a value names are declared under ``variables:``."""
    bad = [v for v in _named(key, checked) if v not in variables]
    if bad:
        raise InputError(f"{where}: not declared under variables: [{listed(bad)}]")


def _check_per(per: Mapping[str, Any], variables: Mapping[str, Any], yaml_name: str) -> None:
    """Odds-ratio units only for numeric variables."""
    factors = [v for v in per if getattr(variables[v], "type", "") in _FACTORS]
    if factors:
        raise InputError(
            f"{yaml_name}: analysis.per: odds-ratio units need numeric variables, "
            f"not the categorical {factors}"
        )


def _unknown_key(name: Any, yaml_name: str) -> InputError:
    """The error of an unknown key of ``analysis:``, with the closest known one."""
    near = difflib.get_close_matches(str(name).lower(), [k.lower() for k in _BY_NAME], 1)
    hint = f"; did you mean {next(k for k in _BY_NAME if k.lower() == near[0])!r}?" if near else ""
    return InputError(
        f"{yaml_name}: analysis: unknown key {name!r}{hint} "
        f"(allowed: {', '.join(_BY_NAME)}; see docs/study-file.md)"
    )


def _split_published(
    models: Mapping[str, Any],
    out: dict[str, Any],
    variables: Mapping[str, Any],
    roles: Mapping[str, str],
    yaml_name: str,
) -> dict[str, list[str]]:
    """The fitted models' term lists; the published equations go to ``out["published"]``
    ({name: PublishedSpec}), their variables checked against ``roles`` as any predictor's."""
    published = {
        m: read_published(m, v, variables, yaml_name) for m, v in models.items() if is_published(v)
    }
    if published:
        out["published"] = published
        used = predictor_variables({m: s.terms for m, s in published.items()})
        check_predictors("models", used, roles, yaml_name)
    return {m: v for m, v in models.items() if m not in published}


def _check_stepwise(given: Mapping[str, Any], yaml_name: str) -> None:
    """``selection: none`` has prespecified (or published) models; ``entry`` <= ``removal``
    (each given or its default), as SPSS and ``forward_lr`` ask."""
    if given.get("selection") == "none" and not (given.get("models") or given.get("published")):
        raise InputError(
            f"{yaml_name}: analysis.selection: none needs prespecified models (analysis.models)"
        )
    entry, removal = (given.get(k, _BY_NAME[k].default) for k in ("entry", "removal"))
    if removal < entry:
        said = {k: "" if k in given else " (the default)" for k in ("entry", "removal")}
        raise InputError(
            f"{yaml_name}: analysis.entry: entry p {entry:g}{said['entry']} is above removal p "
            f"{removal:g}{said['removal']}: a variable could enter and leave at once (the "
            "selection could cycle); make removal >= entry"
        )


def _check_grid(spec: Mapping[str, float], yaml_name: str, where: str) -> None:
    """At most :data:`MAX_THRESHOLDS` points in R's ``seq(from, to, by)``."""
    lo, hi, by = spec["from"], spec["to"], spec["by"]
    steps = (hi - lo) / by
    if steps + 1 > MAX_THRESHOLDS:
        least = (hi - lo) / (MAX_THRESHOLDS - 1)
        exp = math.floor(math.log10(least)) - 1  # rounded up at two digits: within the cap
        least = math.ceil(least / 10**exp) * 10**exp
        raise InputError(
            f"{yaml_name}: {where}: by {by:g} gives {steps + 1:,.0f} thresholds from {lo:g} to "
            f"{hi:g}; at most {MAX_THRESHOLDS:,}: make by at least {least:.2g}"
        )


def check_predictors(
    where: str, names: Iterable[str], roles: Mapping[str, str], yaml_name: str
) -> None:
    """No predictor of ``analysis.<where>`` is one of ``roles`` (the outcome, survival columns):
    it would predict the outcome from itself."""
    for name in names:
        if name in roles:
            raise InputError(
                f"{yaml_name}: analysis.{where}: {name!r} is {roles[name]}; it cannot be a "
                "predictor (it would leak the outcome into the model)"
            )


def survival_columns_as_candidates(
    analysis: Mapping[str, Any],
    variables: Mapping[str, Any],
    roles: Mapping[str, str],
    yaml_name: str,
) -> None:
    """A declared variable that holds the outcome (the survival time or event) would be a
    default candidate (every declared variable but the outcome and centre): without
    ``clinical_candidates`` it is refused, naming the variable."""
    if analysis.get("clinical_candidates"):
        return
    for name in variables:
        if name in roles and not roles[name].startswith("the outcome"):
            raise InputError(
                f"{yaml_name}: variables.{name}: is {roles[name]}; it cannot be a predictor, "
                "and without analysis.clinical_candidates every declared variable is a "
                "candidate: list the candidates there"
            )


def reserved_model_names(phases: Iterable[str] | None) -> list[str]:
    """The names the report gives its own models and signatures: the stepwise models and
    each phase's (and the fused mp-MR) DL signature."""
    signatures = [f"{p} DL signature" for p in (*(phases or ()), "mp-MR")]
    return [*STEPWISE_MODEL_NAMES, *signatures]


def check_model_names(
    models: Mapping[str, Any], phases: Iterable[str] | None, yaml_name: str
) -> None:
    """No prespecified model takes a name of the report's own (case and spaces aside): its
    fit, table rows and curves would be mistaken for the other's."""
    reserved = {" ".join(n.lower().split()): n for n in reserved_model_names(phases)}
    for name in models:
        clash = reserved.get(" ".join(str(name).lower().split()))
        if clash is not None:
            raise InputError(
                f"{yaml_name}: analysis.models: {str(name)!r} is the report's name of "
                f"{'its stepwise model' if clash in STEPWISE_MODEL_NAMES else 'a signature'} "
                f"{clash!r}; give the prespecified model another name"
            )


def analysis_keys_markdown() -> str:
    """The documentation table of ``analysis:`` (docs/study-file.md holds exactly this text)."""
    lines = ["| key | allowed | default | meaning |", "|---|---|---|---|"]
    for k in ANALYSIS_KEYS:
        default = (
            "—"
            if k.default is None
            else (str(k.default).lower() if isinstance(k.default, bool) else f"`{k.default}`")
        )
        lines.append(f"| `{k.name}` | {k.allowed()} | {default} | {k.doc} |")
    return "\n".join(lines)
