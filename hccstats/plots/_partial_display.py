"""The odds or hazard ratio against one predictor with its band: :class:`PartialEffectDisplay`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._display import Display

__all__ = ["PartialEffectDisplay", "ratio_ticks"]


class PartialEffectDisplay(Display):
    """The ratio against a predictor with its confidence band (a line and a shaded band;
    points with error bars for a categorical predictor), the reference ratio 1 dashed.

    R equivalent: ``plot(rms::Predict(fit, x, ref.zero = TRUE, fun = exp))``.

    Attributes
    ----------
    curve : DataFrame
        What is drawn: the predictor's values (column ``variable``), ``estimate``,
        ``ci_low``, ``ci_high`` (``PartialEffect.table``).
    variable, label, ratio : str
        The predictor's column, its axis label, "odds ratio" or "hazard ratio".
    conf_level : float
    figure_, ax_ : matplotlib Figure and Axes
        Set by :meth:`plot`.
    """

    def __init__(
        self, curve: pd.DataFrame, variable: str, ratio: str, conf_level: float, label: str = ""
    ):
        self.curve = curve
        self.variable = variable
        self.ratio = ratio
        self.conf_level = conf_level
        self.label = label

    @classmethod
    def from_partial_effect(cls, effect: Any) -> PartialEffectDisplay:
        """From an ``hccstats.partial_effect`` result."""
        return cls(effect.table, effect.variable, effect.ratio, effect.conf_level, effect.label)

    def plot(self, ax=None, *, log: bool = True) -> PartialEffectDisplay:
        """Draw into ``ax`` (default: a new 4.5 × 3.5 in figure, laid out tightly; a given
        ``ax`` keeps its figure's layout); ``log``: a log ratio axis with plain-number ticks
        (0.5, 1, 2, ...). Returns the Display."""
        own = ax is None
        if own:
            ax = Figure(figsize=(4.5, 3.5)).subplots()
        self.figure_, self.ax_ = ax.figure, ax
        t = self.curve
        x = t[self.variable]
        if pd.api.types.is_numeric_dtype(x):
            ax.fill_between(x, t["ci_low"], t["ci_high"], color="0.85", lw=0)
            ax.plot(x, t["estimate"], color="black", lw=1.2)
        else:
            pos = np.arange(len(t))
            err = [t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]]
            ax.errorbar(pos, t["estimate"], yerr=err, fmt="o", color="black", capsize=3)
            ax.set_xticks(pos, [str(v) for v in x])
            ax.set_xlim(-0.5, len(t) - 0.5)
        ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
        if log:
            ax.set_yscale("log")
            ratio_ticks(ax)
        ax.set_xlabel(self.label or self.variable)
        ax.set_ylabel(f"{self.ratio.capitalize()} ({self.conf_level:.0%} CI)")
        if own:
            self.figure_.tight_layout()
        return self


#: tick mantissas of a ratio axis, coarse to fine: the first giving three ticks is used
_MANTISSAS = ((1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))


def ratio_ticks(ax) -> None:
    """Plain-number ticks on a log ratio axis (0.5, 1, 2, ...), no minor ticks."""
    lo, hi = ax.get_ylim()
    ticks: list[float] = []
    for mantissas in _MANTISSAS:
        ticks = [
            float(f"{m * 10.0**e:.6g}")
            for e in range(-4, 5)
            for m in mantissas
            if lo <= m * 10.0**e <= hi
        ]
        if len(ticks) >= 3:
            break
    ax.minorticks_off()
    if ticks:
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_ylim(lo, hi)
