"""The study file's ``report:`` section: which sections the report shows, in which order,
which are supplementary, which nomogram engine draws the models, and whether the R-check
table goes into report.docx. Validated at load (one-line :class:`hccstats.InputError`)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .._errors import InputError, listed, short_repr

__all__ = ["SECTION_KEYS", "NOMOGRAM_ENGINES", "LAYOUT_KEYS", "read_layout", "layout_defaults"]

#: the report's sections, by the keys of their stages, in the order they are computed
SECTION_KEYS = (
    "flow",
    "baseline",
    "agreement",
    "features",
    "univariate",
    "models",
    "performance",
    "survival",
    "cox",
    "rcheck",
    "methods",
)
NOMOGRAM_ENGINES = ("rms", "native", "both")
LAYOUT_KEYS = ("sections", "supplementary", "nomogram", "r_check_in_docx")


def layout_defaults() -> dict[str, Any]:
    """The layout of a study without ``report:`` (every section in the computed order, each
    table's own main/supplementary choice, one nomogram per model (rms's, the native one
    without R), the R-check table out of report.docx)."""
    return {
        "sections": SECTION_KEYS,
        "supplementary": None,
        "nomogram": "rms",
        "r_check_in_docx": False,
    }


def _hint(name: str, known: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(name.lower(), known, 1)
    return f"; did you mean {near[0]!r}?" if near else ""


def _keys(value: Any, yaml_name: str, where: str) -> tuple[str, ...]:
    """A list of section keys, each known and named once."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(
            f"{yaml_name}: report.{where}: expected a list of section names, got "
            f"{short_repr(value)}"
        )
    for v in value:
        if v not in SECTION_KEYS:
            raise InputError(
                f"{yaml_name}: report.{where}: unknown section {v!r}{_hint(v, SECTION_KEYS)} "
                f"(allowed: {', '.join(SECTION_KEYS)})"
            )
    twice = sorted({v for v in value if value.count(v) > 1})
    if twice:
        raise InputError(f"{yaml_name}: report.{where}: section(s) listed twice: [{listed(twice)}]")
    return tuple(value)


def read_layout(raw: Any, yaml_name: str) -> dict[str, Any]:
    """Validate ``report:``; returns the full layout (defaults for the keys not given).

    Raises :class:`hccstats.InputError` (one line: ``study.yaml: report.KEY: ...``) for an
    unknown key (with the closest known one), an unknown or repeated section name, an empty
    ``sections`` list, a nomogram engine other than rms, native or both, or a
    ``r_check_in_docx`` that is not true or false.
    """
    out = layout_defaults()
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise InputError(
            f"{yaml_name}: report: expected a mapping, got {type(raw).__name__} {short_repr(raw)}"
        )
    for name, value in raw.items():
        name = str(name)
        if name not in LAYOUT_KEYS:
            raise InputError(
                f"{yaml_name}: report: unknown key {name!r}{_hint(name, LAYOUT_KEYS)} "
                f"(allowed: {', '.join(LAYOUT_KEYS)}; see docs/report.md)"
            )
        if name in ("sections", "supplementary"):
            out[name] = _keys(value, yaml_name, name)
            if name == "sections" and not out[name]:
                raise InputError(f"{yaml_name}: report.sections: expected at least one section")
        elif name == "nomogram":
            if value not in NOMOGRAM_ENGINES:
                raise InputError(
                    f"{yaml_name}: report.nomogram: expected one of {', '.join(NOMOGRAM_ENGINES)}, "
                    f"got {short_repr(value)}"
                )
            out[name] = value
        elif not isinstance(value, bool):
            raise InputError(
                f"{yaml_name}: report.{name}: expected true or false, got {short_repr(value)}"
            )
        else:
            out[name] = value
    return out
