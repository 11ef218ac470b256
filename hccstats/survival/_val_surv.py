"""Calibration of predicted risks at a horizon for survival outcomes: observed/expected, the
calibration slope and the flexible calibration curve with its summaries (ICI, E50, E90, Emax),
as McLernon et al. (Ann Intern Med 2023) and Austin, Harrell & van Klaveren (Stat Med 2020)
compute them with ``survival`` and ``rms``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from .._results import ConfidenceInterval
from .._validation import as_finite, check_conf_level, check_same_length
from ._args import check_horizon
from ._km import km_table
from ._surv import as_event, as_time, parse_surv, surv_columns

__all__ = ["val_surv", "ValSurv"]

MEASURES = ("oe", "slope", "ici", "e50", "e90", "emax")


@dataclass(frozen=True, eq=False)
class ValSurv:
    """Result of :func:`val_surv` (unrounded).

    ``observed``: Kaplan–Meier risk ``1 - S(t)``; ``expected``: mean predicted risk;
    ``oe`` with ``oe_ci``; ``slope`` (Cox coefficient of the linear predictor) with ``slope_se``
    and ``slope_ci``; ``ici``, ``e50``, ``e90``, ``emax``: mean, median, 90th percentile and
    maximum of ``|predicted - observed|`` over the patients, the observed risk read off the
    flexible calibration curve; ``curve``: one row per patient, sorted by predicted risk
    (``predicted``, ``observed``); ``knots``: the curve's spline knots (on the cloglog scale).
    """

    times: float
    n: int
    n_events: int  # events by the horizon
    observed: float
    expected: float
    oe: float
    oe_ci: ConfidenceInterval
    slope: float
    slope_se: float
    slope_ci: ConfidenceInterval
    ici: float
    e50: float
    e90: float
    emax: float
    curve: pd.DataFrame
    knots: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per measure (oe, slope, ici, e50, e90, emax): estimate, ci_low, ci_high."""
        rows = [
            ("oe", self.oe, self.oe_ci),
            ("slope", self.slope, self.slope_ci),
            ("ici", self.ici, None),
            ("e50", self.e50, None),
            ("e90", self.e90, None),
            ("emax", self.emax, None),
        ]
        return pd.DataFrame(
            [
                {
                    "measure": m,
                    "estimate": est,
                    "ci_low": np.nan if ci is None else ci.low,
                    "ci_high": np.nan if ci is None else ci.high,
                }
                for m, est, ci in rows
            ]
        ).assign(times=self.times)

    def __repr__(self) -> str:
        tab = self.to_frame().drop(columns="times").set_index("measure")
        return (
            f"Calibration at {self.times:g} (n = {self.n}, {self.n_events} events by then; "
            f"observed {self.observed:.4f}, expected {self.expected:.4f})\n"
            + tab.to_string(float_format=lambda v: f"{v:.4f}")
        )


def _from_fit(fit, new_data, times):
    if new_data is None:
        return fit.time, fit.event.astype(float), fit.linear_predictor(), None
    if not isinstance(new_data, pd.DataFrame):
        raise InputError(f"new_data: expected a pandas DataFrame, got {type(new_data).__name__}")
    texpr, eexpr, _ = parse_surv(fit.formula)
    t = as_time(surv_columns(texpr, new_data, "time").to_numpy(), f"time column {texpr!r}")
    e = as_event(surv_columns(eexpr, new_data, "event").to_numpy(), f"event column {eexpr!r}")
    return t, e.astype(float), fit.predict(new_data, type="lp"), new_data


def _cox_quiet(formula, frame):
    from ._coxph import coxph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return coxph(formula, frame)


def val_surv(
    fit=None,
    new_data: pd.DataFrame | None = None,
    *,
    times: float,
    time=None,
    event=None,
    risk=None,
    cloglog=None,
    conf_level: float = 0.95,
) -> ValSurv:
    """Calibration of a survival model at the horizon ``times``, on development or new data.

    Give a fitted :func:`coxph` model (and ``new_data`` to validate it on other patients; its
    own data otherwise), or ``time``, ``event`` and each patient's predicted ``risk`` of an
    event by the horizon (from any model).

    * **O/E**: Kaplan–Meier risk ``1 - S(t)`` over the mean predicted risk, with the interval
      ``O/E exp(± z sqrt(1 / events by t))`` (McLernon et al. 2023's code).
    * **Calibration slope**: the coefficient of the linear predictor in a Cox model of the
      outcome on it (``coxph(Surv(time, event) ~ lp)``), with its Wald interval. With risks
      only, ``log(-log(1 - risk))`` is the linear predictor (the same slope).
    * **Flexible calibration curve** (Austin, Harrell & van Klaveren 2020): a Cox model of the
      outcome on ``rcs(log(-log(1 - risk)), 3)``; each patient's observed risk is
      ``1 - S(t)`` from it (rms's ``survest``); ICI, E50, E90 and Emax summarise
      ``|predicted - observed|`` (mean, median, 90th percentile, maximum).

    Parameters
    ----------
    fit : CoxFit, optional
    new_data : DataFrame, optional
        Validation patients with the model's columns and its ``Surv(time, event)`` columns.
    times : float
        The horizon; it may equal the last follow-up time.
    time, event, risk : array-like, optional
        Instead of ``fit``: follow-up, event indicator and predicted risk by ``times``.
    cloglog : array-like, optional
        Instead of ``risk``: ``log(-log(1 - risk))``, e.g. ``log(-log S0(t)) + lp`` of a Cox
        model given by its equation; exact also where the risk rounds to 1.
    conf_level : float

    Returns
    -------
    ValSurv
        With ``to_frame()``.

    Notes
    -----
    R equivalent: ``rms::val.surv`` (name), computed as McLernon et al. (2023) and Austin et
    al. (2020) do in R: ``summary(survfit(Surv(time, event) ~ 1), times = t)``,
    ``coxph(Surv(time, event) ~ lp)``, ``cph(Surv(time, event) ~ rcs(cll, 3), x = TRUE,
    y = TRUE, surv = TRUE)`` and ``survest(cph, newdata, times = t)``.

    Examples
    --------
    >>> import hccstats as hs
    >>> hs.val_surv(fit, validation, times=1826).to_frame()  # doctest: +SKIP
    """
    conf_level = check_conf_level(conf_level)
    if fit is not None:
        if time is not None or event is not None or risk is not None:
            raise InputError("val_surv: give either a fit (and new_data) or time, event and risk")
        t_, e, lp, cll, r, h = _fit_inputs(fit, new_data, times)
    else:
        if new_data is not None:
            raise InputError("val_surv: new_data needs a fit")
        t_, e, lp, cll, r, h = _given_inputs(time, event, risk, cloglog, times)
    q = sps.norm.ppf(0.5 + conf_level / 2.0)
    observed, n_events = _km_risk(t_, e, h)
    expected = float(r.mean())
    oe = observed / expected
    w = q * np.sqrt(1.0 / n_events)
    frame = pd.DataFrame({"time": t_, "event": e, "lp": lp, "cll": cll})
    sfit = _cox_quiet("Surv(time, event) ~ lp", frame)
    b, se = float(sfit.coef.iloc[0]), float(sfit.se.iloc[0])
    cfit = _cox_quiet("Surv(time, event) ~ rcs(cll, 3)", frame)
    obs_i = cfit.predict_risk(times=h)
    diff = np.abs(r - obs_i)
    order = np.argsort(r, kind="stable")
    from ..logistic import spline_knots

    knots = np.asarray(next(iter(spline_knots(cfit.design_info).values())), float)
    return ValSurv(
        times=h,
        n=int(t_.size),
        n_events=n_events,
        observed=float(observed),
        expected=expected,
        oe=float(oe),
        oe_ci=ConfidenceInterval(oe * np.exp(-w), oe * np.exp(w), conf_level),
        slope=b,
        slope_se=se,
        slope_ci=ConfidenceInterval(b - q * se, b + q * se, conf_level),
        ici=float(diff.mean()),
        e50=float(np.quantile(diff, 0.5)),
        e90=float(np.quantile(diff, 0.9)),
        emax=float(diff.max()),
        curve=pd.DataFrame({"predicted": r[order], "observed": obs_i[order]}),
        knots=knots,
    )


def _fit_inputs(fit, new_data, times):
    """(time, event, lp, log(-log S(h | x)), risk by h, h) of a Cox fit's patients or of
    ``new_data``."""
    t_, e, lp, _ = _from_fit(fit, new_data, times)
    h = check_horizon(times, float(t_.max()))
    # log(-log S(h | x)) = log H0(h) + lp exactly, also where S(h | x) rounds to 0
    cll = np.log(fit.cumulative_hazard([h])[0]) + lp
    r = -np.expm1(-np.exp(cll))
    return t_, e, lp, cll, r, h


def _given_inputs(time, event, risk, cloglog, times):
    """The same from given follow-up, events and risks (or ``cloglog``); the linear predictor
    is log(-log(1 - risk))."""
    if time is None or event is None or (risk is None) == (cloglog is None):
        raise InputError(
            "val_surv: time, event and one of risk and cloglog are needed without a fit"
        )
    t_ = as_time(time, "time")
    e = as_event(event, "event").astype(float)
    if cloglog is not None:
        cll = as_finite(cloglog, "cloglog")
        r = -np.expm1(-np.exp(cll))
    else:
        r = as_finite(risk, "risk")
    check_same_length(time=t_, event=e, risk=r)
    h = check_horizon(times, float(t_.max()))
    bad = (r <= 0) | ((r >= 1) if cloglog is None else np.zeros(r.shape, bool))
    if bad.any():
        idx = np.flatnonzero(bad)
        raise InputError(
            f"risk: {idx.size} predicted risk(s) not strictly between 0 and 1 (first at "
            f"{idx[:5].tolist()}); the calibration curve needs log(-log(1 - risk))"
        )
    cll = np.log(-np.log1p(-r)) if cloglog is None else cll
    return t_, e, cll, cll, r, h


def _km_risk(t_, e, h):
    """(Kaplan–Meier risk 1 - S(h), events by h); InputError without events by h."""
    km = km_table(t_, e)
    k = int(np.searchsorted(km["time"].to_numpy(), h, side="right"))
    observed = 1.0 - (km["surv"].to_numpy()[k - 1] if k > 0 else 1.0)
    n_events = int(km["n_event"].to_numpy()[:k].sum())
    if n_events == 0:
        raise InputError(f"times: no events by {h:g}; O/E and the calibration curve need events")
    return observed, n_events
