"""Net-benefit curves of the models, "Treat all" and "Treat none": :class:`DecisionCurveDisplay`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from ._display import Display
from ._legend import DECISION_LOCS, place_legend
from ._style import OKABE_ITO, REFERENCE_GREY, journal_style, model_colors

__all__ = ["DecisionCurveDisplay"]

_REFERENCE = {"treat all": (REFERENCE_GREY, "-"), "treat none": (OKABE_ITO["black"], "-")}


class DecisionCurveDisplay(Display):
    """Net-benefit curves of the models, "Treat all" (grey) and "Treat none" (black) (Fig 6E/F).

    R equivalent: ``plot(dcurves::dca(...))`` / ``rmda::plot_decision_curve``.

    Make it with :meth:`from_dca` (an ``hccstats.dca`` result or its table); draw it with
    :meth:`plot`.

    Attributes
    ----------
    curve : DataFrame
        The curves drawn: ``model``, ``threshold``, ``net_benefit`` (and whatever else the
        table holds); rows of models named "Treat all" / "Treat none" (any case) are the
        reference strategies.
    figure_, ax_ : matplotlib Figure and Axes
        Set by :meth:`plot`.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.plots import DecisionCurveDisplay
    >>> y, risk = [0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.3, 0.6]
    >>> display = DecisionCurveDisplay.from_dca(hs.dca(y, {"Nomogram": risk})).plot()
    >>> sorted(set(display.curve["model"]))
    ['Nomogram', 'Treat all', 'Treat none']
    >>> display.ax_.get_ylabel()
    'Net benefit'
    """

    def __init__(self, curve: pd.DataFrame):
        self.curve = curve

    @classmethod
    def from_dca(cls, result: Any) -> DecisionCurveDisplay:
        """From an ``hccstats.dca`` result (``.table``) or a tidy DataFrame with columns
        ``model``, ``threshold``, ``net_benefit``."""
        t = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
        if not isinstance(t, pd.DataFrame) or not {"model", "threshold", "net_benefit"} <= set(
            t.columns
        ):
            raise InputError(
                "table must be a DataFrame (or have .table) with columns model, threshold, "
                "net_benefit"
            )
        if t.empty:
            raise InputError("table has no rows")
        return cls(t)

    def plot(
        self,
        ax=None,
        *,
        title: str | None = None,
        ylim: tuple[float, float] | None = None,
        xlabel: str = "Threshold probability",
        width: Any = "single",
        square: bool = True,
    ) -> DecisionCurveDisplay:
        """Draw into ``ax`` (default: a new single-column figure). ``ylim`` defaults to
        −0.1 × the highest net benefit to 1.1 × it, so "Treat all" does not squash the models;
        the threshold axis spans the table's thresholds; ``square``: a square plotting box,
        the frame of ROC and calibration panels beside it. The legend goes where it covers no
        curve. Returns the Display."""
        t = self.curve
        models = list(dict.fromkeys(t["model"].astype(str)))
        own = [m for m in models if m.lower() not in _REFERENCE]
        with journal_style():
            ax = self._use_axes(ax, width)
            colors = model_colors(own)
            for m in own + [m for m in models if m.lower() in _REFERENCE]:
                rows = t[t["model"].astype(str) == m].sort_values("threshold")
                color, ls = _REFERENCE.get(m.lower(), (colors.get(m), "-"))
                lw = 1.0 if m.lower() in _REFERENCE else None
                ax.plot(
                    rows["threshold"].to_numpy(float),
                    rows["net_benefit"].to_numpy(float),
                    color=color,
                    ls=ls,
                    lw=lw,
                    label=m,
                    zorder=2 if m.lower() in _REFERENCE else 3,
                )
            if ylim is None:
                nb = t["net_benefit"].to_numpy(float)
                top = np.nanmax(nb) if np.isfinite(nb).any() else 1.0
                top = top if top > 0 else 0.1
                ylim = (-0.05 * top * 2, top * 1.1)
            ax.set_ylim(*ylim)
            ax.set_xlim(float(t["threshold"].min()), float(t["threshold"].max()))
            ax.set_xlabel(xlabel)
            ax.set_ylabel("Net benefit")
            if title:
                ax.set_title(title, loc="left", fontweight="bold")
            if square:
                ax.set_box_aspect(1)
            place_legend(ax, DECISION_LOCS, ncol_below=2)
        return self
