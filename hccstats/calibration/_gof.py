"""Goodness-of-fit tests for a logistic model: Hosmer–Lemeshow and le Cessie–van Houwelingen."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from .._errors import InputError, UndefinedStatisticWarning
from .._results import TestResult
from .._validation import as_binary, check_same_length
from ._val_prob import check_risk

__all__ = ["hosmer_lemeshow", "le_cessie", "HosmerLemeshowTest", "LeCessieTest"]


@dataclass(frozen=True, repr=False)
class HosmerLemeshowTest(TestResult):
    """The Hosmer–Lemeshow test: ``statistic`` (chi-square), ``df`` (``g - 2``), ``p_value``;
    ``groups`` the table of risk groups (group, n, observed, expected, observed_nonevents,
    expected_nonevents), ``n_groups`` their number, ``note`` why the statistic is nan ("" else).
    ``to_frame()`` is the one-row test, ``groups`` the groups."""

    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_groups: int = 0
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row: statistic, df, p_value, n_groups, note, method."""
        row = {"statistic": self.statistic, "df": self.df, "p_value": self.p_value}
        row.update(n_groups=self.n_groups, note=self.note, method=self.method)
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        text = (
            f"\n\t{self.method}\n\nX-squared = {self.statistic:.6g}, df = {self.df:g}, "
            f"p-value = {self.p_value:.4g}\n\n"
            + self.groups.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        )
        return text + (f"\n{self.note}" if self.note else "")


@dataclass(frozen=True, repr=False)
class LeCessieTest(TestResult):
    """The le Cessie–van Houwelingen test: ``statistic`` (Z), ``p_value`` (two-sided normal),
    ``sse``, ``expected`` and ``sd`` (rms's ``Sum of squared errors``, ``Expected value|H0``,
    ``SD``). ``to_frame()`` is the one-row test."""

    sse: float = float("nan")
    expected: float = float("nan")
    sd: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row: sse, expected, sd, statistic (Z), p_value, method."""
        row = {"sse": self.sse, "expected": self.expected, "sd": self.sd}
        row.update(statistic=self.statistic, p_value=self.p_value, method=self.method)
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        return (
            f"\n\t{self.method}\n\nSum of squared errors = {self.sse:.6g}, "
            f"Expected value|H0 = {self.expected:.6g}, SD = {self.sd:.6g}\n"
            f"Z = {self.statistic:.6g}, p-value = {self.p_value:.4g}"
        )


def hosmer_lemeshow(y_true, risk, *, g: int = 10) -> HosmerLemeshowTest:
    """Hosmer–Lemeshow goodness-of-fit test over ``g`` groups of predicted risk.

    As ``ResourceSelection::hoslem.test(y, risk, g)`` (version 0.3-5): cut points are the
    sample quantiles ``unique(quantile(risk, seq(0, 1, 1/g)))`` (R's default type 7; tied
    cut points are merged), ``cut(risk, breaks, include.lowest = TRUE)`` forms the groups
    (right-closed intervals), the statistic sums ``(O - E)^2 / E`` over events and non-events
    of every group and is referred to chi-square with ``g - 2`` degrees of freedom, whatever
    the number of groups tied risks leave (Hosmer & Lemeshow, Applied Logistic Regression,
    2nd ed., section 5.2.2; hoslem.test's ``PARAMETER <- g - 2``). A group left empty by tied
    risks has ``E = 0``: the statistic is undefined there (hoslem.test gives NaN), so it is
    nan with an :class:`~hccstats.UndefinedStatisticWarning`.

    Parameters
    ----------
    y_true : array-like
        Binary outcome.
    risk : array-like
        Predicted probabilities in [0, 1].
    g : int
        Number of groups (deciles by default).

    Returns
    -------
    HosmerLemeshowTest
        ``statistic``, ``p_value``, ``df`` (``g - 2``); ``groups`` is the DataFrame of
        groups (``group, n, observed, expected, observed_nonevents, expected_nonevents``),
        ``n_groups`` their number, ``note`` why the statistic is nan ("" else).

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> from hccstats.calibration import hosmer_lemeshow
    >>> round(hosmer_lemeshow(d["recurrence"], fit.predict_risk()).p_value, 3)
    0.312
    """
    yb = as_binary(y_true, "y_true").astype(np.float64)
    p = check_risk(risk)
    check_same_length(y_true=yb, risk=p)
    if int(g) < 3:
        raise InputError(f"g: at least 3 groups are needed, got {g!r}")
    breaks = np.unique(np.quantile(p, np.linspace(0.0, 1.0, int(g) + 1)))
    if len(breaks) < 2:
        raise InputError("risk: constant, the Hosmer-Lemeshow groups cannot be formed")
    grp = np.searchsorted(breaks, p, side="left") - 1  # right-closed intervals
    grp = np.clip(grp, 0, len(breaks) - 2)  # include.lowest: the minimum goes to the first group
    k = len(breaks) - 1
    n = np.bincount(grp, minlength=k).astype(float)
    o1 = np.bincount(grp, weights=yb, minlength=k)
    e1 = np.bincount(grp, weights=p, minlength=k)
    o0, e0 = n - o1, n - e1
    df = int(g) - 2
    note = ""
    if np.any(n == 0):
        note = (
            f"{int(np.sum(n == 0))} of the {k} risk groups empty (tied predicted risks): "
            "the Hosmer-Lemeshow statistic is undefined"
        )
        warnings.warn(note, UndefinedStatisticWarning, stacklevel=2)
        stat = float("nan")
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # E = 0 with O = 0: R's NaN
            stat = float(np.sum((o1 - e1) ** 2 / e1 + (o0 - e0) ** 2 / e0))
    table = pd.DataFrame(
        {
            "group": np.arange(1, k + 1),
            "n": n,
            "observed": o1,
            "expected": e1,
            "observed_nonevents": o0,
            "expected_nonevents": e0,
        }
    )
    return HosmerLemeshowTest(
        statistic=stat,
        p_value=float(chi2.sf(stat, df)) if np.isfinite(stat) else float("nan"),
        method="Hosmer and Lemeshow goodness of fit (GOF) test",
        df=float(df),
        groups=table,
        n_groups=k,
        note=note,
    )


def le_cessie(fit=None, *, X=None, y_true=None, risk=None) -> LeCessieTest:
    """le Cessie–van Houwelingen–Copas–Hosmer unweighted sum of squares test of global fit.

    As ``rms::residuals.lrm(fit, type = "gof")``: ``SSE = sum((y - p)^2)`` against its
    expectation ``sum(p (1 - p))`` under the model; the SD comes from the weighted
    least-squares regression of ``1 - 2p`` on the design (weights ``p (1 - p)``).

    Parameters
    ----------
    fit : LogisticFit, optional
        A fitted model (uses ``fit.X``, ``fit.y`` and ``fit.predict_risk()``).
    X, y_true, risk : array-like, optional
        Instead of ``fit``: the design matrix (an intercept column is detected and kept once),
        the outcome and the fitted probabilities.

    Returns
    -------
    LeCessieTest
        ``statistic`` = Z, ``p_value`` (two-sided normal), ``sse``, ``expected``, ``sd``
        (rms's ``Sum of squared errors``, ``Expected value|H0``, ``SD``).

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> from hccstats.calibration import le_cessie
    >>> round(le_cessie(fit).p_value, 3)  # R: residuals(lrm(..., x=TRUE, y=TRUE), type = "gof")
    0.198
    """
    if fit is not None:
        X, y_true = fit.X, fit.y
        risk = fit.predict_risk()
    if X is None or y_true is None or risk is None:
        raise InputError("le_cessie: pass a fitted model or all of X, y_true and risk")
    yb = as_binary(y_true, "y_true").astype(np.float64)
    p = check_risk(risk)
    Xm = np.asarray(X, dtype=np.float64)
    if Xm.ndim == 1:
        Xm = Xm[:, None]
    check_same_length(y_true=yb, risk=p, X=Xm)
    if not np.isfinite(Xm).all():
        raise InputError("X: NaN or infinite values")
    const = np.all(Xm == 1.0, axis=0)
    Xd = np.column_stack([np.ones(len(p)), Xm[:, ~const]])
    sse = float(np.sum((yb - p) ** 2))
    wt = p * (1 - p)
    d = 1 - 2 * p
    sw = np.sqrt(wt)
    beta, *_ = np.linalg.lstsq(Xd * sw[:, None], d * sw, rcond=None)
    res = (d - Xd @ beta) * sw
    sd = float(np.sqrt(np.sum(res**2)))
    ev = float(np.sum(wt))
    if not sd > 0:  # fitted risks all 0 or 1, or 1 - 2p in the span of the design
        warnings.warn(
            "le Cessie-van Houwelingen: SD of the sum of squares is 0; z and p undefined",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
        z = float("nan")
    else:
        z = (sse - ev) / sd
    return LeCessieTest(
        statistic=float(z),
        p_value=float(2 * norm.cdf(-abs(z))) if np.isfinite(z) else float("nan"),
        method="le Cessie-van Houwelingen-Copas-Hosmer unweighted sum of squares test",
        sse=sse,
        expected=ev,
        sd=sd,
    )
