"""Kaplan–Meier figure with the number-at-risk table under the curves (journal style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._errors import InputError
from .._results import TestResult
from ._km import SurvFit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["km_plot"]


def _steps(tab):
    t = np.concatenate([[0.0], tab["time"].to_numpy()])
    return t, [np.concatenate([[1.0], tab[c].to_numpy()]) for c in ("surv", "lower", "upper")]


def km_plot(
    fit: SurvFit,
    *,
    risk_times: Sequence[float] | None = None,
    logrank: TestResult | None = None,
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
        From :func:`survfit`; one curve per group.
    risk_times : sequence of float, optional
        Times of the risk table (default: the x-axis ticks).
    logrank : TestResult, optional
        A :func:`survdiff` result; its p-value is printed in the panel.
    conf_int : bool
        Shade the pointwise (log) confidence band.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(fit, SurvFit):
        raise InputError(f"fit: expected a SurvFit (hccstats.survfit), got {type(fit).__name__}")
    from matplotlib.figure import Figure  # plotting libraries load only when a figure is drawn
    from matplotlib.ticker import MaxNLocator

    from reports.formatting import fmt_p_text

    from ..plots import figure_width, journal_style, model_colors

    names = list(fit.curves)
    colors = model_colors(names)
    w = figure_width(width)
    h = float(height) if height is not None else w * (0.8 + 0.07 * len(names))
    with journal_style():
        fig = Figure(figsize=(w, h), layout="constrained")
        ax, tab_ax = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.35 + 0.3 * len(names)]}
        )
        tmax = max(float(t["time"].max()) for t in fit.curves.values())
        for name in names:
            tab = fit.curves[name]
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
        if logrank is not None:
            ax.text(
                0.97,
                0.95,
                f"Log-rank {fmt_p_text(logrank.p_value)}",
                transform=ax.transAxes,
                ha="right",
                va="top",
            )
        ticks = [x for x in ax.get_xticks() if 0 <= x <= tmax * 1.02]
        times = np.asarray(risk_times if risk_times is not None else ticks, dtype=float)
        at_risk = fit.at_risk(times)
        for row, name in enumerate(names):
            y = len(names) - 1 - row
            for x, n in zip(times, at_risk.loc[name].to_numpy()):
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
        tab_ax.set_xticks(times if risk_times is not None else ticks)
    return fig
