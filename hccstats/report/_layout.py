"""The report's layout (the study file's ``report:`` section): which sections are rendered and
in which order, which tables and figures are supplementary, and their numbers.

The stages compute in their fixed order and number their tables and figures as they render
them; :func:`arrange` then puts the sections in the layout's order, leaves out those not
listed and those the study has no data for, and renumbers every table and figure in the
rendered order (main: Table 1, 2, …, Fig. 1, …; supplementary: Supplementary Table 1, …,
Supplementary Fig. 1, …), rewriting the references to them in captions, footnotes and text.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from hccstats.study import layout_defaults
from reports import Figure, Report, Table, Text

from ._context import Context
from ._stages import asked

__all__ = ["layout", "left_out", "not_part_sentence", "rendered", "arrange"]

# the name in the methods of a stage the study does not ask for, and why; the stages not named
# (the Cox stage of a study with a binary outcome, the survival section beside a binary outcome
# of a survival-only study) are another design's analysis, not a part this study lacks
_LOGISTIC = "logistic models (no binary outcome)"
_NOT_ASKED = {
    "agreement": lambda ctx: "reader agreement (no readers)",
    "features": lambda ctx: "deep-learning signatures (no images or features)",
    "survival": lambda ctx: None if ctx.analysis.survival else "time to the event (no survival)",
    "univariate": lambda ctx: _LOGISTIC,
    "models": lambda ctx: _LOGISTIC,
    "performance": lambda ctx: _LOGISTIC,
    "rcheck": lambda ctx: "R cross-check (--no-r)",
}
_LABEL = re.compile(r"(Supplementary Table|Supplementary Fig\.|Table|Fig\.) (\d+)(?!\d)")


def layout(ctx: Context) -> dict[str, Any]:
    """The study's ``report:`` layout (the defaults without one)."""
    return ctx.analysis.report.layout or layout_defaults()


def left_out(ctx: Context) -> list[str]:
    """The stages the study does not ask for (no data for them), in the computed order."""
    return [
        k
        for k, status in ctx.stage_status.items()
        if status == "not available" and not asked(ctx, k)
    ]


def not_part_sentence(ctx: Context) -> str:
    """ "Not part of this study: reader agreement (no readers), …" ("" when every stage is)."""
    named = [_NOT_ASKED[k](ctx) for k in left_out(ctx) if k in _NOT_ASKED]
    named = list(dict.fromkeys(n for n in named if n))
    return "Not part of this study: " + ", ".join(named) + "." if named else ""


def _supplementary(old: str, key: str, lay: dict) -> bool:
    """Whether a table or figure is supplementary: its section is listed under
    ``report.supplementary``, or (without that list) its stage made it so."""
    if lay.get("supplementary") is None:
        return old.startswith("Supplementary")
    return key in lay["supplementary"]


def _numbers(ordered: list[tuple[str, Any]], lay: dict) -> dict[str, str]:
    """Old label ("Table 3", "Fig. 2") -> its number in the rendered order."""
    count: dict[str, int] = {}
    new: dict[str, str] = {}
    for key, section in ordered:
        for b in section.blocks:
            if not isinstance(b, (Table, Figure)):
                continue
            m = _LABEL.match(b.caption)
            if not m or m.group(0) in new:
                continue
            kind = "Table" if m.group(1).endswith("Table") else "Fig."
            if _supplementary(m.group(1), key, lay):
                kind = "Supplementary " + kind
            count[kind] = count.get(kind, 0) + 1
            new[m.group(0)] = f"{kind} {count[kind]}"
    return new


def _not_shown(sections, new: dict[str, str]) -> dict[str, str]:
    """The labels of the tables and figures of sections not rendered -> "table not shown" /
    "figure not shown" (a reference to them never reads as another table's new number)."""
    out = {}
    for section in sections:
        for b in section.blocks:
            m = _LABEL.match(getattr(b, "caption", "") or "")
            if m and m.group(0) not in new:
                out[m.group(0)] = "table not shown" if "Table" in m.group(1) else "figure not shown"
    return out


def rendered(ctx: Context) -> Report:
    """The report as it will be rendered: the sections of the layout, in its order, without
    those the study has no data for (what the TRIPOD+AI checklist may point to); the whole
    report of a context whose sections are not keyed by stage."""
    if not getattr(ctx, "sections", None):
        return ctx.report
    lay, dropped = layout(ctx), set(left_out(ctx))
    keys = [k for k in lay["sections"] if k in ctx.sections and k not in dropped]
    return Report(ctx.report.title, sections=[ctx.sections[k] for k in keys])


def _renumber(text: str, new: dict[str, str]) -> str:
    return _LABEL.sub(lambda m: new.get(m.group(0), m.group(0)), text)


def _renumber_frame(data: pd.DataFrame, new: dict[str, str]) -> pd.DataFrame:
    """The table's text cells with the new numbers (a new frame: a stage's result is never
    written into)."""
    text = data.select_dtypes(include=["object", "string"]).columns
    if not len(text):
        return data
    out = data.copy()
    for c in text:
        out[c] = [_renumber(v, new) if isinstance(v, str) else v for v in out[c]]
    return out


def _renumber_results(value: Any, new: dict[str, str], tables: dict[int, pd.DataFrame]) -> Any:
    """results.json's texts with the new numbers, and each table a rendered table shows
    replaced by the renumbered one (into dicts and lists)."""
    if isinstance(value, str):
        return _renumber(value, new)
    if isinstance(value, pd.DataFrame):
        return tables.get(id(value), value)
    if isinstance(value, dict):
        return {k: _renumber_results(v, new, tables) for k, v in value.items()}
    if isinstance(value, list):
        return [_renumber_results(v, new, tables) for v in value]
    return value


def arrange(ctx: Context) -> None:
    """Order, leave out and renumber the report's sections (see the module's docstring);
    results.json and methods.md get the same numbers."""
    lay = layout(ctx)
    dropped = set(left_out(ctx))
    ordered = [
        (k, ctx.sections[k]) for k in lay["sections"] if k in ctx.sections and k not in dropped
    ]
    new = _numbers(ordered, lay)
    shown = {id(s) for _, s in ordered}
    new.update(_not_shown([s for s in ctx.sections.values() if id(s) not in shown], new))
    if all(old == now for old, now in new.items()):
        ctx.report.sections = [s for _, s in ordered]
        return
    tables: dict[int, pd.DataFrame] = {}
    for _, section in ordered:
        section.message = _renumber(section.message, new)
        for b in section.blocks:
            if isinstance(b, Table):
                b.caption, b.footnote = _renumber(b.caption, new), _renumber(b.footnote, new)
                shown = _renumber_frame(b.data, new)
                tables[id(b.data)] = shown
                b.data = shown
            elif isinstance(b, Figure):
                b.caption = _renumber(b.caption, new)
            elif isinstance(b, Text):
                b.text = _renumber(b.text, new)
    ctx.report.sections = [s for _, s in ordered]
    ctx.results.update(_renumber_results(ctx.results, new, tables))
    ctx.methods.update({k: _renumber(v, new) for k, v in ctx.methods.items()})
