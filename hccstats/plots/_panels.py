"""The report's discrimination / calibration / decision-curve figure: six panels in one frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from .._errors import InputError
from ._curves import calibration_curves, decision_curves, roc_curves
from ._legend import (
    CALIBRATION_LOCS,
    DECISION_LOCS,
    drawn_polylines,
    legend_overlaps,
    place_legend,
    place_roc_legend,
)
from ._style import DOUBLE_COLUMN, journal_style

__all__ = ["performance_panels"]


def performance_panels(
    rocs: Mapping[str, Mapping[str, Any]],
    cis: Mapping[str, Mapping[str, Any]],
    calibrations: Mapping[str, Mapping[str, Any]],
    decision: Mapping[str, Any],
    *,
    sets: Sequence[str] = ("training", "validation"),
    figsize: tuple[float, float] = (DOUBLE_COLUMN, 9.6),
) -> Figure:
    """ROC (A, B), calibration (C, D) and decision curves (E, F), one column per set; two
    columns wide (17.5 cm).

    Every panel has the same square plotting box (the decision curves take the frame of the ROC
    and calibration panels), and each legend is placed, after the final layout, where it covers
    no curve (or below its panel).

    Parameters
    ----------
    rocs, cis, calibrations : mapping set -> (model -> result)
        As :func:`roc_curves` (``curves``, ``cis``) and :func:`calibration_curves` take them.
    decision : mapping set -> DecisionCurve-like
        ``hccstats.dca(...)`` of each set; the threshold axis spans its thresholds.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sets = list(sets)
    for name, m in (
        ("rocs", rocs),
        ("cis", cis),
        ("calibrations", calibrations),
        ("decision", decision),
    ):
        missing = [s for s in sets if s not in m]
        if missing:
            raise InputError(f"{name}: no results for the set(s) {missing}")
    letters = "ABCDEFGHIJKL"
    k = len(sets)
    with journal_style():
        fig = Figure(figsize=figsize)
        axes = fig.subplots(3, k, squeeze=False)
        for j, part in enumerate(sets):
            roc_curves(
                rocs[part], cis=cis[part], ax=axes[0, j], title=f"{letters[j]}  ROC, {part} set"
            )
            calibration_curves(
                calibrations[part],
                ax=axes[1, j],
                title=f"{letters[k + j]}  Calibration, {part} set",
            )
            decision_curves(
                decision[part],
                ax=axes[2, j],
                title=f"{letters[2 * k + j]}  Decision curves, {part} set",
            )
        fig.tight_layout()
        # legends are placed on a panel's size: place them again on the final size until the
        # layout no longer moves them onto a curve
        for _ in range(3):
            for j in range(k):
                place_roc_legend(axes[0, j])
                place_legend(axes[1, j], CALIBRATION_LOCS)
                place_legend(axes[2, j], DECISION_LOCS, ncol_below=2)
            fig.tight_layout()
            if all(_clear(ax) for ax in axes.flat):
                break
    return fig


def _clear(ax) -> bool:
    """The legend sits below the panel, or inside it covering no curve."""
    leg = ax.get_legend()
    ax.apply_aspect()
    box = leg.get_window_extent(ax.figure._get_renderer()).transformed(ax.transAxes.inverted())
    return box.y1 <= 0 or not legend_overlaps(ax, leg, drawn_polylines(ax))
