"""Kaplan–Meier curves with the number-at-risk table under them: :class:`KaplanMeierDisplay`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .._errors import InputError
from ._display import Display
from ._style import figure_width, journal_style, model_colors
from ._text import format_p_text

__all__ = ["KaplanMeierDisplay", "km_plot"]


def _steps(tab: pd.DataFrame):
    t = np.concatenate([[0.0], tab["time"].to_numpy()])
    return t, [np.concatenate([[1.0], tab[c].to_numpy()]) for c in ("surv", "lower", "upper")]


class KaplanMeierDisplay(Display):
    """Kaplan–Meier curves (censorings marked +) with the number at risk under the axis.

    R equivalent: ``plot(survfit(...), mark.time = TRUE, conf.int = TRUE)`` with a risk table
    (as ``survminer::ggsurvplot(risk.table = TRUE)``).

    Make it with :meth:`from_survfit` (an ``hccstats.survfit`` result) or :meth:`from_groups`
    (times, events and groups); draw it with :meth:`plot`.

    Attributes
    ----------
    fit : SurvFit
        The Kaplan–Meier fit; ``curve`` is its tidy table (``SurvFit.to_frame()``: group, time,
        n_risk, n_event, n_censor, surv, std_err, lower, upper).
    logrank : LogRankTest or None
        Its p value is printed in the panel.
    at_risk_ : DataFrame
        Set by :meth:`plot`: the numbers at risk of the table (rows groups, columns times).
    figure_, ax_, table_ax_ : matplotlib Figure and Axes
        Set by :meth:`plot`; ``table_ax_`` holds the risk table (None when drawn into a given
        ``ax``).

    Examples
    --------
    >>> import numpy as np
    >>> from hccstats.plots import KaplanMeierDisplay
    >>> t, e = np.arange(1.0, 21.0), np.tile([1, 0], 10)
    >>> g = np.repeat(["Low risk", "High risk"], 10)
    >>> display = KaplanMeierDisplay.from_groups(t, e, g).plot(risk_times=[0, 10, 20])
    >>> list(display.at_risk_.index)
    ['High risk', 'Low risk']
    >>> display.at_risk_.astype(int).to_numpy().tolist()  # at 0, 10, 20
    [[10, 10, 1], [10, 1, 0]]
    """

    table_ax_ = None
    at_risk_ = None

    def __init__(self, fit: Any, logrank: Any = None):
        from ..survival import SurvFit

        if not isinstance(fit, SurvFit):
            raise InputError(
                f"fit: expected a SurvFit (hccstats.survfit), got {type(fit).__name__}"
            )
        self.fit = fit
        self.logrank = logrank
        self.curve = fit.to_frame()

    @classmethod
    def from_survfit(cls, fit: Any, *, logrank: Any = None) -> KaplanMeierDisplay:
        """From an ``hccstats.survfit`` result and, optionally, its ``survdiff`` test."""
        return cls(fit, logrank)

    @classmethod
    def from_groups(
        cls, time: Any, event: Any, group: Any = None, *, conf_level: float = 0.95
    ) -> KaplanMeierDisplay:
        """From follow-up times, events (1) / censorings (0) and, optionally, groups:
        ``survfit`` and, with groups, the log-rank test ``survdiff``."""
        from ..survival import survdiff, survfit

        fit = survfit(time, event, group, conf_level=conf_level)
        return cls(fit, None if group is None else survdiff(time, event, group))

    def plot(
        self,
        ax=None,
        *,
        risk_times: Sequence[float] | None = None,
        conf_int: bool = True,
        xlabel: str = "Time",
        ylabel: str = "Survival probability",
        title: str | None = None,
        width: float | str = "single",
        height: float | None = None,
    ) -> KaplanMeierDisplay:
        """Draw the curves (``conf_int``: the pointwise log band shaded) and, in a new figure
        (``ax`` None), the number-at-risk table at ``risk_times`` (default: the x-axis ticks)
        below them. Returns the Display."""
        names = list(self.fit.curves)
        colors = model_colors(names)
        with journal_style():
            if ax is None:
                w = figure_width(width)
                h = float(height) if height is not None else w * (0.8 + 0.07 * len(names))
                fig = Figure(figsize=(w, h), layout="constrained")
                ax, self.table_ax_ = fig.subplots(
                    2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.35 + 0.3 * len(names)]}
                )
            self.figure_, self.ax_ = ax.figure, ax
            tmax = self._draw_curves(ax, names, colors, conf_int, ylabel, title)
            ticks = [x for x in ax.get_xticks() if 0 <= x <= tmax * 1.02]
            times = np.asarray(risk_times if risk_times is not None else ticks, dtype=float)
            self.at_risk_ = self.fit.at_risk(times)
            if self.table_ax_ is None:
                ax.set_xlabel(xlabel)
            else:
                self._draw_risk_table(names, colors, times, xlabel)
                self.table_ax_.set_xticks(times if risk_times is not None else ticks)
        return self

    def _draw_curves(self, ax, names, colors, conf_int, ylabel, title) -> float:
        tmax = max(float(t["time"].max()) for t in self.fit.curves.values())
        for name in names:
            tab = self.fit.curves[name]
            t, (s, lo, hi) = _steps(tab)
            label = None if name == "all" and len(names) == 1 else name
            ax.step(t, s, where="post", color=colors[name], label=label)
            if conf_int:
                ax.fill_between(t, lo, hi, step="post", color=colors[name], alpha=0.15, lw=0)
            cens = tab[tab["n_censor"] > 0]
            ax.plot(cens["time"], cens["surv"], "+", color=colors[name], ms=4, mew=0.8)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, tmax * 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        if len(names) > 1:
            ax.legend(loc="lower left")
        if self.logrank is not None:
            ax.text(
                0.97,
                0.95,
                f"Log-rank {format_p_text(self.logrank.p_value)}",
                transform=ax.transAxes,
                ha="right",
                va="top",
            )
        return tmax

    def _draw_risk_table(self, names, colors, times, xlabel) -> None:
        tab_ax = self.table_ax_
        for row, name in enumerate(names):
            y = len(names) - 1 - row
            for x, n in zip(times, self.at_risk_.loc[name].to_numpy()):
                tab_ax.text(
                    x, y, f"{n:.0f}", ha="center", va="center", fontsize=7, color=colors[name]
                )
        tab_ax.set_ylim(-0.6, len(names) - 0.4)
        tab_ax.set_yticks(range(len(names)))
        tab_ax.set_yticklabels(names[::-1] if len(names) > 1 else ["All"], fontsize=7)
        tab_ax.tick_params(axis="y", length=0, pad=12)
        for side in ("left", "top", "right"):
            tab_ax.spines[side].set_visible(False)
        tab_ax.set_xlabel(xlabel)
        tab_ax.set_title("Number at risk", fontsize=7, loc="left")


def km_plot(
    fit: Any,
    *,
    risk_times: Sequence[float] | None = None,
    logrank: Any = None,
    conf_int: bool = True,
    xlabel: str = "Time",
    ylabel: str = "Survival probability",
    title: str | None = None,
    width: float | str = "single",
    height: float | None = None,
) -> Figure:
    """Kaplan–Meier curves (censorings marked +) with the number at risk under the axis.

    R equivalent: ``plot(survfit(...), mark.time = TRUE, conf.int = TRUE)`` with a risk table
    (as ``survminer::ggsurvplot(risk.table = TRUE)``).

    Parameters
    ----------
    fit : SurvFit
        From :func:`~hccstats.survfit`; one curve per group.
    risk_times : sequence of float, optional
        Times of the risk table (default: the x-axis ticks).
    logrank : TestResult, optional
        A :func:`~hccstats.survdiff` result; its p-value is printed in the panel.
    conf_int : bool
        Shade the pointwise (log) confidence band.

    Returns
    -------
    matplotlib.figure.Figure
        :class:`KaplanMeierDisplay`'s ``figure_``.
    """
    display = KaplanMeierDisplay.from_survfit(fit, logrank=logrank)
    return display.plot(
        risk_times=risk_times,
        conf_int=conf_int,
        xlabel=xlabel,
        ylabel=ylabel,
        title=title,
        width=width,
        height=height,
    ).figure_
