"""The time to the event as the report names it: its label and unit (``survival.label``,
``survival.unit``, else the time variable's declared label and unit) in table headers, axes
and the methods."""

from __future__ import annotations

from ._context import Context

__all__ = ["time_unit", "time_label", "time_axis", "at_horizon", "units_sentence"]


def _variable(ctx: Context, time: str):
    return (getattr(ctx.study, "variables", None) or {}).get(time)


def _survival(ctx: Context) -> dict:
    return getattr(ctx.study, "survival", None) or {}


def time_unit(ctx: Context, time: str) -> str | None:
    """The time's unit ("months"): ``survival.unit``, else the time variable's declared unit;
    None when the study declares none."""
    unit = _survival(ctx).get("unit") or getattr(_variable(ctx, time), "unit", None)
    return unit or None


def time_label(ctx: Context, time: str) -> str:
    """The time's label: ``survival.label``, else the time variable's label, else its column."""
    label = _survival(ctx).get("label") or getattr(_variable(ctx, time), "label", None)
    return label or time


def time_axis(ctx: Context, time: str) -> str:
    """ "Time to recurrence (months)": the label and, when declared, the unit."""
    unit = time_unit(ctx, time)
    return f"{time_label(ctx, time)} ({unit})" if unit else time_label(ctx, time)


def at_horizon(ctx: Context, time: str, t: float) -> str:
    """ "24 months" (or "24" without a declared unit): a time in the time's unit."""
    unit = time_unit(ctx, time)
    return f"{t:g} {unit}" if unit else f"{t:g}"


def units_sentence(ctx: Context, time: str, horizon: float) -> str:
    """ "Times are in months (...); horizon 24 months." (or that no unit was declared)."""
    unit, label = time_unit(ctx, time), time_label(ctx, time)
    what = f"{label}, column {time}" if label != time else time
    if unit:
        return f"Times are in {unit} (the time to the event: {what}); horizon {horizon:g} {unit}. "
    return (
        f"The time to the event ({what}) has no declared unit (set survival.unit in the study "
        f"file); horizon {horizon:g} in the same units. "
    )
