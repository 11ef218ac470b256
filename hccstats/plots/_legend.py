"""Legend placement that never covers a curve: try places inside the axes, else put it below."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._style import MIN_FONT_PT

__all__ = [
    "CALIBRATION_LOCS",
    "DECISION_LOCS",
    "LEGEND_FONTSIZE",
    "place_legend",
    "place_roc_legend",
    "legend_overlaps",
    "drawn_polylines",
]

#: pt: the smallest printed text ("Clinical model" / "AUC 0.882 (0.828–0.936)" on two lines
#: fits a single-column panel)
LEGEND_FONTSIZE = MIN_FONT_PT
#: where the legends of calibration and decision curves are tried, in order
CALIBRATION_LOCS = ("lower right", "upper left")
DECISION_LOCS = ("upper right", "lower left", "center right", "lower right", "upper left")
_LEGEND_FRAME = dict(
    frameon=True, fancybox=False, framealpha=0.85, facecolor="white", edgecolor="#BFBFBF"
)


def _renderer(fig):
    return fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()


def drawn_polylines(ax) -> list[np.ndarray]:
    """The data points of every line in ``ax``: its curves, and the segments of its line
    collections (a risk distribution's spikes), which a legend must not cover either."""
    out = [np.column_stack(line.get_data()).astype(float) for line in ax.get_lines()]
    for coll in ax.collections:
        if hasattr(coll, "get_segments"):
            out.extend(np.asarray(seg, dtype=float) for seg in coll.get_segments() if len(seg))
    return out


def place_legend(
    ax,
    locs: Sequence[str] = ("upper left", "lower right", "upper right", "lower left"),
    variants: Sequence[Sequence[str]] | None = None,
    *,
    ncol_below: int = 1,
):
    """Put the legend where no curve is; returns the Legend.

    Each label variant (e.g. one line per entry, then two lines) is tried at each of ``locs``
    in turn, in a white semi-opaque frame; the first that covers no curve and stays inside the
    axes wins. When none does, the legend goes below the axes (``ncol_below`` columns).
    """
    handles, labels = ax.get_legend_handles_labels()
    curves = drawn_polylines(ax)
    variants = [labels] if variants is None else [list(v) for v in variants]
    for texts in variants:
        for loc in locs:
            leg = ax.legend(
                handles,
                texts,
                loc=loc,
                handlelength=1.5,
                borderaxespad=0.4,
                fontsize=LEGEND_FONTSIZE,
                **_LEGEND_FRAME,
            )
            if not legend_overlaps(ax, leg, curves):
                return leg
    return ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        ncol=ncol_below,
        handlelength=1.5,
        fontsize=LEGEND_FONTSIZE,
        **_LEGEND_FRAME,
    )


def place_roc_legend(ax):
    """ROC legend: lower right, below the diagonal; one line per model, then "name" / "AUC (CI)".

    If both would cover a curve, the diagonal or leave the axes, the legend goes below the axes.
    """
    _, labels = ax.get_legend_handles_labels()
    two_line = [t.replace(": AUC", "\nAUC", 1) for t in labels]
    return place_legend(ax, ("lower right",), (labels, two_line))


def legend_overlaps(ax, legend, curves, margin: float = 0.03) -> bool:
    """Whether ``legend`` (inside ``ax``) leaves the axes or covers a point of any polyline in ``curves``.

    The legend box (grown by ``margin`` of the axes) is compared in data coordinates with the
    polylines sampled densely (every segment split into steps of 0.005 of the axes).
    """
    ax.apply_aspect()  # the drawn (square) box, not the subplot's cell
    box = legend.get_window_extent(_renderer(ax.figure)).transformed(ax.transAxes.inverted())
    if box.x0 < 0 or box.y0 < 0 or box.x1 > 1 or box.y1 > 1:
        return True
    to_axes = ax.transLimits
    for xy in curves:
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0:
            continue
        xy = to_axes.transform(xy)  # axes fractions: the same density on any data scale
        pts = _densified(xy)
        inside = (
            (pts[:, 0] >= box.x0 - margin)
            & (pts[:, 0] <= box.x1 + margin)
            & (pts[:, 1] >= box.y0 - margin)
            & (pts[:, 1] <= box.y1 + margin)
        )
        if inside.any():
            return True
    return False


def _densified(xy: np.ndarray) -> np.ndarray:
    """The polyline's first point, then each segment's points at fractions j / k (j = 1..k,
    k steps of at most 0.005), as ``np.linspace(0, 1, k + 1)[1:]`` gives them, all at once."""
    if len(xy) < 2:
        return xy
    steps = np.maximum(1, np.ceil(np.hypot(*np.diff(xy, axis=0).T) / 0.005)).astype(int)
    seg = np.repeat(np.arange(len(steps)), steps)
    k = steps[seg]
    j = np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps) + 1
    frac = j * (1.0 / k)
    frac[j == k] = 1.0  # linspace puts its end point exactly
    a = xy[seg]
    return np.concatenate([xy[:1], a + frac[:, None] * (xy[seg + 1] - a)])
