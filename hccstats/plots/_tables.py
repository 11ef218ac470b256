"""Figures of tables: the selector × classifier AUC comparison (Fig 4) and a forest plot of ORs (Table 3)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .._errors import InputError
from ._style import MIN_FONT_PT, MIN_LINE_PT, OKABE_ITO, REFERENCE_GREY, figure_width, journal_style
from ._text import format_or, format_p

__all__ = ["signature_comparison", "forest_plot"]


def _require(table, columns: list[str], name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{name} lacks column(s) {', '.join(missing)}")
    if table.empty:
        raise InputError(f"{name} has no rows")
    return table


def signature_comparison(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    cmap: str = "cividis",
    vmin: float | None = None,
    vmax: float | None = None,
    width="double",
) -> Figure:
    """Mean AUC of every feature selector × classifier, one heat-map panel per phase (Fig 4).

    Each cell shows the mean AUC and, below it in brackets, its SD; the best cell of each phase is
    framed. The colour map (cividis) is readable with colour-vision deficiency and in greyscale.

    Parameters
    ----------
    table : DataFrame
        Columns ``phase``, ``selector``, ``classifier``, ``mean_auc``, ``sd_auc`` (one row per
        combination, as ``hccstats.signature_search`` reports).

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per phase (in table order) plus one colour bar.
    """
    t = _require(table, ["phase", "selector", "classifier", "mean_auc", "sd_auc"], "table")
    phases = list(dict.fromkeys(t["phase"].astype(str)))
    selectors = list(dict.fromkeys(t["selector"].astype(str)))
    classifiers = list(dict.fromkeys(t["classifier"].astype(str)))
    values = t["mean_auc"].to_numpy(float)
    norm = Normalize(
        vmin=np.nanmin(values) if vmin is None else vmin,
        vmax=np.nanmax(values) if vmax is None else vmax,
    )
    w = figure_width(width)
    h = max(1.6, 0.36 * len(selectors) + 1.1)
    with journal_style():
        fig = Figure(figsize=(w, h), layout="constrained")
        axes = fig.subplots(1, len(phases), squeeze=False)[0]
        image = None
        for k, (ax, phase) in enumerate(zip(axes, phases)):
            sub = t[t["phase"].astype(str) == phase]
            grid = np.full((len(selectors), len(classifiers)), np.nan)
            sd = np.full_like(grid, np.nan)
            for _, row in sub.iterrows():
                i, j = (
                    selectors.index(str(row["selector"])),
                    classifiers.index(str(row["classifier"])),
                )
                grid[i, j], sd[i, j] = float(row["mean_auc"]), float(row["sd_auc"])
            image = ax.imshow(grid, cmap=cmap, norm=norm, aspect="auto")
            for (i, j), v in np.ndenumerate(grid):
                if not np.isfinite(v):
                    continue
                rgba = image.cmap(norm(v))
                light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.5
                text = f"{v:.2f}" + (f"\n({sd[i, j]:.2f})" if np.isfinite(sd[i, j]) else "")
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=MIN_FONT_PT,
                    color="black" if light else "white",
                )
            if np.isfinite(grid).any():
                bi, bj = np.unravel_index(np.nanargmax(grid), grid.shape)
                ax.add_patch(_frame(bi, bj))
            ax.set_xticks(range(len(classifiers)), classifiers, rotation=45, ha="right")
            ax.set_yticks(range(len(selectors)), selectors if k == 0 else [""] * len(selectors))
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(f"{chr(65 + k)}  {phase}", loc="left", fontweight="bold")
        cbar = fig.colorbar(image, ax=list(axes), shrink=0.9, aspect=15)
        cbar.set_label("Mean AUC")
        cbar.outline.set_linewidth(MIN_LINE_PT)
        if title:
            fig.suptitle(title, fontsize=9, fontweight="bold")
    return fig


def _frame(i: int, j: int):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.5, edgecolor=OKABE_ITO["vermillion"]
    )


def _term_label(term: str, labels: dict[str, str]) -> str:
    """Display name of a design column: ``labels[term]``, or ``race[T.black]`` → "Race (black)"."""
    if term in labels:
        return labels[term]
    m = re.fullmatch(r"(?:C\()?([^\[\(\),]+?)(?:,[^\[]*)?\)?\[T\.(.+)\]", term)
    if m:
        return f"{labels.get(m.group(1), m.group(1))} ({m.group(2)})"
    return term


def forest_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Odds ratio (95% CI)",
    labels: dict[str, str] | None = None,
    width="double",
) -> Figure:
    """Forest plot of odds ratios with their CIs on a log axis, OR (95% CI) and p printed at right.

    R equivalent: ``forestplot::forestplot`` / ``plot(summary(rms_fit))``.

    Parameters
    ----------
    table : DataFrame
        Columns ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value`` (as
        ``LogisticFit.odds_ratios()`` returns), one row per term, drawn top to bottom.
    labels : dict, optional
        Display names for terms or variables: ``{"race": "Race"}`` shows ``race[T.black]`` as
        "Race (black)"; a design column named in full (``"race[T.black]"``) is used as given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = _require(table, ["term", "estimate", "ci_low", "ci_high", "p_value"], "table")
    t = t[t["term"].astype(str).str.lower() != "intercept"].reset_index(drop=True)
    est, low, high = (t[c].to_numpy(float) for c in ("estimate", "ci_low", "ci_high"))
    positive = np.concatenate([est, low, high])
    positive = positive[np.isfinite(positive)]
    if positive.size == 0 or (positive <= 0).any():
        raise InputError("table: estimate, ci_low and ci_high must be positive odds ratios")
    names = [_term_label(str(term), labels or {}) for term in t["term"]]
    n = len(t)
    w = figure_width(width)
    with journal_style():
        fig = Figure(figsize=(w, 0.28 * n + 0.9), layout="constrained")
        ax, tx = fig.subplots(
            1, 2, sharey=True, gridspec_kw={"width_ratios": [1.5, 1.0], "wspace": 0.0}
        )
        y = np.arange(n)[::-1]
        ax.axvline(1.0, color=REFERENCE_GREY, ls="--", lw=0.8, zorder=1)
        ax.hlines(y, low, high, color=OKABE_ITO["blue"], lw=1.2, zorder=2)
        ax.plot(est, y, "s", color=OKABE_ITO["blue"], ms=4, zorder=3, ls="none")
        ax.set_xscale("log")
        lo_lim = min(np.nanmin(positive), 1.0) / 1.3
        hi_lim = max(np.nanmax(positive), 1.0) * 1.3
        ax.set_xlim(lo_lim, hi_lim)
        ax.set_yticks(y, names)
        ax.set_ylim(-0.7, n - 0.3)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(xlabel)
        ax.minorticks_off()
        ticks = [
            v
            for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
            if lo_lim <= v <= hi_lim
        ]
        ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
        tx.set_xlim(0, 1)
        tx.axis("off")
        tx.text(
            0.08, n - 0.45, "OR (95% CI)", ha="left", va="bottom", fontweight="bold", fontsize=7
        )
        tx.text(0.75, n - 0.45, "p", ha="left", va="bottom", fontweight="bold", fontsize=7)
        for yi, e, lo, hi, p in zip(y, est, low, high, t["p_value"].to_numpy(float)):
            tx.text(0.08, yi, format_or(e, lo, hi), ha="left", va="center", fontsize=7)
            tx.text(0.75, yi, format_p(p), ha="left", va="center", fontsize=7)
        if title:
            ax.set_title(title, loc="left", fontweight="bold")
    return fig
