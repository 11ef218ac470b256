"""Reading and validating the study.yaml file (the schema; no tables are read here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import InputError
from ._analysis import read_analysis

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


def _fail(yaml_name: str, where: str, msg: str) -> InputError:
    return InputError(f"{yaml_name}: {where}: {msg}")


def _mapping(value: Any, yaml_name: str, where: str) -> dict:
    if not isinstance(value, Mapping):
        raise _fail(yaml_name, where, f"expected a mapping, got {type(value).__name__} {value!r}")
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
            yaml_name, where, f"unknown key(s) {sorted(unknown)}; allowed: {', '.join(allowed)}"
        )
    return value


def _string(value: Any, yaml_name: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(yaml_name, where, f"expected a non-empty string, got {value!r}")
    return value


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
                yaml_name, f"{where}.{name}.levels", f"expected a non-empty list, got {levels!r}"
            )
        keys = [str(v) for v in levels]
        if len(set(keys)) != len(keys):
            raise _fail(yaml_name, f"{where}.{name}.levels", f"duplicate levels in {levels!r}")
        if vtype == "binary" and len(levels) != 2:
            raise _fail(
                yaml_name,
                f"{where}.{name}.levels",
                f"a binary variable needs exactly 2 levels, got {levels!r}",
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


def _split(spec: Any, seed: int, yaml_name: str, center: str | None = None) -> dict:
    if spec is None:
        spec = {"method": "random"}
    spec = _mapping(spec, yaml_name, "split")
    if "column" in spec:
        unknown = set(spec) - {"column", "training", "validation", "method"}
        if unknown or spec.get("method", "column") != "column":
            raise _fail(
                yaml_name,
                "split",
                f"a given split takes keys column, training, validation; got {sorted(spec)}",
            )
        return {
            "method": "column",
            "column": _string(spec["column"], yaml_name, "split.column"),
            "training": str(spec.get("training", "training")),
            "validation": str(spec.get("validation", "validation")),
        }
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
            f"unknown key(s) {sorted(unknown)}; allowed: method, ratio, "
            "stratify, seed (or column, training, validation)",
        )
    ratio = spec.get("ratio", 0.7)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1:
        raise _fail(
            yaml_name, "split.ratio", f"expected a number strictly between 0 and 1, got {ratio!r}"
        )
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
            f"expected true, false or a list of column names, got {spec.get('stratify')!r}",
        )
    if "center" in stratify and not center:
        raise _fail(
            yaml_name,
            "split.stratify",
            "'center' named, but the study has no centre column (top-level key center)",
        )
    split_seed = spec.get("seed", seed)
    if isinstance(split_seed, bool) or not isinstance(split_seed, int):
        raise _fail(yaml_name, "split.seed", f"expected an integer, got {split_seed!r}")
    return {
        "method": "random",
        "ratio": float(ratio),
        "stratify": stratify,
        "seed": split_seed,
        "seed_from": "split.seed" if "seed" in spec else "seed",
    }


def _readers(spec: Any, yaml_name: str) -> dict | None:
    if spec is None:
        return None
    spec = _section(
        spec, yaml_name, "readers", ("file", "id", "reader", "session", "features"), "file"
    )
    feats = _mapping(spec.get("features"), yaml_name, "readers.features")
    if not feats:
        raise _fail(yaml_name, "readers.features", "no features declared")
    return {
        "file": _string(spec.get("file"), yaml_name, "readers.file"),
        "id": _string(spec.get("id", "patient_id"), yaml_name, "readers.id"),
        "reader": _string(spec.get("reader", "reader"), yaml_name, "readers.reader"),
        "session": _string(spec.get("session", "session"), yaml_name, "readers.session"),
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
        raise _fail(yaml_name, "images.tumour_label", f"expected an integer, got {label!r}")
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
        raise _fail(yaml_name, "features.phases", f"expected a list of phase names, got {phases!r}")
    return {
        "dir": _string(spec.get("dir", "features"), yaml_name, "features.dir"),
        "phases": phases,
    }


def _survival(spec: Any, yaml_name: str) -> dict | None:
    """``survival: {time: col, event: col, horizon: number}`` (time to event beside the outcome)."""
    if spec is None:
        return None
    spec = _section(spec, yaml_name, "survival", ("time", "event", "horizon"))
    for key in ("time", "event", "horizon"):
        if spec.get(key) is None:
            raise _fail(
                yaml_name, f"survival.{key}", "missing (time, event and horizon are needed)"
            )
    horizon = spec["horizon"]
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float)) or not horizon > 0:
        raise _fail(yaml_name, "survival.horizon", f"expected a positive number, got {horizon!r}")
    out = {
        "time": _string(spec["time"], yaml_name, "survival.time"),
        "event": _string(spec["event"], yaml_name, "survival.event"),
        "horizon": float(horizon),
    }
    if out["time"] == out["event"]:
        raise _fail(yaml_name, "survival", f"time and event are the same column {out['time']!r}")
    return out


def read_config(path: Path) -> dict:
    """Parse and validate study.yaml; returns a normalised dict (see docs/study-file.md)."""
    import yaml

    name = path.name
    if not path.is_file():
        raise InputError(f"{path}: study file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise InputError(
            f"{name}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    raw = _mapping(raw, name, "top level")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise _fail(
            name, "top level", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
        )

    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _fail(name, "seed", f"expected an integer, got {seed!r}")

    for key in ("clinical", "outcome"):
        if raw.get(key) is None:
            raise _fail(name, key, "missing (a required section)")
    clinical = _section(raw["clinical"], name, "clinical", ("file", "id", "exclude"), "file")
    clinical = {
        "file": _string(clinical.get("file"), name, "clinical.file"),
        "id": _string(clinical.get("id", "patient_id"), name, "clinical.id"),
        "exclude": clinical.get("exclude"),
    }
    if clinical["exclude"] is not None:
        _string(clinical["exclude"], name, "clinical.exclude")

    outcome = _section(raw["outcome"], name, "outcome", ("column", "positive", "label"), "column")
    column = _string(outcome.get("column"), name, "outcome.column")
    outcome = {
        "column": column,
        "positive": outcome.get("positive", 1),
        "label": str(outcome.get("label", column)),
    }

    center = raw.get("center")
    if center is not None:
        center = _string(center, name, "center")

    variables = _mapping(raw.get("variables") or {}, name, "variables")
    variables = {str(k): _variable(str(k), v, name, "variables") for k, v in variables.items()}
    images = _images(raw.get("images"), name)
    analysis = read_analysis(raw.get("analysis"), variables, name)
    return {
        "name": _study_name(raw.get("name", path.parent.name), name),
        "description": raw.get("description"),
        "seed": seed,
        "clinical": clinical,
        "outcome": outcome,
        "center": center,
        "split": _split(raw.get("split"), seed, name, center),
        "variables": variables,
        "readers": _readers(raw.get("readers"), name),
        "images": images,
        "features": _features(raw.get("features"), images, name),
        "analysis": analysis,
        "survival": _survival(raw.get("survival"), name),
    }
