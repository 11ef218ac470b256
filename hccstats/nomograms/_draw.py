"""Draw a nomogram from its points table with matplotlib, laid out as rms's ``plot.nomogram``.

Rows top to bottom: the Points scale (0–maxscale, labels above), one axis per predictor (ticks
up, labels below; crowded labels alternate above/below as rms does), Total Points, Linear
Predictor and the risk axis, the last three on the total-points scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..plots import MIN_FONT_PT, MIN_LINE_PT, figure_width, journal_style
from ._rfuncs import r_format, r_pretty

__all__ = ["draw_nomogram", "native_geometry", "function_axes", "turn_sides", "FUNCTION_KINDS"]

_TICK = 0.14  # tick length, in rows
_PAD = 0.06


def _label_width(text: str, fontsize: float) -> float:
    """Rough width of ``text`` in inches (DejaVu Sans digits ≈ 0.64 em, letters ≈ 0.6 em)."""
    return 0.62 * fontsize / 72.0 * max(len(text), 1)


def _numeric(labels) -> bool:
    try:
        [float(t) for t in labels]
    except ValueError:
        return False
    return True


def _discrete(x: np.ndarray) -> bool:
    """Factor levels (no numeric value) or unevenly spaced values: label every tick, as rms does."""
    if np.isnan(x).any() or x.size < 3:
        return True
    steps = np.diff(x)
    return not np.allclose(steps, steps[0], rtol=1e-9, atol=0)


def _label_sides(pos, labels, widths, sign, *, discrete, sides):
    """Which side of the line each tick's label goes (+1 above, -1 below) and which are shown."""
    order = np.argsort(pos)
    side = np.full(pos.size, sign)
    show = np.ones(pos.size, bool)
    gaps = np.diff(pos[order])
    even = pos.size > 1 and gaps[0] > 0 and np.allclose(gaps, gaps[0], rtol=1e-6, atol=0)
    if sides is not None:
        # an axis that turns back: each run's labels on its side (rms), crowded ones left out
        side = np.asarray(sides, float)
        last_end = {1.0: -np.inf, -1.0: -np.inf}
        for i in order:
            s = float(side[i])
            show[i] = pos[i] - widths[i] / 2 >= last_end[s] + 0.004
            if show[i]:
                last_end[s] = pos[i] + widths[i] / 2
    elif not discrete and even and _numeric(labels):
        # evenly spaced numbers: label every k-th tick so labels do not overlap (as R's axis() drops them)
        show[:] = False
        k = 1
        while gaps[0] * k < widths.max() + 0.006 and k < pos.size:
            k += 1
        show[order[::k]] = True
    else:
        # levels and uneven values (risk): alternate the side when neighbours would overlap, as rms
        # does for factors, so every tick keeps its label
        last_end = {1.0: -np.inf, -1.0: -np.inf}
        for i in order:
            free = [s for s in (sign, -sign) if pos[i] - widths[i] / 2 >= last_end[s] + 0.004]
            if not free:  # both sides taken: leave this tick unlabelled rather than overprint
                show[i] = False
                continue
            side[i] = free[0]
            last_end[free[0]] = pos[i] + widths[i] / 2
    return side, show


def _draw_labels(ax, y, tick, pos, labels, side, show, widths, fontsize):
    """Write the shown labels beside their ticks; returns the x extent [left, right] they need."""
    extent = [0.0, 1.0]
    for p, text, s, visible, wd in zip(pos, labels, side, show, widths):
        if not visible:
            continue
        extent = [min(extent[0], p - wd / 2), max(extent[1], p + wd / 2)]
        if s > 0:
            ax.text(
                p,
                y + (_TICK if tick > 0 else 0) + _PAD,
                text,
                ha="center",
                va="bottom",
                fontsize=fontsize,
            )
        else:
            ax.text(
                p,
                y - (_TICK if tick < 0 else 0) - _PAD,
                text,
                ha="center",
                va="top",
                fontsize=fontsize,
            )
    return extent


def _axis(
    ax,
    y,
    pos,
    labels,
    *,
    above=False,
    fontsize=MIN_FONT_PT,
    width_in=5.0,
    minor=None,
    discrete=False,
    sides=None,
):
    """One nomogram axis at row ``y``: line, ticks at ``pos`` (0–1), labels (on the given
    ``sides`` of the line, +1 above and -1 below, when given)."""
    pos = np.asarray(pos, float)
    if pos.size == 0:
        return [0.0, 1.0]
    ax.plot([pos.min(), pos.max()], [y, y], color="black", lw=0.7, solid_capstyle="butt")
    sign = 1.0 if above else -1.0
    tick = -sign * _TICK  # ticks point away from the labels... as rms: labels above -> ticks down
    if minor is not None and len(minor):
        ax.vlines(minor, y, y + tick * 0.55, color="black", lw=MIN_LINE_PT)
    ax.vlines(pos, y, y + tick, color="black", lw=0.7)
    widths = np.array([_label_width(t, fontsize) / width_in for t in labels])
    side, show = _label_sides(pos, labels, widths, sign, discrete=discrete, sides=sides)
    return _draw_labels(ax, y, tick, pos, labels, side, show, widths, fontsize)


#: the kinds of the function axes under the linear predictor (risk; a Cox model's survival)
FUNCTION_KINDS = ("risk", "survival")


def function_axes(table: pd.DataFrame) -> list[str]:
    """The titles of the function axes (risk, survival), in table order."""
    return list(dict.fromkeys(table.loc[table["kind"].isin(FUNCTION_KINDS), "axis"]))


def turn_sides(x: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """Label sides of a numeric axis that turns back (a spline or polynomial that is not
    monotone), as rms's ``plot.nomogram``: the axis is cut where the points change direction
    (in the order of the values) and the runs are labelled below, above, below, ...; None for
    a monotone axis or factor levels."""
    if x.size < 3 or np.isnan(x).any():
        return None
    pts = points[np.argsort(x, kind="stable")]
    turns = np.concatenate([[False, False], np.diff(np.diff(pts) > 0) != 0])
    if not turns.any():
        return None
    run = np.cumsum(turns)  # run number of each tick, in the order of the values
    sides = np.where(run % 2 == 0, -1.0, 1.0)
    out = np.empty_like(sides)
    out[np.argsort(x, kind="stable")] = sides
    return out


def _layout(table: pd.DataFrame, width, show_lp: bool, points_label: str = "Points"):
    """Figure width, axis titles (rows), tick and title font sizes, and the axes' length (in)."""
    w = figure_width(width)
    axes_names = list(dict.fromkeys(table.loc[table["kind"] == "predictor", "axis"]))
    rows = [points_label, *axes_names, "Total Points"]
    if show_lp:
        rows.append("Linear Predictor")
    rows += function_axes(table)
    fontsize = MIN_FONT_PT  # tick labels: the smallest printed text
    title_size = 8 if w >= 5 else MIN_FONT_PT
    label_in = max(_label_width(r, title_size) for r in rows)
    return w, rows, fontsize, title_size, max(w - label_in - 0.3, 1.0)


def native_geometry(
    table: pd.DataFrame, width="double", show_lp: bool = True
) -> tuple[float, float]:
    """(inches per total point, tick-label font size) of the risk axis as :func:`draw_nomogram` draws it.

    The axes run over ``width_in`` inches for 0 to the largest total-points tick, inside an
    x range widened by at least 2% each side.
    """
    _, _, fontsize, _, width_in = _layout(table, width, show_lp)
    total = table.loc[table["kind"] == "total_points", "points"].to_numpy(float)
    return width_in / 1.04 / float(total.max()), fontsize


def _scale_axis(ax, y, ticks, scale, minor_step, fontsize, width_in, *, above=False):
    """A row of numbered ``ticks`` over 0–``scale`` (Points, Total Points), with minor ticks
    every ``minor_step`` (None: none)."""
    minor = None if minor_step is None else np.arange(0, scale + 1e-9, minor_step) / scale
    return _axis(
        ax,
        y,
        ticks / scale,
        [r_format(v) for v in ticks],
        above=above,
        fontsize=fontsize,
        width_in=width_in,
        minor=minor,
    )


def _points_scale(ax, y, maxscale, nint, fontsize, width_in):
    """The Points row: pretty ticks over 0–``maxscale``, fifth-step minor ticks, labels above."""
    major = r_pretty([0, maxscale], nint)
    step = major[1] - major[0] if major.size > 1 else maxscale
    return _scale_axis(ax, y, major, maxscale, step / 5, fontsize, width_in, above=True)


def _predictor_axis(ax, y, sub, maxscale, fontsize, width_in):
    """One predictor's row, from its rows of the points table."""
    return _axis(
        ax,
        y,
        sub["points"].to_numpy(float) / maxscale,
        list(sub["value"].astype(str)),
        fontsize=fontsize,
        width_in=width_in,
        discrete=_discrete(sub["x"].to_numpy(float)),
        sides=turn_sides(sub["x"].to_numpy(float), sub["points"].to_numpy(float)),
    )


def _total_axis(ax, y, total, total_max, fontsize, width_in):
    """The Total Points row, with quarter-step minor ticks."""
    tminor_step = (total[1] - total[0]) / 4 if total.size > 1 else None
    return _scale_axis(ax, y, total, total_max, tminor_step, fontsize, width_in)


def _total_scale_axis(ax, y, sub, kind, total_max, fontsize, width_in):
    """A row on the total-points scale (linear predictor, risk, survival): the ticks that fall
    inside the Total Points axis."""
    pos = sub["points"].to_numpy(float) / total_max
    keep = (pos >= -1e-9) & (pos <= 1 + 1e-9)
    lp_minor = None
    if kind == "linear_predictor" and keep.sum() > 1:
        # rms: half-step ticks between the linear-predictor labels
        x, p = sub["x"].to_numpy(float)[keep], pos[keep]
        half = np.arange(x[0], x[-1] + 1e-9 * abs(x[-1] - x[0]), (x[1] - x[0]) / 2)
        lp_minor = np.interp(half, x, p)
    return _axis(
        ax,
        y,
        pos[keep],
        list(sub["value"].astype(str)[keep]),
        fontsize=fontsize,
        width_in=width_in,
        minor=lp_minor,
    )


def draw_nomogram(
    table: pd.DataFrame,
    *,
    maxscale: float = 100,
    nint: int = 10,
    width: float | str = "double",
    show_lp: bool = True,
    points_label: str = "Points",
) -> Figure:
    """The nomogram figure of a points table (``Nomogram.points``); returns the Figure."""
    w, rows, fontsize, title_size, width_in = _layout(table, width, show_lp, points_label)
    preds = table[table["kind"] == "predictor"]
    axes_names = list(dict.fromkeys(preds["axis"]))
    bottom = table[table["kind"] != "predictor"]
    total = bottom[bottom["kind"] == "total_points"]["points"].to_numpy(float)
    total_max = float(total.max()) if total.size else float(maxscale)
    fun_axes = function_axes(table)
    with journal_style():
        fig = Figure(figsize=(w, 0.36 * len(rows) + 0.25), layout="constrained")
        ax = fig.subplots()
        ys = -np.arange(len(rows), dtype=float)
        extents = [_points_scale(ax, ys[0], maxscale, nint, fontsize, width_in)]
        for k, name in enumerate(axes_names, start=1):
            sub = preds[preds["axis"] == name]
            extents.append(_predictor_axis(ax, ys[k], sub, maxscale, fontsize, width_in))
        k = len(axes_names) + 1
        extents.append(_total_axis(ax, ys[k], total, total_max, fontsize, width_in))
        k += 1
        for kind, names in (
            ("linear_predictor", ["Linear Predictor"] if show_lp else []),
            (FUNCTION_KINDS, fun_axes),
        ):
            for name in names:
                sub = bottom[(bottom["kind"].isin(np.atleast_1d(kind))) & (bottom["axis"] == name)]
                extents.append(
                    _total_scale_axis(ax, ys[k], sub, kind, total_max, fontsize, width_in)
                )
                k += 1
        ax.set_yticks(ys, rows)
        ax.tick_params(axis="y", length=0, labelsize=title_size, pad=6)
        ax.set_xticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        left = min(e[0] for e in extents)
        right = max(e[1] for e in extents)
        ax.set_xlim(min(-0.02, left - 0.01), max(1.02, right + 0.01))
        ax.set_ylim(ys[-1] - 0.55, 0.55)
    return fig
