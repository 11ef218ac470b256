"""``rms::val.prob``: calibration and discrimination of predicted risks on (external) data."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from .._errors import InputError, UndefinedStatisticWarning
from .._validation import as_binary, as_finite, check_same_length
from ._batched_newton import loglik2, lrm_fit_batch, null_deviance
from ._lowess import approx, lowess
from ._stats import lrm_binned_c, nagelkerke

__all__ = ["ValProb", "val_prob", "check_risk"]

# rms's names, in rms's order
_R_NAMES = {
    "dxy": "Dxy",
    "c": "C (ROC)",
    "r2": "R2",
    "d": "D",
    "d_chi2": "D:Chi-sq",
    "d_p": "D:p",
    "u": "U",
    "u_chi2": "U:Chi-sq",
    "u_p": "U:p",
    "q": "Q",
    "brier": "Brier",
    "intercept": "Intercept",
    "slope": "Slope",
    "emax": "Emax",
    "e90": "E90",
    "eavg": "Eavg",
    "s_z": "S:z",
    "s_p": "S:p",
}


@dataclass(frozen=True)
class ValProb:
    """The indices of ``rms::val.prob`` (unrounded). ``to_series()`` gives rms's names."""

    dxy: float
    c: float
    r2: float
    d: float
    d_chi2: float
    d_p: float
    u: float
    u_chi2: float
    u_p: float
    q: float
    brier: float
    intercept: float
    slope: float
    emax: float
    e90: float
    eavg: float
    s_z: float
    s_p: float
    n: int

    def to_series(self) -> pd.Series:
        """The named vector rms returns (``Dxy``, ``C (ROC)``, ..., ``S:p``)."""
        d = asdict(self)
        return pd.Series({r: d[k] for k, r in _R_NAMES.items()}, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """One row per index: columns ``index`` (rms's name) and ``estimate``."""
        s = self.to_series()
        return pd.DataFrame({"index": s.index, "estimate": s.to_numpy()})

    def __repr__(self) -> str:
        return self.to_series().to_string(float_format=lambda v: f"{v:.6g}")


def check_risk(risk, name: str = "risk") -> np.ndarray:
    """Predicted probabilities: finite, within [0, 1]; InputError naming ``name`` otherwise."""
    p = as_finite(risk, name)
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise InputError(
            f"{name}: {int(bad.sum())} value(s) outside [0, 1] (first at position "
            f"{int(np.flatnonzero(bad)[0])}: {p[bad][0]!r}); pass probabilities, not scores"
        )
    return p


def _spiegelhalter(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sum((y - p) * (1 - 2 * p)) / np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    return float(z), float(2 * norm.cdf(-abs(z)))


def _log1pexp_r(x: np.ndarray) -> np.ndarray:
    return np.log(1.0 + np.exp(x))  # as R's logb(1 + exp(x))


def _check_order(y_true, risk) -> None:
    """InputError when the arguments come in rms's order ``val.prob(p, y)``."""
    try:
        a = np.asarray(y_true, dtype=float).reshape(-1)
        b = np.asarray(risk, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return
    if (
        len(np.unique(a[np.isfinite(a)])) > 2
        and np.nanmin(a) >= 0
        and np.nanmax(a) <= 1
        and set(np.unique(b[np.isfinite(b)])) <= {0.0, 1.0}
    ):
        raise InputError(
            "val_prob(y_true, risk): y_true holds probabilities and risk is 0/1: the arguments "
            "look swapped (rms's val.prob takes (p, y); hccstats's val_prob takes (y_true, risk))"
        )


def val_prob(y_true, risk) -> ValProb:
    """Validation indices of predicted probabilities, as ``rms::val.prob(p, y, pl = FALSE)``.

    Parameters
    ----------
    y_true : array-like
        Observed binary outcome (0/1 or two labels; the larger label is the event).
    risk : array-like
        Predicted probabilities in [0, 1] (e.g. ``fit.predict_risk(validation)``).

    Returns
    -------
    ValProb
        ``dxy``, ``c`` (C (ROC) as rms reports it: from ``lrm.fit``'s binned probabilities,
        5001 cells), ``r2`` (Nagelkerke), ``d``, ``d_chi2``, ``d_p`` (nan, as rms), ``u``,
        ``u_chi2``, ``u_p``, ``q``, ``brier``, ``intercept`` and ``slope`` (logistic
        recalibration ``y ~ logit(risk)``: calibration-in-the-large and slope), ``emax``,
        ``e90``, ``eavg`` (absolute differences between ``risk`` and the ``lowess(risk, y,
        iter = 0)`` calibration curve), ``s_z``, ``s_p`` (Spiegelhalter's z-test).

    Notes
    -----
    R equivalent: ``rms::val.prob(p, y, pl = FALSE)``. Risks of exactly 0 or 1 are left out
    of the logistic calibration (rms warns likewise); a constant risk gives rms's special
    case (Dxy 0, C 0.5).

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> v = hs.val_prob(d["recurrence"], fit.predict_risk())  # apparent: slope 1, intercept 0
    >>> round(v.slope, 3), round(v.intercept, 3), round(v.emax, 3)
    (1.0, 0.0, 0.074)
    """
    _check_order(y_true, risk)
    yb = as_binary(y_true, "y_true").astype(np.float64)
    p = check_risk(risk)
    check_same_length(y_true=yb, risk=p)
    with np.errstate(divide="ignore"):
        logit = np.log(p / (1.0 - p))
    if np.unique(p).size == 1:
        warnings.warn(
            "risk is constant: Dxy, R2 and slope are 0 as in rms",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
        return _constant_risk(p, yb, logit)
    fin = np.isfinite(logit)
    if not fin.all():
        warnings.warn(
            f"{int((~fin).sum())} observations deleted from logistic calibration due to "
            "probs. of 0 or 1",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
    return _indices(p, yb, logit, fin)


def _constant_risk(p: np.ndarray, yb: np.ndarray, logit: np.ndarray) -> ValProb:
    """rms's special case of a constant risk: Dxy 0, C 0.5, R2 and slope 0."""
    P = yb.mean()
    intc = np.log(P / (1 - P))
    n = len(p)
    d = -1.0 / n
    l01 = -2 * np.nansum(yb * logit - _log1pexp_r(logit))
    lcal = -2 * np.sum(yb * intc - _log1pexp_r(np.full(n, intc)))
    u_chi2 = l01 - lcal
    u = (u_chi2 - 1) / n
    sz, sp = _spiegelhalter(p, yb)
    e = abs(p[0] - P)
    return ValProb(
        0.0,
        0.5,
        0.0,
        d,
        0.0,
        1.0,
        u,
        u_chi2,
        float(chi2.sf(u_chi2, 1)),
        d - u,
        float(np.mean((yb - p[0]) ** 2)),
        float(intc),
        0.0,
        0.0,
        e,
        e,
        sz,
        sp,
        n,
    )


def _indices(p: np.ndarray, yb: np.ndarray, logit: np.ndarray, fin: np.ndarray) -> ValProb:
    """The indices of a risk that varies, the logistic calibration on the finite logits
    ``fin`` (risks of 0 or 1 left out)."""
    lg, yi = logit[fin], yb[fin]
    n = len(lg)
    Xc = np.column_stack([np.ones(n), lg])
    # f.fixed: lrm.fit(logit, y, initial = c(0, 1), maxit = 1): statistics at intercept 0, slope 1
    l0 = float(null_deviance(yi)[0])
    lfix = float(loglik2(lg, yi))
    lr = l0 - lfix
    c = lrm_binned_c(1.0 / (1.0 + np.exp(-np.clip(lg, -30, 30))), yi)
    r2 = float(nagelkerke(lr, l0, n))
    # f.recal: lrm.fit(logit, y)
    recal = lrm_fit_batch(Xc, yi)
    if recal.fail[0]:
        warnings.warn(
            "logistic recalibration did not converge", UndefinedStatisticWarning, stacklevel=3
        )
    intercept, slope = (float(v) for v in recal.coef[0])
    xs, sm = lowess(p, yb, iter=0)
    cal = approx(xs, sm, p, ties="mean")
    er = np.abs(p - cal)
    d = (lr - 1.0) / n
    with np.errstate(invalid="ignore"):
        l01 = -2 * np.nansum(yb * logit - _log1pexp_r(logit))
    u_chi2 = float(l01 - recal.deviance[0])
    u = (u_chi2 - 2.0) / n
    sz, sp = _spiegelhalter(p, yb)
    return ValProb(
        dxy=2.0 * (c - 0.5),
        c=c,
        r2=r2,
        d=float(d),
        d_chi2=float(lr),
        d_p=float("nan"),
        u=float(u),
        u_chi2=u_chi2,
        u_p=float(chi2.sf(u_chi2, 2)),
        q=float(d - u),
        brier=float(np.mean((p - yb) ** 2)),
        intercept=intercept,
        slope=slope,
        emax=float(er.max()),
        e90=float(np.quantile(er, 0.9)),
        eavg=float(er.mean()),
        s_z=sz,
        s_p=sp,
        n=int(n),
    )
