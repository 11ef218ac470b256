"""The scale of a Cox model's nomogram, as ``rms::nomogram(cph, fun = function(lp) surv(t, lp))``.

rms centres a ``cph`` fit's linear predictor on the plain column means of its design (``center
= sum(means * coef)``; ``survival::coxph`` leaves 0/1 columns uncentred, rms does not), so its
"Linear Predictor" axis and its ``Survival(fit)`` refer to that centre:
``surv(t, lp) = S0(t)^exp(lp)`` with ``S0`` the baseline survival at the centre (the Efron or
Breslow baseline of the fit, a step function of time). The native engine takes the same centre
and the same baseline from :class:`~hccstats.CoxFit`, so its axes are rms's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import InputError

__all__ = ["CoxScale", "cox_scale", "is_cox", "survival_label", "event_risk_label"]

#: units whose singular is the plural without its "s" ("months" -> "a 24-month ...")
_PLURAL_UNITS = ("days", "weeks", "months", "years", "hours")


def is_cox(fit) -> bool:
    """Whether ``fit`` is a Cox model (a :class:`~hccstats.CoxFit`)."""
    from ..survival import CoxFit

    return isinstance(fit, CoxFit)


@dataclass(frozen=True)
class CoxScale:
    """rms's centre of a Cox fit and its baseline survival at the horizon.

    ``beta0`` is the linear predictor with every term at zero (``-center``), ``lp`` the fitted
    linear predictors about the centre (rms's ``fit$linear.predictors``), ``s0`` the survival
    at ``times`` of a patient at the centre (``Survival(fit)(times, 0)``).
    """

    times: float
    beta0: float
    lp: np.ndarray
    s0: float

    def survival(self, lp) -> np.ndarray:
        """Survival by the horizon at linear predictor ``lp`` (rms: ``surv(times, lp)``)."""
        return self.s0 ** np.exp(np.asarray(lp, float))

    def risk(self, lp) -> np.ndarray:
        """Risk of the event by the horizon, ``1 - survival``."""
        return 1.0 - self.survival(lp)


def cox_scale(fit, times) -> CoxScale:
    """The centre, fitted linear predictors and baseline survival at ``times`` of a CoxFit."""
    from ..survival._args import check_horizon

    t = check_horizon(times, float(np.max(fit.time)))
    coef = fit.coef.to_numpy(float)
    center = float(np.sum(coef * fit.X.mean(axis=0)))  # rms: sum(f$means * coef), plain means
    own = float(np.sum(coef * fit.means.to_numpy(float)))  # the fit's own centre (coxph's)
    hazard = float(fit.cumulative_hazard([t])[0]) * float(np.exp(center - own))
    lp = (fit.X * coef).sum(axis=1) - center
    s0 = float(np.exp(-hazard))
    if not 0.0 < s0 < 1.0:
        raise InputError(
            f"times: the baseline survival at {t:g} is {s0:g}; a survival axis needs events "
            "before the horizon and survivors after it"
        )
    return CoxScale(t, -center, lp, s0)


def _unit_singular(unit: str) -> str:
    u = str(unit).strip()
    return u[:-1] if u.lower() in _PLURAL_UNITS else u


def survival_label(times: float, unit: str | None = None, label: str | None = None) -> str:
    """The survival axis title: "5-year survival probability" (``unit="years"``), "5-year
    overall survival probability" when the time's ``label`` names a survival ("Overall
    survival"), "Survival probability at 5" without a unit."""
    what = "survival"
    if label and str(label).strip().lower().endswith("survival"):
        what = str(label).strip()
        if not (len(what) > 1 and what[:2].isupper()):
            what = what[:1].lower() + what[1:]
    if unit:
        return f"{times:g}-{_unit_singular(unit)} {what} probability"
    return f"{what[:1].upper() + what[1:]} probability at {times:g}"


def event_risk_label(times: float, unit: str | None = None) -> str:
    """The risk axis title: "Risk of the event by 5 years" ("by 5" without a unit)."""
    return f"Risk of the event by {times:g}" + (f" {unit}" if unit else "")
