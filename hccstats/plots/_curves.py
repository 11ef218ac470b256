"""ROC, calibration and decision curves of several models (Fig 6 of the reference study).

Each function takes already-computed results (duck-typed: any object with the attributes named
below), draws them on ``ax`` (or a new single-column figure) and returns the Figure; nothing is
computed here but plotting coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._errors import InputError
from ._legend import (
    CALIBRATION_LOCS,
    DECISION_LOCS,
    legend_overlaps,
    place_legend,
    place_roc_legend,
)
from ._style import (
    MIN_LINE_PT,
    OKABE_ITO,
    REFERENCE_GREY,
    journal_style,
    model_colors,
    new_figure,
)
from ._text import auc_legend

__all__ = [
    "roc_curves",
    "calibration_curves",
    "risk_distribution",
    "decision_curves",
    "place_roc_legend",
    "legend_overlaps",
]


def _figure_and_ax(ax, width="single", height=None):
    if ax is None:
        fig, ax = new_figure(width, height)
        return fig, ax
    return ax.figure, ax


def _check_mapping(curves: Any, name: str) -> Mapping:
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise InputError(f"{name} must be a non-empty mapping of model name -> result")
    return curves


def _ci_bounds(ci: Any) -> tuple[float, float]:
    if hasattr(ci, "low") and hasattr(ci, "high"):
        return float(ci.low), float(ci.high)
    try:
        low, high = ci
    except (TypeError, ValueError):
        raise InputError(
            f"cis: each value must be (low, high) or have .low/.high, got {ci!r}"
        ) from None
    return float(low), float(high)


def roc_curves(
    curves: Mapping[str, Any],
    cis: Mapping[str, Any] | None = None,
    ax=None,
    *,
    title: str | None = None,
    digits: int = 3,
    width="single",
) -> Figure:
    """ROC curves of several models, legend "name: AUC 0.949 (0.919–0.980)".

    R equivalent: ``plot(roc1); lines(roc2); legend(...)`` with pROC.

    Parameters
    ----------
    curves : mapping of str to Roc-like
        Objects with ``.sensitivities``, ``.specificities`` and ``.auc`` (``hccstats.roc``).
    cis : mapping of str to (low, high) or AucCI-like, optional
        AUC confidence intervals (``hccstats.ci_auc``); when absent the legend shows the AUC only.
    ax : matplotlib Axes, optional
        Draw into this Axes; by default a new single-column (8.5 cm) square figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi", d)
    >>> age = hs.lrm("recurrence ~ age", d)
    >>> curves = {"Age": hs.roc(d["recurrence"], age.predict_risk(), direction="<"),
    ...           "Nomogram": hs.roc(d["recurrence"], fit.predict_risk(), direction="<")}
    >>> fig = roc_curves(curves, cis={name: hs.ci_auc(r) for name, r in curves.items()})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]  # 7 pt: on two lines
    ['Age\\nAUC 0.709 (0.635–0.783)', 'Nomogram\\nAUC 0.742 (0.672–0.813)']
    """
    curves = _check_mapping(curves, "curves")
    cis = dict(cis or {})
    with journal_style():
        fig, ax = _figure_and_ax(ax, width)
        colors = model_colors(curves)
        ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color=REFERENCE_GREY, zorder=1)
        for name, r in curves.items():
            try:
                sens = np.asarray(r.sensitivities, dtype=float)
                spec = np.asarray(r.specificities, dtype=float)
                auc = float(r.auc)
            except AttributeError as exc:
                raise InputError(
                    f"curves[{name!r}] needs .sensitivities, .specificities and .auc ({exc})"
                ) from None
            if sens.shape != spec.shape or sens.size < 2:
                raise InputError(
                    f"curves[{name!r}]: sensitivities and specificities differ in length or are empty"
                )
            fpr = 1.0 - spec
            order = np.lexsort((sens, fpr))
            low_high = _ci_bounds(cis[name]) if name in cis else (None, None)
            ax.plot(
                fpr[order],
                sens[order],
                color=colors[name],
                label=auc_legend(name, auc, *low_high, digits=digits),
                zorder=2,
            )
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("1 \u2212 Specificity")
        ax.set_ylabel("Sensitivity")
        if title:
            ax.set_title(title, loc="left", fontweight="bold")
        place_roc_legend(ax)
    return fig


def _calibration_table(obj: Any, name: str) -> pd.DataFrame:
    """The curve's table with ``predicted``, ``apparent`` (and ``bias_corrected``): rms
    calibrate's columns, or a Cox calibration's (``observed``, ``observed_corrected``)."""
    table = obj if isinstance(obj, pd.DataFrame) else getattr(obj, "table", None)
    if isinstance(table, pd.DataFrame) and {"predicted", "observed"} <= set(table.columns):
        table = table.rename(
            columns={"observed": "apparent", "observed_corrected": "bias_corrected"}
        )
    if not isinstance(table, pd.DataFrame) or not {"predicted", "apparent"} <= set(table.columns):
        raise InputError(
            f"curves[{name!r}] needs a .table DataFrame with columns predicted, apparent "
            "(or predicted, observed)"
        )
    return table.sort_values("predicted")


def _patient_risks(obj: Any, name: str) -> np.ndarray | None:
    """Each patient's predicted value: ``.predicted_risk`` (calibrate, val_prob) or
    ``.predicted`` (the Cox calibration's predicted survival); None for a bare table."""
    for attr in ("predicted_risk", "predicted"):
        value = getattr(obj, attr, None)
        if value is not None and not isinstance(value, (pd.DataFrame, str)):
            risks = np.asarray(value, dtype=float).ravel()
            return risks[np.isfinite(risks)]
    return None


def risk_distribution(
    ax,
    risks: Mapping[str, Any],
    outcomes: Mapping[str, Any] | None = None,
    *,
    colors: Mapping[str, str] | None = None,
    height: float = 0.08,
    bins: int = 100,
) -> list:
    """Spike histogram of the predicted risks along the x axis, at the bottom of a calibration plot.

    R equivalent: the ``scat1d`` / ``histSpike`` rug that ``plot(rms::calibrate(...))`` draws,
    and ``rms::val.prob(..., riskdist = "predicted")``: with ``outcomes``, the patients with the
    event point up and those without down from a common baseline.

    Parameters
    ----------
    risks : mapping of str to array
        Each model's predicted risks (values in [0, 1]); the models' spikes stand side by side in
        each bin, in the models' colours.
    outcomes : mapping of str to array of 0/1, optional
        The outcome of each patient of ``risks[name]``.
    height : float
        Height of the tallest spike, in data units of the y axis (0–1).
    bins : int
        Bins over 0–1 (100: histSpike's default).

    Returns
    -------
    list of LineCollection
        The spikes, one collection per model (and direction).
    """
    colors = dict(colors or model_colors(risks))
    edges = np.linspace(0.0, 1.0, bins + 1)
    step = edges[1] - edges[0]
    counts = {}
    for name, r in risks.items():
        r = np.clip(np.asarray(r, dtype=float), 0.0, 1.0)
        if outcomes is not None and name in outcomes:
            y = np.asarray(outcomes[name], dtype=float)
            if y.shape != r.shape:
                raise InputError(f"outcomes[{name!r}]: length differs from its risks")
            counts[name] = (np.histogram(r[y == 1], edges)[0], np.histogram(r[y != 1], edges)[0])
        else:
            counts[name] = (np.histogram(r, edges)[0], None)
    top = max([c.max() for up, down in counts.values() for c in (up, down) if c is not None] + [1])
    split = any(down is not None for _, down in counts.values())
    base = height if split else 0.0
    k = len(counts)
    drawn = []
    for i, (name, (up, down)) in enumerate(counts.items()):
        x = edges[:-1] + step / 2 + (i - (k - 1) / 2) * step / max(k, 1) * 0.8
        for c, sign in ((up, 1.0), (down, -1.0)):
            if c is None or not c.any():
                continue
            keep = c > 0
            drawn.append(
                ax.vlines(
                    x[keep],
                    base,
                    base + sign * height * c[keep] / top,
                    color=colors.get(name, OKABE_ITO["black"]),
                    lw=MIN_LINE_PT + 0.1,
                    zorder=1.5,
                )
            )
    if split:
        ax.axhline(base, color=REFERENCE_GREY, lw=MIN_LINE_PT, zorder=1.4)
    return drawn


def calibration_curves(
    curves: Mapping[str, Any],
    ax=None,
    *,
    title: str | None = None,
    xlabel: str = "Predicted probability",
    ylabel: str = "Actual probability",
    show_apparent: bool = True,
    show_distribution: bool = True,
    outcomes: Mapping[str, Any] | None = None,
    width="single",
) -> Figure:
    """Calibration curves of several models against the ideal diagonal (Fig 6C/D), with the
    distribution of the predicted risks along the x axis.

    R equivalent: ``plot(rms::calibrate(fit, B=1000))`` (bias-corrected and apparent curves,
    the predicted risks as a spike histogram at the bottom) or ``rms::val.prob`` on external
    data (``riskdist``: events up, non-events down).

    Parameters
    ----------
    curves : mapping of str to Calibration-like or DataFrame
        ``.table`` (or the DataFrame itself) with columns ``predicted``, ``apparent`` and optionally
        ``bias_corrected``. With bias-corrected values, that curve is drawn solid and the apparent
        one dotted; otherwise the apparent curve is drawn solid. A Cox calibration at a horizon
        (``hccstats.survival.calibrate``: ``observed``, ``observed_corrected``, few groups) is
        drawn the same way, its groups marked.
    show_apparent : bool
        Draw the apparent curve too when a bias-corrected one exists.
    show_distribution : bool
        The spike histogram of each model's predicted values (``.predicted_risk``, or a Cox
        calibration's ``.predicted``; see :func:`risk_distribution`), when the results hold them.
    outcomes : mapping of str to array of 0/1, optional
        The patients' outcomes, in the order of the predicted risks: the histogram then shows
        events up and non-events down, as ``val.prob``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> cal = hs.calibrate(hs.lrm("recurrence ~ age + mvi", d), B=20, seed=1)
    >>> fig = calibration_curves({"Nomogram": cal})
    >>> spikes = sum(len(c.get_segments()) for c in fig.axes[0].collections)
    >>> bins = np.unique(np.minimum(np.floor(cal.predicted_risk * 100), 99))  # with patients
    >>> spikes == len(bins)
    True
    """
    curves = _check_mapping(curves, "curves")
    with journal_style():
        fig, ax = _figure_and_ax(ax, width)
        colors = model_colors(curves)
        ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color=REFERENCE_GREY, label="Ideal", zorder=1)
        risks = {}
        for name, obj in curves.items():
            t = _calibration_table(obj, name)
            marker = "o" if len(t) <= 20 else None  # groups (Cox, KM) rather than a smooth curve
            r = _patient_risks(obj, name) if show_distribution else None
            if r is not None and r.size:
                risks[name] = r
            x = t["predicted"].to_numpy(float)
            corrected = (
                t["bias_corrected"].to_numpy(float)
                if "bias_corrected" in t
                else np.full(len(t), np.nan)
            )
            if np.isfinite(corrected).any():
                ax.plot(
                    x,
                    corrected,
                    color=colors[name],
                    marker=marker,
                    ms=3,
                    label=f"{name} (bias-corrected)",
                    zorder=3,
                )
                if show_apparent:
                    ax.plot(
                        x,
                        t["apparent"].to_numpy(float),
                        color=colors[name],
                        ls=":",
                        lw=1.0,
                        marker=marker,
                        ms=3,
                        mfc="white",
                        label=f"{name} (apparent)",
                        zorder=2,
                    )
            else:
                ax.plot(
                    x,
                    t["apparent"].to_numpy(float),
                    color=colors[name],
                    marker=marker,
                    ms=3,
                    label=name,
                    zorder=3,
                )
        if risks:
            risk_distribution(ax, risks, outcomes, colors=colors)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left", fontweight="bold")
        place_legend(ax, CALIBRATION_LOCS)
    return fig


_REFERENCE = {"treat all": (REFERENCE_GREY, "-"), "treat none": (OKABE_ITO["black"], "-")}


def decision_curves(
    table: Any,
    ax=None,
    *,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
    xlabel: str = "Threshold probability",
    width="single",
    square: bool = True,
) -> Figure:
    """Net-benefit curves of the models, "Treat all" (grey) and "Treat none" (black) (Fig 6E/F).

    R equivalent: ``plot(dcurves::dca(...))`` / ``rmda::plot_decision_curve``.

    Parameters
    ----------
    table : DataFrame or DecisionCurve-like
        Tidy table (or ``.table``) with columns ``model``, ``threshold``, ``net_benefit``; rows of
        models named "Treat all" / "Treat none" (any case) are drawn as the reference strategies.
    ylim : (low, high), optional
        Default: from −0.1 × the highest net benefit to 1.1 × it, so "Treat all" does not squash
        the models.
    square : bool
        A square plotting box, the frame of the ROC and calibration panels beside it.

    The threshold axis spans the thresholds in ``table`` (``hccstats.dca(thresholds=...)``); the
    legend is placed where it covers no curve.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = table if isinstance(table, pd.DataFrame) else getattr(table, "table", None)
    if not isinstance(t, pd.DataFrame) or not {"model", "threshold", "net_benefit"} <= set(
        t.columns
    ):
        raise InputError(
            "table must be a DataFrame (or have .table) with columns model, threshold, net_benefit"
        )
    if t.empty:
        raise InputError("table has no rows")
    models = list(dict.fromkeys(t["model"].astype(str)))
    own = [m for m in models if m.lower() not in _REFERENCE]
    with journal_style():
        fig, ax = _figure_and_ax(ax, width)
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
    return fig
