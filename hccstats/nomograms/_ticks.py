"""Risk-axis ticks whose labels never overlap: chosen from the axis length and the label widths.

rms's default ``fun.at`` is ``pretty(plogis(range(lp.at)), nint)``: ticks evenly spaced in risk,
hence crowded on the logit scale of the axis (0.4, 0.5, 0.6 sit close together in the middle of a
steep model), and ``plot.nomogram`` draws every label. Here ticks are taken from ``pretty`` values
at increasing resolution (then the tails 0.01, 0.05, 0.95, 0.99, ...) and a tick is kept only when
its label clears every kept label by a gap, measured in inches along the drawn axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ._rfuncs import r_format, r_pretty

__all__ = ["RiskAxis", "risk_ticks", "label_width_in", "risk_axis"]

#: Helvetica / Arial digits are 0.556 em wide, "." 0.278 em: 0.6 em per character bounds both
EM_PER_CHAR = 0.6
GAP_IN = 0.06  # white space between neighbouring labels (inches)
_TAILS = (0.01, 0.99, 0.05, 0.95, 0.001, 0.999, 0.02, 0.98, 0.005, 0.995)


def label_width_in(text: str, fontsize_pt: float) -> float:
    """Printed width of a tick label (inches), an upper bound for a sans-serif font."""
    return EM_PER_CHAR * fontsize_pt / 72.0 * max(len(text), 1)


class RiskAxis:
    """Where values fall on a drawn function axis: linear-predictor range and inches per total
    point. ``link`` maps an axis value to its linear predictor and ``inverse`` back (a risk of a
    logistic model: logit and plogis, the defaults; a Cox model's survival by the horizon:
    ``log(log(s) / log(s0))`` and ``s0^exp(lp)``)."""

    def __init__(
        self,
        lp_lo: float,
        lp_hi: float,
        intercept: float,
        sc: float,
        inch_per_point: float,
        link=logit,
        inverse=expit,
    ):
        self.lp_lo, self.lp_hi = float(lp_lo), float(lp_hi)
        self.intercept, self.sc = float(intercept), float(sc)
        self.inch_per_point = float(inch_per_point)
        self.link, self.inverse = link, inverse

    def inches(self, risk) -> np.ndarray:
        """Position of each value along the axis (inches from 0 total points)."""
        lp = self.link(np.asarray(risk, float))
        return (lp - self.intercept) * self.sc * self.inch_per_point

    def contains(self, risk: float) -> bool:
        lp = float(self.link(np.asarray(risk, float)))
        return self.lp_lo - 1e-12 <= lp <= self.lp_hi + 1e-12


def risk_axis(
    table: pd.DataFrame, sc: float, intercept: float, axis_in: float, link=logit, inverse=expit
) -> RiskAxis:
    """The function axis of a points table drawn with its total-points axis ``axis_in`` inches
    long (a risk axis by default)."""
    lp = table.loc[table["kind"] == "linear_predictor", "x"].to_numpy(float)
    total = table.loc[table["kind"] == "total_points", "x"].to_numpy(float)
    return RiskAxis(lp.min(), lp.max(), intercept, sc, axis_in / float(total.max()), link, inverse)


def _candidates(lo: float, hi: float) -> list[float]:
    """Risk values, most preferred first: coarse pretty values, finer ones, then the tails."""
    out: list[float] = []
    for n in (1, 2, 3, 5, 10, 20):
        for v in r_pretty([lo, hi], n):
            v = float(np.round(v, 10))
            if 0 < v < 1 and v not in out:
                out.append(v)
    out += [v for v in _TAILS if v not in out]
    return out


def risk_ticks(axis: RiskAxis, fontsize_pt: float, *, gap_in: float = GAP_IN) -> np.ndarray:
    """Risk ticks (``fun.at``) for ``axis`` whose labels at ``fontsize_pt`` do not overlap.

    R equivalent: the ``fun.at`` argument of ``rms::nomogram``; this chooses it so that
    ``plot(nomogram(...))`` prints every label apart.

    Returns
    -------
    numpy.ndarray
        The chosen risks, ascending; at least two when the axis has room for two labels.
    """
    lo, hi = sorted((float(axis.inverse(axis.lp_lo)), float(axis.inverse(axis.lp_hi))))
    kept: list[tuple[float, float, float]] = []  # (risk, centre, half width), inches
    for v in _candidates(lo, hi):
        if not axis.contains(v):
            continue
        centre = float(axis.inches(v))
        half = label_width_in(r_format(v), fontsize_pt) / 2
        if all(abs(centre - c) >= half + h + gap_in for _, c, h in kept):
            kept.append((v, centre, half))
    return np.array(sorted(v for v, _, _ in kept), dtype=float)
