"""ROC, calibration and decision curves of several models (Fig 6 of the reference study).

Each function takes already-computed results (duck-typed: any object with the attributes named
below), draws them on ``ax`` (or a new single-column figure) and returns the Figure: a thin
wrapper over the Display that holds the numbers (:class:`RocDisplay`,
:class:`CalibrationDisplay`, :class:`DecisionCurveDisplay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from ._calibration_display import CalibrationDisplay, risk_distribution
from ._decision_display import DecisionCurveDisplay
from ._roc_display import RocDisplay

__all__ = ["roc_curves", "calibration_curves", "risk_distribution", "decision_curves"]


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
    display = RocDisplay.from_rocs(curves, cis)
    return display.plot(ax, title=title, digits=digits, width=width).figure_


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
    display = CalibrationDisplay.from_calibrations(curves, outcomes=outcomes)
    return display.plot(
        ax,
        title=title,
        xlabel=xlabel,
        ylabel=ylabel,
        show_apparent=show_apparent,
        show_distribution=show_distribution,
        width=width,
    ).figure_


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
    display = DecisionCurveDisplay.from_dca(table)
    return display.plot(
        ax, title=title, ylim=ylim, xlabel=xlabel, width=width, square=square
    ).figure_
