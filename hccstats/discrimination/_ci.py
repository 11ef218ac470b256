"""Confidence interval of the AUC (``pROC::ci.auc``): DeLong or stratified bootstrap."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import InputError, UndefinedStatisticWarning
from .._results import ConfidenceInterval
from .._validation import check_B, check_conf_level, check_seed
from ._bootstrap import bootstrap_aucs
from ._delong import delong_var
from ._roc import Roc

__all__ = ["ci_auc", "AucCI", "check_roc", "normal_interval"]


@dataclass(frozen=True, repr=False, kw_only=True)
class AucCI(ConfidenceInterval):
    """The AUC with its confidence interval (unrounded): a :class:`~hccstats.ConfidenceInterval`
    (``low``, ``high``, ``level``) that also carries the estimate.

    ``auc``: the AUC of the curve. ``se``: DeLong's standard error, or the standard deviation
    of the bootstrap AUCs. ``method``: ``"delong"`` or ``"bootstrap"``. ``B``: resamples used
    (bootstrap only; resamples with an undefined AUC excluded).
    """

    auc: float
    se: float
    method: str = "delong"
    B: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row: estimate, ci_low, ci_high, se, conf_level, method."""
        return pd.DataFrame(
            [
                {
                    "estimate": self.auc,
                    "ci_low": self.low,
                    "ci_high": self.high,
                    "se": self.se,
                    "conf_level": self.level,
                    "method": self.method,
                }
            ]
        )

    def __repr__(self) -> str:
        how = "DeLong" if self.method == "delong" else f"{self.B} stratified bootstrap replicates"
        return f"{self.level:.0%} CI: {self.low:.4f}-{self.high:.4f} ({how}); AUC = {self.auc:.4f}"


def check_roc(r, name: str) -> Roc:
    if not isinstance(r, Roc):
        raise InputError(f"{name}: expected a Roc from hccstats.roc(), got {type(r).__name__}")
    return r


def normal_interval(estimate: float, se: float, level: float) -> tuple[float, float]:
    """``estimate -/+ z * se`` (``qnorm(c(a/2, 1-a/2), estimate, se)``); zero se gives a point."""
    if se == 0.0:
        return estimate, estimate
    z = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
    return estimate - z * se, estimate + z * se


def ci_auc(
    roc: Roc,
    method: str = "delong",
    conf_level: float = 0.95,
    *,
    B: int = 2000,
    seed: int | None = None,
    stratified: bool = True,
) -> AucCI:
    """Confidence interval of the AUC, as ``pROC::ci.auc``.

    Parameters
    ----------
    roc : Roc
        From :func:`hccstats.roc`.
    method : {"delong", "bootstrap"}
        ``"delong"``: ``AUC -/+ z * sqrt(V)`` with DeLong's variance ``V``, clipped to
        [0, 1], exactly as pROC. ``"bootstrap"``: percentiles (R's type 7 quantiles) of
        ``B`` AUCs on resamples drawn with replacement, within controls and within
        cases when ``stratified`` (pROC's default).
    conf_level : float
        Confidence level.
    B, seed, stratified
        Bootstrap only: resamples, their seed (required there: same seed, same interval)
        and whether controls and cases are resampled separately.

    Returns
    -------
    AucCI

    Notes
    -----
    R equivalent: ``pROC::ci.auc(roc, conf.level = 0.95, method = "delong")`` and
    ``method = "bootstrap", boot.n = 2000, boot.stratified = TRUE`` (``boot.n`` is ``B``). pROC's bootstrap uses
    R's random numbers, so bootstrap limits agree with pROC's within Monte-Carlo error
    only. With one case or one control DeLong's variance is undefined: the limits are nan
    with an :class:`~hccstats.UndefinedStatisticWarning`.

    Examples
    --------
    >>> import hccstats as hs
    >>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
    >>> ci = hs.ci_auc(r)
    >>> round(ci.low, 4), round(ci.high, 4)
    (0.5809, 1.0)
    """
    check_roc(roc, "roc")
    level = check_conf_level(conf_level)
    if method == "delong":
        var = delong_var(roc)
        if not np.isfinite(var):
            warnings.warn(
                f"ci_auc: DeLong's variance needs at least 2 cases and 2 controls "
                f"(got {roc.n_cases} cases, {roc.n_controls} controls); CI is nan",
                UndefinedStatisticWarning,
                stacklevel=2,
            )
            nan = float("nan")
            return AucCI(low=nan, high=nan, level=level, auc=roc.auc, se=nan, method="delong")
        if roc.auc == 1.0:
            warnings.warn(
                "ci_auc: the curve is perfect (AUC == 1); its DeLong CI is always 1-1 and can be misleading",
                UndefinedStatisticWarning,
                stacklevel=2,
            )
        se = float(np.sqrt(var))
        low, high = normal_interval(roc.auc, se, level)
        return AucCI(
            low=float(min(max(low, 0.0), 1.0)),
            high=float(min(max(high, 0.0), 1.0)),
            level=level,
            auc=roc.auc,
            se=se,
            method="delong",
        )
    if method != "bootstrap":
        raise InputError(f"method: expected 'delong' or 'bootstrap', got {method!r}")
    B = check_B(B, minimum=2)
    seed = check_seed(seed, "ci_auc(method='bootstrap')")
    aucs = bootstrap_aucs((roc,), B, seed, stratified=bool(stratified))[:, 0]
    ok = np.isfinite(aucs)
    if not ok.all():
        warnings.warn(
            f"ci_auc: {int((~ok).sum())} bootstrap resample(s) without cases or controls were ignored",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
        aucs = aucs[ok]
    low, high = np.quantile(aucs, [(1.0 - level) / 2.0, 1.0 - (1.0 - level) / 2.0])
    return AucCI(
        low=float(low),
        high=float(high),
        level=level,
        auc=roc.auc,
        se=float(np.std(aucs, ddof=1)),
        method="bootstrap",
        B=int(aucs.size),
    )
