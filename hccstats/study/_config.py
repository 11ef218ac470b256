"""Reading and validating the study.yaml file (the schema; no tables are read here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import InputError, listed, short_repr
from .._validation import check_seed
from ._analysis import check_model_names, read_analysis, survival_columns_as_candidates
from ._files import check_encoding
from ._layout import read_layout
from ._published import check_published
from ._yaml import read_yaml

__all__ = ["Variable", "VARIABLE_TYPES", "read_config", "template_fields", "MAX_NAME"]

MAX_NAME = (
    230  # characters of a study name: the DOCX title ("<name>: prediction-model report") holds 255
)

VARIABLE_TYPES = ("continuous", "categorical", "ordinal", "binary")
_TOP_KEYS = {
    "name",
    "seed",
    "clinical",
    "outcome",
    "center",
    "split",
    "variables",
    "readers",
    "images",
    "features",
    "analysis",
    "description",
    "survival",
    "report",
}


@dataclass(frozen=True)
class Variable:
    """One declared variable of the study.

    ``levels`` is a tuple for categorical, ordinal and binary variables (first level =
    reference), ``None`` for continuous ones. ``display`` is ``"label (unit)"``.
    """

    name: str
    type: str
    label: str
    unit: str | None = None
    levels: tuple | None = None

    @property
    def display(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


#: ``sep:`` spellings of a tab besides a tab character (YAML's ``"\t"``)
_SEP_ALIASES = {"tab": "\t", "\\t": "\t"}
_TABLE_FORMAT = ("encoding", "sep")


def _fail(yaml_name: str, where: str, msg: str) -> InputError:
    return InputError(f"{yaml_name}: {where}: {msg}")


def _mapping(value: Any, yaml_name: str, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise _fail(
            yaml_name, where, f"expected a mapping, got {type(value).__name__} {short_repr(value)}"
        )
    return dict(value)


def _section(
    value: Any, yaml_name: str, where: str, allowed: tuple[str, ...], shorthand: str | None = None
) -> dict:
    """A mapping section with only ``allowed`` keys; a plain string means ``{shorthand: value}``."""
    if isinstance(value, str) and shorthand:
        value = {shorthand: value}
    value = _mapping(value, yaml_name, where)
    unknown = set(value) - set(allowed)
    if unknown:
        raise _fail(
            yaml_name,
            where,
            f"unknown key(s) [{listed(sorted(map(str, unknown)))}]; allowed: {', '.join(allowed)}",
        )
    return value


def _string(value: Any, yaml_name: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(yaml_name, where, f"expected a non-empty string, got {short_repr(value)}")
    return value


def _table_format(spec: dict, yaml_name: str, where: str) -> dict:
    """``encoding`` (default utf-8) and ``sep`` (default a comma) of a CSV table."""
    encoding = check_encoding(spec.get("encoding", "utf-8"), f"{yaml_name}: {where}.encoding")
    sep = spec.get("sep", ",")
    sep = _SEP_ALIASES.get(sep, sep) if isinstance(sep, str) else sep
    if not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n':
        raise _fail(
            yaml_name,
            f"{where}.sep",
            f"expected one character (',', ';', or \"\\t\" for a tab), got {short_repr(sep)}",
        )
    return {"encoding": encoding, "sep": sep}


def _variable(name: str, spec: Any, yaml_name: str, where: str) -> Variable:
    spec = _section(spec, yaml_name, f"{where}.{name}", ("type", "label", "unit", "levels"), "type")
    vtype = spec.get("type")
    if vtype not in VARIABLE_TYPES:
        raise _fail(
            yaml_name,
            f"{where}.{name}.type",
            f"unknown variable type {vtype!r}; expected one of {', '.join(VARIABLE_TYPES)}",
        )
    levels = spec.get("levels")
    if levels is not None:
        if vtype == "continuous":
            raise _fail(yaml_name, f"{where}.{name}.levels", "a continuous variable has no levels")
        if not isinstance(levels, (list, tuple)) or not levels:
            raise _fail(
                yaml_name,
                f"{where}.{name}.levels",
                f"expected a non-empty list, got {short_repr(levels)}",
            )
        keys = [str(v) for v in levels]
        if len(set(keys)) != len(keys):
            twice = [v for v in dict.fromkeys(keys) if keys.count(v) > 1]
            raise _fail(yaml_name, f"{where}.{name}.levels", f"duplicate levels {listed(twice)}")
        if vtype == "binary" and len(levels) != 2:
            raise _fail(
                yaml_name,
                f"{where}.{name}.levels",
                f"a binary variable needs exactly 2 levels, got {short_repr(levels)}",
            )
        levels = tuple(levels)
    unit = spec.get("unit")
    return Variable(
        name=name,
        type=vtype,
        label=str(spec.get("label", name)),
        unit=None if unit is None else str(unit),
        levels=levels,
    )


def _split(spec: Any, yaml_name: str, center: str | None = None) -> dict:
    """The split as written: by a column, or random (``seed`` None unless ``split.seed`` is
    given: the analysis tree's ``split_seed`` is then the run seed)."""
    if spec is None:
        spec = {"method": "random"}
    spec = _mapping(spec, yaml_name, "split")
    if "column" in spec:
        return _column_split(spec, yaml_name)
    return _random_split(spec, yaml_name, center)


def _column_split(spec: dict, yaml_name: str) -> dict:
    """A split given by a column of the clinical table."""
    unknown = set(spec) - {"column", "training", "validation", "method"}
    if unknown or spec.get("method", "column") != "column":
        raise _fail(
            yaml_name,
            "split",
            "a given split takes keys column, training, validation; got "
            f"{listed(sorted(map(str, spec)))}",
        )
    return {
        "method": "column",
        "column": _string(spec["column"], yaml_name, "split.column"),
        "training": str(spec.get("training", "training")),
        "validation": str(spec.get("validation", "validation")),
    }


def _random_split(spec: dict, yaml_name: str, center: str | None) -> dict:
    """A random split: ratio, stratification and seed."""
    method = spec.get("method", "random")
    if method != "random":
        raise _fail(
            yaml_name,
            "split.method",
            f"unknown split method {method!r}; use 'random' or give 'column'",
        )
    unknown = set(spec) - {"method", "ratio", "stratify", "seed"}
    if unknown:
        raise _fail(
            yaml_name,
            "split",
            f"unknown key(s) [{listed(sorted(map(str, unknown)))}]; allowed: method, ratio, "
            "stratify, seed (or column, training, validation)",
        )
    ratio = spec.get("ratio", 0.7)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1:
        raise _fail(
            yaml_name,
            "split.ratio",
            f"expected a number strictly between 0 and 1, got {short_repr(ratio)}",
        )
    stratify = _stratify(spec, yaml_name, center)
    split_seed = (
        check_seed(spec["seed"], "the random split", name=f"{yaml_name}: split.seed")
        if "seed" in spec
        else None
    )
    return {"method": "random", "ratio": float(ratio), "stratify": stratify, "seed": split_seed}


def _stratify(spec: dict, yaml_name: str, center: str | None) -> list[str]:
    """The columns a random split is stratified by (``outcome``, ``center`` or columns)."""
    stratify = spec.get("stratify", True)
    if stratify is True:
        stratify = ["outcome", "center"] if center else ["outcome"]
    elif stratify is False or stratify is None:
        stratify = []
    elif isinstance(stratify, str):
        stratify = [stratify]
    if not isinstance(stratify, list) or not all(isinstance(s, str) for s in stratify):
        raise _fail(
            yaml_name,
            "split.stratify",
            "expected true, false or a list of column names, got "
            f"{short_repr(spec.get('stratify'))}",
        )
    if "center" in stratify and not center:
        raise _fail(
            yaml_name,
            "split.stratify",
            "'center' named, but the study has no centre column (top-level key center)",
        )
    return stratify


def _readers(spec: Any, yaml_name: str) -> dict | None:
    if spec is None:
        return None
    spec = _section(
        spec,
        yaml_name,
        "readers",
        ("file", "id", "reader", "session", "features", *_TABLE_FORMAT),
        "file",
    )
    feats = _mapping(spec.get("features"), yaml_name, "readers.features")
    if not feats:
        raise _fail(yaml_name, "readers.features", "no features declared")
    return {
        "file": _string(spec.get("file"), yaml_name, "readers.file"),
        "id": _string(spec.get("id", "patient_id"), yaml_name, "readers.id"),
        "reader": _string(spec.get("reader", "reader"), yaml_name, "readers.reader"),
        "session": _string(spec.get("session", "session"), yaml_name, "readers.session"),
        **_table_format(spec, yaml_name, "readers"),
        "features": {
            str(k): _variable(str(k), v, yaml_name, "readers.features") for k, v in feats.items()
        },
    }


def _images(spec: Any, yaml_name: str) -> dict | None:
    if spec is None:
        return None
    spec = _section(spec, yaml_name, "images", ("phases", "mask", "tumour_label", "mask_threshold"))
    phases = _mapping(spec.get("phases"), yaml_name, "images.phases")
    if not phases:
        raise _fail(yaml_name, "images.phases", "no phases declared")
    phases = {str(k): _string(v, yaml_name, f"images.phases.{k}") for k, v in phases.items()}
    mask = spec.get("mask")
    if isinstance(mask, str):
        masks = {p: mask for p in phases}
    else:
        masks = _mapping(mask, yaml_name, "images.mask")
        missing = set(phases) - set(masks)
        if missing:
            raise _fail(
                yaml_name, "images.mask", f"no mask template for phase(s) {sorted(missing)}"
            )
        masks = {p: _string(masks[p], yaml_name, f"images.mask.{p}") for p in phases}
    for where, tmpl in [
        *((f"images.phases.{p}", t) for p, t in phases.items()),
        *((f"images.mask.{p}", t) for p, t in masks.items()),
    ]:
        fields = template_fields(tmpl, yaml_name, where)
        if "patient_id" not in fields:
            raise _fail(yaml_name, where, f"path template {tmpl!r} lacks '{{patient_id}}'")
    label = spec.get("tumour_label", 1)
    if isinstance(label, bool) or not isinstance(label, int):
        raise _fail(
            yaml_name, "images.tumour_label", f"expected an integer, got {short_repr(label)}"
        )
    threshold = spec.get("mask_threshold")  # read by extract: a fraction of the tumour label
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not 0 < threshold <= 1
    ):
        raise _fail(
            yaml_name,
            "images.mask_threshold",
            f"expected a number above 0 and at most 1, got {threshold!r}",
        )
    images = {"phases": phases, "mask": masks, "tumour_label": label}
    return images if threshold is None else {**images, "mask_threshold": threshold}


def template_fields(tmpl: str, yaml_name: str, where: str) -> list[str]:
    """The placeholders of a path template; InputError for any but ``{patient_id}`` or bad braces."""
    import string

    try:
        parsed = list(string.Formatter().parse(tmpl))
    except ValueError as exc:
        raise _fail(
            yaml_name, where, f"path template {tmpl!r}: {exc} (write {{{{ for a brace)"
        ) from None
    fields = [f for _, f, _, _ in parsed if f is not None]
    bad = [f for f in fields if f != "patient_id"]
    if bad:
        raise _fail(
            yaml_name,
            where,
            f"path template {tmpl!r}: unknown placeholder {{{bad[0]}}}; "
            "the only placeholder is {patient_id}",
        )
    return fields


def _study_name(value: Any, yaml_name: str) -> str:
    text = str(value)
    if not text.strip() or len(text) > MAX_NAME or any(c in text for c in "\r\n\x00"):
        raise _fail(
            yaml_name,
            "name",
            f"expected one line of 1 to {MAX_NAME} characters, got {len(text)} characters "
            f"({text[:40]!r}{'...' if len(text) > 40 else ''})",
        )
    return text


def _features(spec: Any, images: dict | None, yaml_name: str) -> dict | None:
    if spec is None:
        return None
    spec = _section(spec, yaml_name, "features", ("dir", "phases"), "dir")
    phases = spec.get("phases")
    if phases is None:
        phases = list(images["phases"]) if images else None
    elif not isinstance(phases, list) or not all(isinstance(p, str) for p in phases):
        raise _fail(
            yaml_name,
            "features.phases",
            f"expected a list of phase names, got {short_repr(phases)}",
        )
    return {
        "dir": _string(spec.get("dir", "features"), yaml_name, "features.dir"),
        "phases": phases,
    }


def _survival(spec: Any, yaml_name: str) -> dict | None:
    """``survival: {time: col, event: col, horizon: number, label: text, unit: text}`` (time to
    event beside the outcome; ``label`` and ``unit`` name the time in tables, axes and methods)."""
    if spec is None:
        return None
    spec = _section(spec, yaml_name, "survival", ("time", "event", "horizon", "label", "unit"))
    for key in ("time", "event", "horizon"):
        if spec.get(key) is None:
            raise _fail(
                yaml_name, f"survival.{key}", "missing (time, event and horizon are needed)"
            )
    horizon = spec["horizon"]
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float)) or not horizon > 0:
        raise _fail(
            yaml_name, "survival.horizon", f"expected a positive number, got {short_repr(horizon)}"
        )
    out = {
        "time": _string(spec["time"], yaml_name, "survival.time"),
        "event": _string(spec["event"], yaml_name, "survival.event"),
        "horizon": float(horizon),
    }
    if out["time"] == out["event"]:
        raise _fail(yaml_name, "survival", f"time and event are the same column {out['time']!r}")
    for key in ("label", "unit"):
        if spec.get(key) is not None:
            out[key] = _string(spec[key], yaml_name, f"survival.{key}")
    return out


def read_config(path: Path) -> dict:
    """Parse and validate study.yaml; returns a normalised dict (see docs/study-file.md)."""
    name = path.name
    raw = _top_level(path)
    seed = check_seed(raw.get("seed", 0), "the analysis", name=f"{name}: seed")
    clinical = _clinical(raw, name)
    survival = _survival(raw.get("survival"), name)
    outcome = _outcome(raw.get("outcome"), survival, name)

    center = raw.get("center")
    if center is not None:
        center = _string(center, name, "center")

    variables = _mapping(raw.get("variables") or {}, name, "variables")
    variables = {str(k): _variable(str(k), v, name, "variables") for k, v in variables.items()}
    images = _images(raw.get("images"), name)
    features = _features(raw.get("features"), images, name)
    analysis = _checked_analysis(raw, variables, outcome, survival, images, features, name)
    return {
        "name": _study_name(raw.get("name", path.parent.name), name),
        "description": raw.get("description"),
        "seed": seed,
        "seed_given": "seed" in raw,
        "clinical": clinical,
        "outcome": outcome,
        "center": center,
        "split": _split(raw.get("split"), name, center),
        "variables": variables,
        "readers": _readers(raw.get("readers"), name),
        "images": images,
        "features": features,
        "analysis": analysis,
        "survival": survival,
        "report": read_layout(raw.get("report"), name),
        "endpoint": "binary" if raw.get("outcome") is not None else "survival",
    }


def _top_level(path: Path) -> dict:
    """The study file read, as a mapping of known top-level keys."""
    name = path.name
    if not path.is_file():
        raise InputError(f"{path}: study file not found")
    raw = read_yaml(path)
    if raw is None:
        raise InputError(f"{name}: the study file is empty")
    raw = _mapping(raw, name, "top level")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise _fail(
            name,
            "top level",
            f"unknown key(s) [{listed(sorted(map(str, unknown)))}]; allowed: {sorted(_TOP_KEYS)}",
        )
    return raw


def _clinical(raw: dict, name: str) -> dict:
    """The ``clinical:`` section (and the check that the study has an endpoint)."""
    if raw.get("clinical") is None:
        raise _fail(name, "clinical", "missing (a required section)")
    if raw.get("outcome") is None and raw.get("survival") is None:
        raise _fail(
            name,
            "outcome",
            "missing: give outcome (a binary endpoint) or survival (time, event, horizon)",
        )
    clinical = _section(
        raw["clinical"], name, "clinical", ("file", "id", "exclude", *_TABLE_FORMAT), "file"
    )
    clinical = {
        "file": _string(clinical.get("file"), name, "clinical.file"),
        "id": _string(clinical.get("id", "patient_id"), name, "clinical.id"),
        "exclude": clinical.get("exclude"),
        **_table_format(clinical, name, "clinical"),
    }
    if clinical["exclude"] is not None:
        _string(clinical["exclude"], name, "clinical.exclude")
    return clinical


def _checked_analysis(raw, variables, outcome, survival, images, features, name) -> dict:
    """The ``analysis:`` tree, checked against the variables, phases and endpoint."""
    roles = _roles(outcome["column"], survival)
    analysis = read_analysis(raw.get("analysis"), variables, name, roles=roles)
    phases = list(images["phases"]) if images else (features or {}).get("phases")
    check_model_names(
        {**(analysis.get("models") or {}), **(analysis.get("published") or {})}, phases, name
    )
    check_published(
        analysis.get("published") or {},
        variables,
        survival_only=raw.get("outcome") is None,
        ordinal_as=analysis.get("ordinal_as", "numeric"),
        horizon=(survival or {}).get("horizon"),
        yaml_name=name,
    )
    survival_columns_as_candidates(analysis, variables, roles, name)
    return analysis


def _outcome(spec: Any, survival: dict | None, yaml_name: str) -> dict:
    """``outcome: {column, positive, label}``; without it (a survival-only study) the event
    column of ``survival:`` stands as the outcome (1 = event), for the flow, Table 1 and the
    split's strata."""
    if spec is None:
        if survival is None:
            raise _fail(
                yaml_name,
                "outcome",
                "missing: give outcome (a binary endpoint) or survival (time, event, horizon)",
            )
        return {"column": survival["event"], "positive": 1, "label": survival["event"]}
    spec = _section(spec, yaml_name, "outcome", ("column", "positive", "label"), "column")
    column = _string(spec.get("column"), yaml_name, "outcome.column")
    return {
        "column": column,
        "positive": spec.get("positive", 1),
        "label": str(spec.get("label", column)),
    }


def _roles(outcome: str, survival: dict | None) -> dict[str, str]:
    """{column: what it is} of the columns that may not be predictors (they hold the outcome)."""
    roles = {outcome: "the outcome (outcome.column)"}
    if survival:
        roles[survival["time"]] = "the survival time (survival.time)"
        roles[survival["event"]] = "the survival event (survival.event)"
    return roles
