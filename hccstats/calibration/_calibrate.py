"""``rms::calibrate`` (method "boot"): bootstrap overfitting-corrected calibration curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError
from .._validation import as_binary, check_same_length
from ._batched_newton import lrm_fit_batch, risk_rows
from ._lowess import approx, index_bits, risk_sort_keys, smooth_boot_at, smooth_rows_at
from ._resample import average, bootstrap_indices, counts, fit_arrays, run_chunks
from ._val_prob import check_risk

__all__ = ["Calibration", "calibrate", "calibration_curve"]


@dataclass(frozen=True, eq=False)
class Calibration:
    """Calibration curve: the table ``rms::calibrate`` prints, with its error summaries.

    Attributes
    ----------
    table : DataFrame
        One row per grid point: ``predicted`` (rms ``predy``), ``apparent``
        (``calibrated.orig``), ``bias_corrected`` (``calibrated.corrected``), ``optimism``, and
        ``index_orig``, ``training``, ``test``, ``index_corrected``, ``n`` (rms's other columns;
        ``n`` = resamples whose curves reached that point). Without bootstrap (external data)
        ``bias_corrected``, ``optimism`` ... are nan.
    predicted_risk : ndarray
        The model's predicted risks of the patients.
    mean_abs_error, mean_squared_error, quantile_90 : float
        rms's "Mean absolute error", "Mean squared error", "0.9 Quantile of absolute error" of
        the bias-corrected curve (of the apparent curve without bootstrap).
    n, B, n_failed : int
        Patients, resamples asked for, resamples whose fit failed (singular or not converged,
        or without events): left out, as rms does.
    """

    table: pd.DataFrame
    predicted_risk: np.ndarray
    mean_abs_error: float
    mean_squared_error: float
    quantile_90: float
    n: int
    B: int
    n_failed: int
    seed: object = None
    method: str = "boot"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax=None, *, name: str = "Model", **kwargs):
        """Ideal line, apparent and bias-corrected curves (``hccstats.plots.calibration_curves``)."""
        from ..plots import calibration_curves

        return calibration_curves({name: self}, ax=ax, **kwargs)

    def __repr__(self) -> str:
        head = (
            f"Estimates of Calibration Accuracy by {'Bootstrap' if self.B else 'lowess'} "
            f"(B={self.B}, failed={self.n_failed})\n\n"
            f"n={self.n}   Mean absolute error={self.mean_abs_error:.3f}   "
            f"Mean squared error={self.mean_squared_error:.5f}\n"
            f"0.9 Quantile of absolute error={self.quantile_90:.3f}\n\n"
        )
        return head + self.table.to_string(float_format=lambda v: f"{v:.4f}")


def _grid(predicted: np.ndarray) -> np.ndarray:
    n = len(predicted)
    if n < 11:
        raise InputError(f"fit: at least 11 patients are needed for the calibration grid, got {n}")
    p = np.sort(predicted)
    return np.linspace(p[4], p[n - 5], 50)


def _errors(predicted, predy, curve):
    s = np.isfinite(predy) & np.isfinite(curve)
    if not s.any():
        return (float("nan"),) * 3
    err = predicted - approx(predy[s], curve[s], predicted, ties="mean")
    a = np.abs(err[np.isfinite(err)])
    if not a.size:  # the curve is defined nowhere the predictions lie (e.g. every refit failed)
        return (float("nan"),) * 3
    return float(a.mean()), float(np.mean(a**2)), float(np.quantile(a, 0.9))


def _smooth(xmat, ymat, predy):
    out = np.empty((xmat.shape[0], len(predy)))
    smooth_rows_at(np.ascontiguousarray(xmat), np.ascontiguousarray(ymat), predy, False, out)
    return out


def _is_cox(fit) -> bool:
    return type(fit).__name__ == "CoxFit"


def calibrate(
    fit,
    B: int = 1000,
    *,
    seed=None,
    predy=None,
    n_jobs: int | None = 1,
    resamples=None,
    progress: bool = False,
    times: float | None = None,
    u: float | None = None,
):
    """Bootstrap overfitting-corrected calibration curve, as ``rms::calibrate(fit, B=B)``.

    Harrell's method: the apparent curve is ``lowess(predicted, y, iter = 0)`` read at a grid
    of predicted risks; the model is re-fitted in each bootstrap resample, its curve on the
    resample (training) minus its curve on the original patients (test) estimates the
    optimism at each grid point, and the average optimism is subtracted from the apparent
    curve. Fits follow rms's ``lrm.fit`` iterations, started at the model's coefficients
    (the same maximum in fewer steps, within the criterion's precision; a fit that fails or
    is slow from there is redone from rms's start, so it fails where rms's does); failed
    fits are counted (``n_failed``) and left out, never fatal.

    Parameters
    ----------
    fit : LogisticFit
        From :func:`hccstats.lrm` (uses ``fit.X``, ``fit.y``, ``fit.coef``).
    B : int
        Bootstrap resamples (the study: 1000).
    seed : int
        Seed of the resampling (``numpy.random.default_rng``); required.
    times : float, optional
        For a Cox model only: a ``CoxFit`` is handed to :func:`hccstats.calibrate_cox` with this
        horizon (rms's ``u``, also accepted as ``u=``), ``B``, ``seed`` and ``resamples``.
    predy : array-like, optional
        Grid of predicted risks; default rms's: 50 points from the 5th smallest to the 5th
        largest predicted risk.
    n_jobs : int, optional
        Threads (joblib); the result does not depend on it.
    resamples : array-like (B, n), optional
        0-based row indices of the resamples to use instead of drawing them (e.g. R's).
    progress : bool
        Show a progress bar with the time left (tqdm, on stderr).

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> cal = hs.calibrate(fit, B=50, seed=1)  # R: calibrate(lrm(..., x=TRUE, y=TRUE), B=50)
    >>> round(cal.mean_abs_error, 3)
    0.016
    """
    horizon = times if u is None else u
    if _is_cox(fit):
        if horizon is None:
            raise InputError(
                "calibrate: a Cox model is calibrated at a horizon: give times (rms's u), "
                "e.g. hs.calibrate(fit, times=5, B=200, seed=1)"
            )
        from ..survival import calibrate_cox

        return calibrate_cox(fit, horizon, B=B, seed=seed, resamples=resamples)
    if horizon is not None:
        raise InputError(
            "calibrate: a horizon (times, rms's u) is for Cox models (hccstats.calibrate_cox); "
            f"this is a {type(fit).__name__}"
        )
    X, y, coef = fit_arrays(fit)
    n = len(y)
    predicted = 1.0 / (1.0 + np.exp(-(X @ coef)))
    grid = _grid(predicted) if predy is None else np.ascontiguousarray(check_risk(predy, "predy"))
    idx = bootstrap_indices(n, B, seed, resamples)
    orig = _smooth(predicted[None, :], y[None, :], grid)[0]
    bits = index_bits(n)

    def one_chunk(ix):
        Wi = counts(ix, n, dtype=np.int64)
        bf = lrm_fit_batch(X, y, Wi.astype(np.float64), tol=1e-13, deviance=False, start=coef)
        ok = ~bf.fail
        train = np.full((len(ix), len(grid)), np.nan)
        test = np.full_like(train, np.nan)
        if ok.any():
            prob = risk_rows(bf.coef[ok], X)
            tr_ok = np.empty((prob.shape[0], len(grid)))
            te_ok = np.empty_like(tr_ok)
            if bits <= 24:  # keys keep at least 28 bits of the risk
                order = risk_sort_keys(prob, bits)
                order.sort(axis=1)
                smooth_boot_at(prob, order, y, Wi[ok], grid, tr_ok, te_ok, bits)
            else:
                smooth_boot_at(prob, np.argsort(prob, axis=1), y, Wi[ok], grid, tr_ok, te_ok)
            train[ok] = tr_ok - grid
            test[ok] = te_ok - grid
        return train, test, bf.fail

    parts = run_chunks(one_chunk, idx, n_jobs, progress=progress, desc="calibrate")
    tr, te, num, n_failed = average(parts)
    index_orig = orig - grid
    optimism = tr - te
    corrected = orig - optimism
    table = pd.DataFrame(
        {
            "predicted": grid,
            "apparent": orig,
            "bias_corrected": corrected,
            "optimism": optimism,
            "index_orig": index_orig,
            "training": tr,
            "test": te,
            "index_corrected": index_orig - optimism,
            "n": num,
        }
    )
    mae, mse, q90 = _errors(predicted, grid, corrected)
    return Calibration(table, predicted, mae, mse, q90, n, idx.shape[0], n_failed, seed)


def calibration_curve(y_true, risk, *, predy=None) -> Calibration:
    """Apparent calibration curve of predicted risks on (external) data: lowess, no bootstrap.

    The curve of ``rms::val.prob`` (``lowess(risk, y, iter = 0)``) read at rms::calibrate's grid
    of risks, so that validation-set curves plot like training-set ones. ``bias_corrected``,
    ``optimism`` and the bootstrap columns are nan; the error summaries use the apparent curve.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> from hccstats.calibration import calibration_curve
    >>> cc = calibration_curve(d["recurrence"], fit.predict_risk())  # a validation set's risks
    >>> round(cc.mean_abs_error, 3)
    0.013
    """
    yb = as_binary(y_true, "y_true").astype(np.float64)
    p = check_risk(risk)
    check_same_length(y_true=yb, risk=p)
    grid = _grid(p) if predy is None else np.ascontiguousarray(check_risk(predy, "predy"))
    orig = np.empty((1, len(grid)))
    smooth_rows_at(p[None, :].copy(), yb[None, :].copy(), grid, False, orig)
    nan = np.full(len(grid), np.nan)
    table = pd.DataFrame(
        {
            "predicted": grid,
            "apparent": orig[0],
            "bias_corrected": nan,
            "optimism": nan,
            "index_orig": orig[0] - grid,
            "training": nan,
            "test": nan,
            "index_corrected": nan,
            "n": np.zeros(len(grid), int),
        }
    )
    mae, mse, q90 = _errors(p, grid, orig[0])
    return Calibration(table, p, mae, mse, q90, len(p), 0, 0, None, "apparent")
