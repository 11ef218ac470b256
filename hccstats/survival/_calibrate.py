"""Calibration of a Cox model at a horizon ``u``, as ``rms::calibrate`` on a ``cph`` fit
(``cmethod = "KM"``, ``method = "boot"``): observed Kaplan–Meier survival at ``u`` against the
mean predicted survival in groups of predicted survival, corrected for optimism by the
bootstrap (refit on each resample, the gap between the resample's own and the original data's
observed - predicted, averaged)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._random import bootstrap_indices
from ._args import NOT_GIVEN, check_horizon, renamed
from ._coxfit import evaluate, fit_cox
from ._km import km_table
from ._riskset import risk_sets

__all__ = ["calibrate", "CoxCalibration"]

MIN_EVENTS = 5  # rms's calibrate.cph skips a resample (NA) with fewer events


@dataclass(frozen=True, eq=False)
class CoxCalibration:
    """Result of :func:`calibrate` (R: the ``calibrate`` object of ``calibrate.cph``).

    ``table`` has a row per group of predicted survival: predicted (R: mean.predicted),
    observed (KM), observed_corrected (KM.corrected), index_orig, training, test, optimism
    (mean.optimism), index_corrected (mean.corrected), n, events, std_err (of log KM).
    """

    table: pd.DataFrame
    times: float  # the horizon (R's u)
    B: int
    n_failed: int
    m: int
    cuts: np.ndarray
    predicted: np.ndarray  # each patient's predicted survival at u (R: attr "predicted")

    @property
    def u(self) -> float:
        """The horizon under rms's name (``times``)."""
        return self.times

    def to_frame(self) -> pd.DataFrame:
        """One row per group of predicted survival: ``times`` (the horizon), then the columns
        of ``table`` (predicted, observed, observed_corrected, index_orig, training, test,
        optimism, index_corrected, n, events, std_err)."""
        out = self.table.copy()
        out.insert(0, "times", self.times)
        return out

    def __repr__(self) -> str:
        head = (
            f"Calibration at u = {self.times:g} (KM groups of about {self.m}; "
            f"B = {self.B}, {self.n_failed} failed)\n"
        )
        cols = ["predicted", "observed", "observed_corrected", "optimism", "n", "events"]
        return head + self.table[cols].to_string(float_format=lambda v: f"{v:.4f}")


def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    return np.quantile(x, probs, method="linear")  # R's type 7


def _cut_groups(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Hmisc::cut2(x, cuts): intervals [c_i, c_i+1), the last one closed; 0-based codes."""
    c = cuts
    if x.min() < c[0]:
        c = np.concatenate([[x.min()], c])
    if x.max() > c[-1]:
        c = np.concatenate([c, [x.max()]])
    k = np.searchsorted(c, x, side="right") - 1
    return np.minimum(k, c.size - 2), c.size - 1


def groupkm(pred, time, event, cuts, u) -> np.ndarray:
    """rms::groupkm: per group (x, n, events, KM at u, std.err); NaN where R gives NA."""
    x = np.where(np.abs(pred) < 1e-10, 0.0, pred)
    q, ng = _cut_groups(x, cuts)
    out = np.full((ng, 5), np.nan)
    for i in range(ng):
        s = q == i
        nobs = int(s.sum())
        out[i, 1:3] = 0.0
        if nobs < 2:
            out[i, 0] = x[s].mean() if nobs == 1 else np.nan
            continue
        tab = km_table(time[s], event[s])
        tt = np.concatenate([[0.0], tab["time"].to_numpy()])
        ss = np.concatenate([[1.0], tab["surv"].to_numpy()])
        se = np.concatenate([[0.0], tab["std_err"].to_numpy()])
        tm = np.flatnonzero(tt <= u + 1e-6)[-1]
        km, sd = ss[tm], se[tm]
        if u > tt[-1] + 1e-6 and ss[-1] > 0:
            km = sd = np.nan
        out[i] = [x[s].mean(), nobs, event[s].sum(), km, sd]
    return out


def _survival_at(time, event, X, ties, u, X_eval_list):
    """Refit on (time, event, X); predicted survival at u for each matrix of X_eval_list."""
    if event.sum() < MIN_EVENTS:
        return None
    rs = risk_sets(time, event, ties)
    if X.shape[1] == 0:  # a repeated selection that kept no term: the Breslow baseline
        hazard = evaluate(rs, np.zeros((time.size, 1)), np.zeros(1)).hazard
        S = np.exp(-float(np.sum(hazard[rs.death_times <= u])))
        return [np.full(Xe.shape[0], S) for Xe in X_eval_list]
    center = X.mean(axis=0)
    core = fit_cox(rs, X[rs.order] - center)
    if not np.all(np.isfinite(core.coef)):
        return None
    H = float(np.sum(core.hazard[rs.death_times <= u]))
    return [np.exp(-H * np.exp((Xe - center) @ core.coef)) for Xe in X_eval_list]


def _distance(pred, time, event, cuts, u):
    if event.sum() < MIN_EVENTS:
        return None
    g = groupkm(pred, time, event, cuts, u)
    return g[:, 3] - g[:, 0]


def calibrate(
    fit,
    times: float | None = None,
    *,
    B: int = 40,
    m: int = 150,
    seed=None,
    resamples=None,
    selection=None,
    u=NOT_GIVEN,
) -> CoxCalibration:
    """Bootstrap optimism-corrected calibration of a Cox model's survival at the horizon.

    R equivalent: ``rms::calibrate(cph(..., x = TRUE, y = TRUE, surv = TRUE, time.inc = u),
    cmethod = "KM", u = u, m = m, B = B)`` (defaults as rms: ``B = 40``, ``m = 150``).

    Parameters
    ----------
    fit : CoxFit
        A model from :func:`coxph`.
    times : float
        The horizon (R's ``u``; ``u=`` is its deprecated name here), in the time unit of the
        fit. It may equal the last follow-up time (administrative censoring at the horizon),
        as in rms.
    B : int
        Bootstrap resamples.
    m : int
        Patients per group: ``floor(n / m)`` groups cut at quantiles of predicted survival.
    seed : int
        Seed of the resamples (required unless ``resamples`` is given).
    resamples : array (B, n), optional
        0-based row indices of the resamples (e.g. the ones R draws), instead of ``seed``.
    selection : CoxStepwise, optional
        The :func:`forward_cox` / :func:`backward_cox` selection that produced ``fit``: it is
        repeated in every resample and the model it keeps is the one refitted (as
        ``calibrate(fit, bw = TRUE)`` repeats rms's ``fastbw``), so the correction includes
        the optimism of the selection.

    Returns
    -------
    CoxCalibration
    """
    for attr in ("time", "event", "X", "ties", "predict"):
        if not hasattr(fit, attr):
            raise InputError(f"fit: expected a CoxFit (hccstats.coxph), it has no .{attr}")
    u = check_horizon(renamed("calibrate", "times", times, "u", u), float(fit.time.max()))
    if int(m) < 2:
        raise InputError(f"m: expected at least 2 patients per group, got {m!r}")
    n = fit.n
    time, event = fit.time, fit.event
    pred = fit.predict(type="survival", times=[u])[:, 0]
    g = max(1, n // int(m))
    cuts = np.unique(_quantile7(np.concatenate([[0.0, 1.0], pred]), np.linspace(0, 1, g + 1)))
    orig = groupkm(pred, time, event, cuts, u)
    index_orig = orig[:, 3] - orig[:, 0]
    idx = bootstrap_indices(n, B, seed, resamples)
    train = np.full((idx.shape[0], index_orig.size), np.nan)
    test = np.full_like(train, np.nan)
    failed = 0
    refit_columns = _selected_columns(fit, selection)
    for b, rows in enumerate(idx):
        Xr, Xo = refit_columns(rows)
        preds = _survival_at(time[rows], event[rows], Xr, fit.ties, u, [Xr, Xo])
        d_train = None if preds is None else _distance(preds[0], time[rows], event[rows], cuts, u)
        d_test = None if preds is None else _distance(preds[1], time, event, cuts, u)
        if d_train is None or d_test is None:
            failed += 1
            continue
        train[b], test[b] = d_train, d_test
    with np.errstate(invalid="ignore"):
        training = np.nanmean(train, axis=0) if failed < idx.shape[0] else np.full(g, np.nan)
        testing = np.nanmean(test, axis=0) if failed < idx.shape[0] else np.full(g, np.nan)
    optimism = training - testing
    table = pd.DataFrame(
        {
            "predicted": orig[:, 0],
            "observed": orig[:, 3],
            "observed_corrected": orig[:, 3] - optimism,
            "index_orig": index_orig,
            "training": training,
            "test": testing,
            "optimism": optimism,
            "index_corrected": index_orig - optimism,
            "n": orig[:, 1],
            "events": orig[:, 2],
            "std_err": orig[:, 4],
        }
    )
    return CoxCalibration(table, float(u), int(idx.shape[0]), failed, int(m), cuts, pred)


def _selected_columns(fit, selection):
    """``rows -> (the resample's design, the original patients' design)`` of the model to
    refit: the fit's columns, or those a repeated selection keeps on the resample."""
    if selection is None:
        return lambda rows: (fit.X[rows], fit.X)
    from ._validate_cox import selection_design

    cand, blocks = selection_design(fit, selection)

    def columns(rows):
        sub = dataclasses.replace(cand, time=fit.time[rows], event=fit.event[rows], X=cand.X[rows])
        with np.errstate(all="ignore"):
            kept = selection.repeat_on(sub, blocks)
        cols = [j for t in kept for j in blocks[t]]
        return cand.X[rows][:, cols], cand.X[:, cols]

    return columns
