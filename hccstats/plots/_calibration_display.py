"""Calibration curves against the ideal diagonal, with the distribution of the predicted risks
underneath (rms's ``scat1d`` / ``val.prob``'s ``riskdist``): :class:`CalibrationDisplay`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from .._validation import as_binary
from ._display import Display, check_mapping
from ._legend import CALIBRATION_LOCS, place_legend
from ._style import MIN_LINE_PT, OKABE_ITO, REFERENCE_GREY, journal_style, model_colors

__all__ = ["CalibrationDisplay", "risk_distribution"]


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


def _patient_risks(obj: Any) -> np.ndarray | None:
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


class CalibrationDisplay(Display):
    """Calibration curves of one or more models against the ideal diagonal (Fig 6C/D), with
    the distribution of the predicted risks along the x axis.

    R equivalent: ``plot(rms::calibrate(fit, B=1000))`` (bias-corrected and apparent curves,
    the predicted risks as a spike histogram at the bottom) or ``rms::val.prob`` on external
    data (``riskdist``: events up, non-events down).

    Make it with :meth:`from_calibrations` (``hccstats.calibrate`` results, Cox calibrations
    or tables), :meth:`from_calibrate` or :meth:`from_predictions`; draw it with :meth:`plot`.

    Attributes
    ----------
    curve : DataFrame
        The curves drawn: ``model``, ``predicted``, ``apparent``, ``bias_corrected`` (nan
        without bootstrap), each model's rows in order of ``predicted``.
    risks : dict of str to ndarray
        Each model's predicted risks of the patients (the spikes at the bottom), where the
        results hold them.
    outcomes : dict of str to array of 0/1, or None
        The patients' outcomes, in the order of ``risks``: events up, non-events down.
    figure_, ax_ : matplotlib Figure and Axes
        Set by :meth:`plot`.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> from hccstats.plots import CalibrationDisplay
    >>> d = example_cohort()  # 200 simulated patients
    >>> risk = hs.lrm("recurrence ~ age + mvi", d).predict_risk()
    >>> display = CalibrationDisplay.from_predictions(d["recurrence"], risk, name="Nomogram")
    >>> list(display.curve.columns), len(display.risks["Nomogram"])
    (['model', 'predicted', 'apparent', 'bias_corrected'], 200)
    >>> display.plot().ax_.get_xlabel()
    'Predicted probability'
    """

    def __init__(
        self,
        curve: pd.DataFrame,
        risks: Mapping[str, np.ndarray] | None = None,
        outcomes: Mapping[str, Any] | None = None,
    ):
        self.curve = curve
        self.risks = dict(risks or {})
        self.outcomes = None if outcomes is None else dict(outcomes)

    @classmethod
    def from_calibrations(
        cls, curves: Mapping[str, Any], *, outcomes: Mapping[str, Any] | None = None
    ) -> CalibrationDisplay:
        """From model name -> calibration result or DataFrame: ``.table`` (or the DataFrame
        itself) with columns ``predicted``, ``apparent`` and optionally ``bias_corrected``, or
        a Cox calibration at a horizon (``hccstats.survival.calibrate``: ``observed``,
        ``observed_corrected``). ``outcomes``: model name -> the patients' outcomes, in the
        order of the results' predicted risks."""
        curves = check_mapping(curves, "curves")
        parts, risks = [], {}
        for name, obj in curves.items():
            t = _calibration_table(obj, name)
            corrected = (
                t["bias_corrected"].to_numpy(float)
                if "bias_corrected" in t
                else np.full(len(t), np.nan)
            )
            parts.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "predicted": t["predicted"].to_numpy(float),
                        "apparent": t["apparent"].to_numpy(float),
                        "bias_corrected": corrected,
                    }
                )
            )
            r = _patient_risks(obj)
            if r is not None and r.size:
                risks[name] = r
        return cls(pd.concat(parts, ignore_index=True), risks, outcomes)

    @classmethod
    def from_calibrate(cls, calibration: Any, *, name: str = "Model") -> CalibrationDisplay:
        """From one calibration result (``hccstats.calibrate``, ``calibrate_cox``, ...)."""
        return cls.from_calibrations({name: calibration})

    @classmethod
    def from_predictions(cls, y_true: Any, risk: Any, *, name: str = "Model") -> CalibrationDisplay:
        """From outcomes and predicted risks (external data): val.prob's lowess curve
        (``hccstats.calibration.calibration_curve``), events up and non-events down
        underneath, as ``rms::val.prob(risk, y)`` draws it."""
        from ..calibration import calibration_curve

        curve = calibration_curve(y_true, risk)
        outcome = as_binary(y_true, "y_true")
        return cls.from_calibrations({name: curve}, outcomes={name: outcome})

    def plot(
        self,
        ax=None,
        *,
        title: str | None = None,
        xlabel: str = "Predicted probability",
        ylabel: str = "Actual probability",
        show_apparent: bool = True,
        show_distribution: bool = True,
        width: Any = "single",
    ) -> CalibrationDisplay:
        """Draw into ``ax`` (default: a new single-column square figure). With bias-corrected
        values that curve is drawn solid and the apparent one dotted (``show_apparent``);
        otherwise the apparent curve solid. Groups (20 points or fewer: a Cox calibration) are
        marked. ``show_distribution``: the spike histogram of :attr:`risks`. Returns the
        Display."""
        with journal_style():
            ax = self._use_axes(ax, width)
            names = list(dict.fromkeys(self.curve["model"]))
            colors = model_colors(names)
            ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color=REFERENCE_GREY, label="Ideal", zorder=1)
            for name in names:
                self._draw_curve(ax, name, colors[name], show_apparent)
            risks = {n: self.risks[n] for n in names if n in self.risks}
            if show_distribution and risks:
                risk_distribution(ax, risks, self.outcomes, colors=colors)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            if title:
                ax.set_title(title, loc="left", fontweight="bold")
            place_legend(ax, CALIBRATION_LOCS)
        return self

    def _draw_curve(self, ax, name, color: str, show_apparent: bool) -> None:
        t = self.curve[self.curve["model"] == name]
        marker = "o" if len(t) <= 20 else None  # groups (Cox, KM) rather than a smooth curve
        x, apparent = t["predicted"].to_numpy(float), t["apparent"].to_numpy(float)
        corrected = t["bias_corrected"].to_numpy(float)
        if not np.isfinite(corrected).any():
            ax.plot(x, apparent, color=color, marker=marker, ms=3, label=name, zorder=3)
            return
        ax.plot(
            x,
            corrected,
            color=color,
            marker=marker,
            ms=3,
            label=f"{name} (bias-corrected)",
            zorder=3,
        )
        if show_apparent:
            ax.plot(
                x,
                apparent,
                color=color,
                ls=":",
                lw=1.0,
                marker=marker,
                ms=3,
                mfc="white",
                label=f"{name} (apparent)",
                zorder=2,
            )
