"""Comparing two AUCs (``pROC::roc.test``): DeLong paired / unpaired, bootstrap."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import HccstatsWarning, InputError, UndefinedStatisticWarning
from .._results import ConfidenceInterval
from .._validation import check_B, check_conf_level, check_seed
from ._bootstrap import bootstrap_aucs
from ._ci import check_roc, normal_interval
from ._delong import delong_paired, delong_unpaired
from ._roc import DirectionWarning, Roc

__all__ = ["roc_test", "are_paired", "DeLongTest"]


@dataclass(frozen=True, repr=False)
class DeLongTest:
    """The comparison of two AUCs by :func:`roc_test` (pROC's ``roc.test``), unrounded.

    Attributes
    ----------
    statistic : float
        ``Z`` (paired DeLong) or ``D`` (unpaired DeLong, bootstrap); see ``statistic_name``.
    p_value : float
    statistic_name : {"Z", "D"}
    df : float or None
        Degrees of freedom of the unpaired DeLong test (Student's t); None otherwise.
    estimate : float
        ``auc1 - auc2``.
    se : float
        Standard error of the difference (DeLong's, or the SD of the bootstrap differences).
    ci : ConfidenceInterval
        Of the difference.
    auc1, auc2 : float
    paired : bool
    alternative : {"two.sided", "greater", "less"}
    method : {"delong", "bootstrap"}
    var1, var2 : float or None
        DeLong's variances of the two AUCs (DeLong only).
    cov : float or None
        DeLong's covariance of the two AUCs (paired DeLong only).
    B : int or None
        Bootstrap resamples used (bootstrap only; resamples with an undefined AUC excluded).
    stratified : bool or None
        Bootstrap only: controls and cases resampled separately.
    """

    __test__ = False  # not a pytest class

    statistic: float
    p_value: float
    statistic_name: str
    df: float | None
    estimate: float
    se: float
    ci: ConfidenceInterval
    auc1: float
    auc2: float
    paired: bool
    alternative: str = "two.sided"
    method: str = "delong"
    var1: float | None = None
    var2: float | None = None
    cov: float | None = None
    B: int | None = None
    stratified: bool | None = None

    @property
    def title(self) -> str:
        """pROC's heading of the test."""
        if self.method == "bootstrap":
            return f"Bootstrap test for two {'correlated ' if self.paired else ''}ROC curves"
        if self.paired:
            return "DeLong's test for two correlated ROC curves"
        return "DeLong's test for two ROC curves"

    def to_frame(self) -> pd.DataFrame:
        """One row: every field, the CI as ``ci_low``, ``ci_high``, ``conf_level``."""
        row = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("ci", "__test__")
        }
        row.update(ci_low=self.ci.low, ci_high=self.ci.high, conf_level=self.ci.level)
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        df = f", df = {self.df:.6g}" if self.df is not None else ""
        return "\n".join(
            [
                f"\n\t{self.title}\n",
                f"{self.statistic_name} = {self.statistic:.6g}{df}, p-value = {self.p_value:.4g}",
                f"alternative hypothesis: {self.alternative}",
                f"AUC of roc1 = {self.auc1:.6g}, AUC of roc2 = {self.auc2:.6g}",
                f"difference {self.estimate:.6g}, {self.ci!r}",
            ]
        )


ALTERNATIVES = ("two.sided", "greater", "less")


def are_paired(roc1: Roc, roc2: Roc) -> bool:
    """pROC's ``are.paired``: same levels and an identical response vector."""
    return roc1.levels == roc2.levels and np.array_equal(roc1.y_true, roc2.y_true)


def _is_perfect(r: Roc) -> bool:
    return abs(float(np.max(r.sensitivities + r.specificities)) - 2.0) < np.sqrt(
        np.finfo(float).eps
    )


def _normal_p(z: float, alternative: str) -> float:
    if alternative == "two.sided":
        return float(2.0 * stats.norm.cdf(-abs(z)))
    if alternative == "greater":
        return float(stats.norm.cdf(-z))
    return float(stats.norm.cdf(z))


def _t_p(t: float, df: float, alternative: str) -> float:
    if alternative == "two.sided":
        return float(2.0 * stats.t.cdf(-abs(t), df))
    if alternative == "greater":
        return float(stats.t.cdf(-t, df))
    return float(stats.t.cdf(t, df))


def _ratio(d: float, se: float) -> float:
    """``d / se`` with 0/0 -> 0 (identical curves) and d/0 -> +/-inf."""
    if se == 0.0 or not np.isfinite(se):
        if d == 0.0:
            return 0.0
        return float(np.sign(d) * np.inf) if se == 0.0 else float("nan")
    return d / se


def roc_test(
    roc1: Roc,
    roc2: Roc,
    method: str = "delong",
    *,
    paired: bool | None = None,
    alternative: str = "two.sided",
    conf_level: float = 0.95,
    B: int = 2000,
    seed: int | None = None,
    stratified: bool = True,
) -> DeLongTest:
    """Compare the AUCs of two ROC curves, as ``pROC::roc.test``.

    Parameters
    ----------
    roc1, roc2 : Roc
        The curves; the difference is ``auc1 - auc2``.
    method : {"delong", "bootstrap"}
        ``"delong"``: paired curves get DeLong's Z test for correlated AUCs (``Z = d / SE(d)``,
        ``Var(d) = V1 + V2 - 2 Cov``); unpaired curves get pROC's test for independent AUCs,
        ``D = d / sqrt(V1 + V2)`` against Student's t with pROC's degrees of freedom.
        ``"bootstrap"``: ``D = d / sd(d*)`` over ``B`` resamples (paired resamples for
        paired curves), against the normal distribution.
    paired : bool, optional
        ``None`` detects pairing as pROC does: same levels and an identical ``y_true`` vector.
        ``True`` on unpaired curves raises :class:`~hccstats.InputError`; ``False`` on paired
        curves warns and runs the unpaired test.
    alternative : {"two.sided", "greater", "less"}
        ``"greater"``: auc1 > auc2.
    conf_level : float
        Level of the confidence interval of the difference (``d -/+ z * SE``; for the
        unpaired DeLong test ``d -/+ t_df * SE``, which pROC does not print).
    B, seed, stratified
        Bootstrap only: resamples (pROC's ``boot.n``), their seed (required there) and
        whether controls and cases are resampled separately.

    Returns
    -------
    DeLongTest
        ``statistic`` (Z, or D for unpaired/bootstrap), ``p_value``, ``df`` (unpaired DeLong),
        ``estimate`` (auc1 - auc2), ``se`` and ``ci`` of the difference, ``auc1``, ``auc2``,
        ``paired``, and for DeLong ``var1``, ``var2`` (and ``cov`` when paired).

    Notes
    -----
    R equivalent: ``pROC::roc.test(roc1, roc2, method = "delong", paired = NULL,
    alternative = "two.sided", conf.level = 0.95)``. Two identical curves give a
    statistic of 0 and p = 1 (no division by zero). Bootstrap p-values agree with pROC's
    only within Monte-Carlo error (different random numbers).

    Examples
    --------
    >>> import hccstats as hs
    >>> y = [0, 0, 0, 1, 1, 1, 0, 1]
    >>> r1 = hs.roc(y, [0.1, 0.3, 0.2, 0.8, 0.7, 0.4, 0.5, 0.9], direction="<")
    >>> r2 = hs.roc(y, [0.2, 0.1, 0.6, 0.5, 0.9, 0.3, 0.4, 0.7], direction="<")
    >>> t = hs.roc_test(r1, r2)
    >>> round(t.statistic, 4), round(t.p_value, 4)
    (0.866, 0.3865)
    """
    check_roc(roc1, "roc1")
    check_roc(roc2, "roc2")
    level = check_conf_level(conf_level)
    if alternative not in ALTERNATIVES:
        raise InputError(f"alternative: expected one of {ALTERNATIVES}, got {alternative!r}")
    if method not in ("delong", "bootstrap"):
        raise InputError(f"method: expected 'delong' or 'bootstrap', got {method!r}")
    paired = _pairing(roc1, roc2, paired)
    _warn_about(roc1, roc2)
    if method == "delong":
        parts = _delong(roc1, roc2, paired, alternative, level)
    else:
        B = check_B(B, minimum=2)
        seed = check_seed(seed, "roc_test(method='bootstrap')")
        parts = _bootstrap(roc1, roc2, paired, alternative, level, B, seed, bool(stratified))
    return DeLongTest(
        auc1=roc1.auc,
        auc2=roc2.auc,
        paired=paired,
        alternative=alternative,
        method=method,
        **parts,
    )


def _pairing(roc1: Roc, roc2: Roc, paired: bool | None) -> bool:
    """``paired`` as asked, or detected (``None``) as pROC does; the paired test on curves of
    different patients is refused, the unpaired one on paired curves warned about."""
    detected = are_paired(roc1, roc2)
    if paired is None:
        return detected
    if paired and not detected:
        raise InputError(
            "paired: the paired test needs two curves on the same patients (identical y_true "
            "and levels); these differ"
        )
    if not paired and detected:
        warnings.warn(
            "roc_test: the curves seem to be paired (identical y_true); consider paired=None/True",
            HccstatsWarning,
            stacklevel=3,
        )
    return bool(paired)


def _warn_about(roc1: Roc, roc2: Roc) -> None:
    """pROC's warnings: two perfect curves, curves of different directions."""
    if _is_perfect(roc1) and _is_perfect(roc2):
        warnings.warn(
            "roc_test: both curves have AUC == 1; the p-value is always 1 and can be misleading",
            UndefinedStatisticWarning,
            stacklevel=3,
        )
    if roc1.direction != roc2.direction:
        warnings.warn(
            f"roc_test: the curves have different directions ({roc1.direction!r}, {roc2.direction!r})",
            DirectionWarning,
            stacklevel=3,
        )


def _result(d, se, stat, p, low, high, level, name, df=None, **fields) -> dict:
    """The fields of a :class:`DeLongTest` that depend on the method."""
    return dict(
        statistic=float(stat),
        p_value=float(p),
        statistic_name=name,
        df=None if df is None else float(df),
        estimate=float(d),
        se=float(se),
        ci=ConfidenceInterval(float(low), float(high), level),
        **fields,
    )


def _delong(roc1: Roc, roc2: Roc, paired: bool, alternative: str, level: float) -> dict:
    """DeLong's Z test of correlated AUCs, or pROC's t test of independent ones."""
    if paired:
        d, se, v1, v2, cov = delong_paired(roc1, roc2)
        stat = _ratio(d, se)
        low, high = normal_interval(d, se, level)
        p = _normal_p(stat, alternative)
        return _result(d, se, stat, p, low, high, level, "Z", var1=v1, var2=v2, cov=cov)
    d, se, df, v1, v2 = delong_unpaired(roc1, roc2)
    stat = _ratio(d, se)
    if stat == 0.0 and not np.isfinite(df):
        p = 1.0
    else:
        p = _t_p(stat, df, alternative)
    tq = stats.t.ppf(1.0 - (1.0 - level) / 2.0, df) if np.isfinite(df) else np.nan
    low, high = (d, d) if se == 0.0 else (d - tq * se, d + tq * se)
    return _result(d, se, stat, p, low, high, level, "D", df, var1=v1, var2=v2)


def _bootstrap(
    roc1: Roc, roc2: Roc, paired: bool, alternative: str, level: float, B: int, seed, stratified
) -> dict:
    """``D = d / sd(d*)`` over ``B`` resamples, against the normal distribution."""
    aucs = bootstrap_aucs((roc1, roc2), B, seed, stratified=stratified, paired=paired)
    diffs = aucs[:, 0] - aucs[:, 1]
    ok = np.isfinite(diffs)
    if not ok.all():
        warnings.warn(
            f"roc_test: {int((~ok).sum())} bootstrap resample(s) without cases or controls were ignored",
            UndefinedStatisticWarning,
            stacklevel=3,
        )
        diffs = diffs[ok]
    d = roc1.auc - roc2.auc
    se = float(np.std(diffs, ddof=1))
    stat = _ratio(d, se)
    low, high = normal_interval(d, se, level)
    p = _normal_p(stat, alternative)
    return _result(d, se, stat, p, low, high, level, "D", B=int(diffs.size), stratified=stratified)
