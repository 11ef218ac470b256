"""The nomograms of a survival-only report's Cox models: survival by the horizon.

Each Cox model's nomogram (``hccstats.nomogram(fit, times=horizon)``: points per predictor,
total points, linear predictor, the survival probability by the horizon) drawn by the
engine(s) of ``report.nomogram``, its survival axis titled with the time's unit and label
("5-year survival probability"); none for a fit that did not converge or whose coefficients
diverge (the report says why). The R check: the native engine's points scale and the place of
each survival tick equal rms's ``nomogram(cph, fun = function(lp) surv(horizon, lp))``.
"""

from __future__ import annotations

import functools

from reports import Section

from .._errors import InputError
from ._context import Context
from ._nomogram_figures import draw_nomograms, place_nomograms
from ._time import time_label, time_unit

__all__ = [
    "cox_nomogram_kw",
    "not_drawable",
    "render_cox_nomograms",
    "register_cox_nomogram_checks",
]

STAGE = "cox"


def _time_unit_label(ctx: Context, time: str) -> tuple[str | None, str | None]:
    """The time's unit and label: ``survival.unit`` / ``survival.label`` of the study file
    when given, else the time variable's ``unit`` and ``label``."""
    return time_unit(ctx, time), time_label(ctx, time)


def cox_nomogram_kw(ctx: Context, fit, time: str, horizon: float) -> dict:
    """The keywords of :func:`hccstats.nomogram` for a Cox model of the report."""
    from hccstats.logistic._terms import fit_columns
    from hccstats.nomograms._cox import survival_label

    unit, label = _time_unit_label(ctx, time)
    return {
        "times": horizon,
        "unit": unit,
        "fun_label": survival_label(horizon, unit, label),
        "labels": {c: ctx.label(c) for c in fit_columns(fit)},
        "fun_at": "auto",  # survival ticks chosen from the axis length: labels never overlap
    }


def not_drawable(fit) -> str:
    """Why a Cox fit gets no nomogram ("" when it does): not converged, or diverging
    coefficients (monotone likelihood: an event pattern separated by the predictors)."""
    import numpy as np

    from hccstats.survival._coxph import INFINITE_PER_SD

    sd = fit.X.std(axis=0)
    # a diverging estimate: huge per SD of its column (coxph's own warning), or its SE
    # vanishing beside it (the information of a coefficient run off to infinity is zero)
    big = [
        c
        for c, b, s, se in zip(fit.coef.index, fit.coef, sd, fit.se)
        if not (np.isfinite(b) and np.isfinite(se))
        or abs(b) * s > INFINITE_PER_SD
        or se <= 1e-8 * abs(b)
    ]
    if big:
        return (
            "not drawn: the coefficient(s) of "
            + ", ".join(repr(c) for c in big)
            + " diverge (monotone likelihood: the predictors separate an event pattern); a "
            "nomogram of them is no model"
        )
    if not fit.converged:
        return f"not drawn: the Cox fit did not converge in {fit.n_iter} iterations"
    return ""


def render_cox_nomograms(ctx: Context, section: Section, result) -> dict:
    """Draw each model's nomogram into ``section``; returns, per model, the engines and
    figures (or why none was drawn) for results.json."""
    from reports.model import slug

    out = {}
    unit, _ = _time_unit_label(ctx, result.time)
    at = f"{result.horizon:g}{' ' + unit if unit else ''}"
    for name, fit in result.fits.items():
        display = f"{name} nomogram"
        why = not_drawable(fit)
        if why:
            section.text(f"{display}: {why}.", "note")
            out[name] = {"not_drawn": why}
            continue
        stem = "fig_cox_nomogram_" + slug(name)
        try:
            drawn, r_error = draw_nomograms(
                ctx, fit, stem, **cox_nomogram_kw(ctx, fit, result.time, result.horizon)
            )
        except Exception as exc:
            text = " ".join(str(exc).split())[:200]
            section.text(
                f"{display}: the nomogram could not be drawn ({type(exc).__name__}: {text}).",
                "error",
            )
            out[name] = {"not_drawn": f"{type(exc).__name__}: {text}"}
            continue
        terms = ", ".join(ctx.label(t) for t in fit.terms)
        what = f"{display}: survival probability by {at} of the Cox model ({terms})"
        out[name] = place_nomograms(ctx, section, display, what, drawn, r_error)
    return out


def register_cox_nomogram_checks(ctx: Context, result) -> None:
    """The R check of each drawable model's nomogram: the native engine's points per unit of
    linear predictor and the total points of each survival tick against rms's."""
    from hccstats.nomograms import nomogram

    for name, fit in result.fits.items():
        if not_drawable(fit):
            continue
        kw = cox_nomogram_kw(ctx, fit, result.time, result.horizon)
        kw["fun_at"] = None  # rms's own ticks: the same on both sides, without a drawing
        try:
            ours = nomogram(fit, engine="python", **kw)
        except InputError:  # not drawable natively: the section says why; nothing to check
            continue

        @functools.cache
        def theirs(fit=fit, kw=kw):  # rms once per model, whatever the number of checks
            return nomogram(fit, engine="r", **kw)

        call = f"rms::nomogram(cph(...), fun = function(lp) Survival(f)({result.horizon:g}, lp))"
        ctx.check(
            STAGE,
            f"Cox nomogram {name}: points per unit of linear predictor",
            ours.points_per_unit,
            call,
            lambda theirs=theirs: theirs().points_per_unit,
            rtol=1e-6,
        )
        surv = ours.points[ours.points["kind"] == "survival"]
        for value, points in zip(surv["x"], surv["points"]):
            ctx.check(
                STAGE,
                f"Cox nomogram {name}: total points at survival {value:g}",
                points,
                call,
                lambda theirs=theirs, v=value: _tick_points(theirs(), v),
                rtol=0,
                atol=1e-6,
            )


def _tick_points(nom, value: float) -> float:
    rows = nom.points[(nom.points["kind"] == "survival") & (abs(nom.points["x"] - value) < 1e-12)]
    return float(rows["points"].iloc[0]) if len(rows) else float("nan")


def nomogram_methods(ctx: Context, result) -> str:
    """The methods sentence of the Cox nomograms ("" without a drawn one): the engines the
    drawings used (rendered before the methods are written)."""
    drawn = (ctx.results.get(STAGE) or {}).get("nomogram") or {}
    engines = {tuple(d.get("engines", ())) for d in drawn.values()} - {()}
    if not engines:
        return ""
    unit, _ = _time_unit_label(ctx, result.time)
    at = f"{result.horizon:g}{' ' + unit if unit else ''}"
    rms = "rms::nomogram of the rms::cph fit with fun = Survival(fit) at the horizon"
    native = "natively by hccstats with rms's arithmetic"
    if engines == {("r",)}:
        how = rms
    elif engines == {("python",)}:
        how = native
    elif engines == {("r", "python")}:
        how = f"{rms}, and {native} (the same points)"
    else:
        how = f"{rms}, or {native} where rms could not draw one"
    return f" Each model's nomogram gives the survival probability by {at} ({how})."
