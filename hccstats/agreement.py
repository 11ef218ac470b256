"""Reader agreement: Cohen's kappa for two ratings, Fleiss' kappa for m raters.

R equivalents: ``irr::kappa2`` (and SAS PROC FREQ / ``vcd::Kappa`` for the asymptotic
standard error), ``irr::kappam.fleiss``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._errors import InputError
from ._results import ConfidenceInterval
from ._validation import describe_values

__all__ = ["Kappa", "kappa2", "kappam_fleiss", "agreement_label"]

_BANDS = {
    # upper bounds (inclusive) and labels; the study's bands (Yan et al. 2023) and Landis & Koch (1977)
    "study": [
        (0.20, "poor"),
        (0.40, "fair"),
        (0.60, "moderate"),
        (0.80, "good"),
        (np.inf, "excellent"),
    ],
    "landis_koch": [
        (0.0, "poor"),
        (0.20, "slight"),
        (0.40, "fair"),
        (0.60, "moderate"),
        (0.80, "substantial"),
        (np.inf, "almost perfect"),
    ],
}


def agreement_label(value: float, scale: Literal["study", "landis_koch"] = "study") -> str:
    """The verbal agreement band of a kappa value.

    ``scale="study"``: 0–0.20 poor, 0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 good,
    0.81–1.00 excellent (negative values: poor). ``scale="landis_koch"``: < 0 poor,
    0–0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial,
    0.81–1.00 almost perfect (Landis & Koch 1977). Values are compared unrounded.
    """
    if scale not in _BANDS:
        raise InputError(f"scale: expected 'study' or 'landis_koch', got {scale!r}")
    if not np.isfinite(value):
        return "undefined"
    for upper, label in _BANDS[scale]:
        if value <= upper:
            return label
    return _BANDS[scale][-1][1]  # pragma: no cover


@dataclass(frozen=True)
class Kappa:
    """A kappa statistic with its inference (unrounded).

    Attributes
    ----------
    value : kappa.
    se : asymptotic standard error (non-null; Fleiss, Cohen & Everitt 1969 for Cohen's
        kappa, as SAS PROC FREQ's ASE and ``vcd::Kappa``). For Fleiss' kappa the only
        published asymptotic SE is the null one, so ``se == se0`` there.
    se0 : standard error under H0: kappa = 0 (used for ``statistic``, as ``irr``).
    ci : ``value ± z * se``.
    statistic, p_value : z = value / se0 and its two-sided normal p-value (as ``irr``).
    detail : per-category kappas (Fleiss, ``detail=True``), else None.
    n_omitted : subjects dropped for missing ratings (``nan_policy="omit"``).
    """

    value: float
    se: float
    se0: float
    ci: ConfidenceInterval
    statistic: float
    p_value: float
    method: str
    n_subjects: int
    n_raters: int
    weight: str = "unweighted"
    categories: tuple = ()
    n_omitted: int = 0
    detail: pd.DataFrame | None = field(default=None, compare=False)

    def label(self, scale: Literal["study", "landis_koch"] = "study") -> str:
        """Verbal agreement band, see :func:`agreement_label`."""
        return agreement_label(self.value, scale)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "method": self.method,
                    "weight": self.weight,
                    "estimate": self.value,
                    "se": self.se,
                    "ci_low": self.ci.low,
                    "ci_high": self.ci.high,
                    "statistic": self.statistic,
                    "p_value": self.p_value,
                    "n_subjects": self.n_subjects,
                    "n_raters": self.n_raters,
                    "n_omitted": self.n_omitted,
                    "agreement": self.label(),
                }
            ]
        )

    def __repr__(self) -> str:
        lines = [
            f" {self.method}",
            "",
            f" Subjects = {self.n_subjects}",
            f"   Raters = {self.n_raters}",
            f"    Kappa = {self.value:.6g}  (se {self.se:.4g}; {self.ci!r})",
            "",
            f"        z = {self.statistic:.6g}",
            f"  p-value = {self.p_value:.4g}",
        ]
        if self.detail is not None:
            lines += ["", self.detail.to_string()]
        return "\n".join(lines)


def _kappa_result(value: float, se: float, se0: float, conf_level: float, **fields: Any) -> Kappa:
    """Kappa with CI ``value ± z·se`` and the z test ``value / se0`` (nan where se0 is)."""
    z = value / se0 if np.isfinite(se0) and se0 > 0 else np.nan
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    return Kappa(
        value=float(value),
        se=float(se),
        se0=float(se0),
        ci=ConfidenceInterval(value - zq * se, value + zq * se, conf_level),
        statistic=float(z),
        p_value=float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
        **fields,
    )


def _omit_missing(frame: pd.DataFrame, nan_policy: str) -> tuple[pd.DataFrame, int]:
    if nan_policy not in ("raise", "omit"):
        raise InputError(f"nan_policy: expected 'raise' or 'omit', got {nan_policy!r}")
    missing = frame.isna().any(axis=1)
    if missing.any():
        if nan_policy == "raise":
            cols = [c for c in frame.columns if frame[c].isna().any()]
            rows = missing[missing].index[:5].tolist()
            raise InputError(
                f"missing ratings in {cols} (rows {rows}{'...' if missing.sum() > 5 else ''}); "
                "use nan_policy='omit' to drop those subjects (they are counted)"
            )
        frame = frame.loc[~missing]
    return frame, int(missing.sum())


def _categories(frame: pd.DataFrame, levels: Sequence[Any] | None) -> list[Any]:
    values = pd.unique(frame.to_numpy().ravel())
    if levels is not None:
        levels = list(levels)
        for col in frame.columns:
            extra = sorted(set(frame[col].tolist()) - set(levels), key=str)
            if extra:
                raise InputError(f"rater {col!r}: values {extra[:5]} not among the levels {levels}")
        return levels
    try:
        return sorted(values.tolist())
    except TypeError:
        raise InputError(
            f"ratings mix types that cannot be ordered {describe_values(values)}; give levels="
        ) from None


def _codes(ratings: pd.Series, index: dict) -> np.ndarray:
    """Each rating's category number (``index``: category -> number), looked up once per
    distinct rating."""
    codes, distinct = pd.factorize(ratings)
    return np.array([index[v] for v in distinct], dtype=np.intp)[codes]


def _weights(k: int, weight: str) -> np.ndarray:
    i = np.arange(k)
    d = np.abs(i[:, None] - i[None, :]) / max(k - 1, 1)
    if weight == "unweighted":
        return np.eye(k)
    if weight == "linear":
        return 1.0 - d
    if weight == "quadratic":
        return 1.0 - d**2
    raise InputError(f"weight: expected 'unweighted', 'linear' or 'quadratic', got {weight!r}")


_IRR_WEIGHTS = {"equal": "linear", "squared": "quadratic"}
_WEIGHTS = ("unweighted", "linear", "quadratic", *_IRR_WEIGHTS)


def _two_ratings(ratings: Any) -> tuple[list[Any], list[Any]]:
    """The two columns of an n × 2 ratings matrix (DataFrame, 2-D array or list of pairs)."""
    frame = ratings if isinstance(ratings, pd.DataFrame) else None
    if frame is None:
        arr = np.asarray(ratings, dtype=object)
        if arr.ndim != 2:
            raise InputError(
                "ratings: give two rating vectors (r1, r2) or one n × 2 matrix of ratings, "
                f"got an array of shape {arr.shape}"
            )
        frame = pd.DataFrame(arr)
    if frame.shape[1] != 2:
        raise InputError(
            f"ratings: kappa2 needs exactly 2 raters (columns), got {frame.shape[1]}; "
            "use kappam_fleiss for more"
        )
    return frame.iloc[:, 0].tolist(), frame.iloc[:, 1].tolist()


def kappa2(
    r1: Sequence[Any],
    r2: Sequence[Any] | None = None,
    weight: Literal["unweighted", "linear", "quadratic", "equal", "squared"] = "unweighted",
    *,
    levels: Sequence[Any] | None = None,
    conf_level: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> Kappa:
    """Cohen's kappa for two ratings of the same subjects (weighted on request).

    R equivalent: ``irr::kappa2(ratings, weight=c("unweighted", "equal", "squared"))``
    for kappa, z and p (z uses the null standard error, as irr); the asymptotic SE and
    confidence interval are SAS PROC FREQ's ASE (Fleiss, Cohen & Everitt 1969), equal to
    ``vcd::Kappa`` and its ``confint``. ``"linear"`` is irr's ``"equal"`` weights
    (1 - |i-j|/(k-1)), ``"quadratic"`` irr's ``"squared"`` (1 - (i-j)^2/(k-1)^2); irr's
    names are accepted too.

    Parameters
    ----------
    r1, r2 : the two ratings (e.g. reader 1's two sessions for intra-reader agreement); or,
        as irr takes them, one n × 2 ratings matrix ``r1`` (DataFrame, 2-D array or list of
        pairs) with ``r2`` omitted: ``kappa2(ratings)``, ``kappa2(ratings, "squared")``.
    weight : disagreement weighting for ordered categories.
    levels : the ordered categories; default: the sorted union of both ratings.
    conf_level : level of the confidence interval.
    nan_policy : ``"raise"`` (default) or ``"omit"`` subjects with a missing rating
        (counted in ``n_omitted``).

    Examples
    --------
    >>> k = kappa2([1, 2, 3, 3, 2, 1], [1, 2, 3, 2, 2, 1])
    >>> round(k.value, 4), k.label()
    (0.75, 'good')
    >>> round(kappa2([[1, 1], [2, 2], [3, 3], [3, 2], [2, 2], [1, 1]]).value, 4)
    0.75
    """
    if isinstance(r2, str) and r2 in _WEIGHTS:  # irr's kappa2(ratings, weight)
        r2, weight = None, r2
    if r2 is None:
        r1, r2 = _two_ratings(r1)
    if weight not in _WEIGHTS:
        raise InputError(
            f"weight: expected 'unweighted', 'linear' ('equal') or 'quadratic' ('squared'), "
            f"got {weight!r}"
        )
    weight = _IRR_WEIGHTS.get(weight, weight)
    frame = pd.DataFrame({"r1": list(r1), "r2": list(r2)}) if len(r1) == len(r2) else None
    if frame is None:
        raise InputError(f"mismatched lengths: r1 has {len(r1)}, r2 has {len(r2)}")
    frame, n_omitted = _omit_missing(frame, nan_policy)
    if len(frame) < 2:
        raise InputError(f"kappa2 needs at least 2 rated subjects, got {len(frame)}")
    if levels is None and not set(frame["r1"].unique()) & set(frame["r2"].unique()):
        raise InputError(
            f"the raters use different category sets: r1 {describe_values(frame['r1'])}, "
            f"r2 {describe_values(frame['r2'])}"
        )
    cats = _categories(frame, levels)
    k = len(cats)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((k, k))
    np.add.at(table, (_codes(frame["r1"], index), _codes(frame["r2"], index)), 1.0)
    n = table.sum()
    w = _weights(k, weight)
    p = table / n
    p_row, p_col = p.sum(axis=1), p.sum(axis=0)
    p_o = float((w * p).sum())
    p_e = float((w * np.outer(p_row, p_col)).sum())
    if np.isclose(p_e, 1.0):
        raise InputError("kappa undefined: both raters used a single category for every subject")
    value = (p_o - p_e) / (1.0 - p_e)
    w_row = w @ p_col  # w̄_i. = sum_j p_.j w_ij
    w_col = p_row @ w  # w̄_.j = sum_i p_i. w_ij
    wsum = w_row[:, None] + w_col[None, :]
    var = ((p * (w - wsum * (1.0 - value)) ** 2).sum() - (value - p_e * (1.0 - value)) ** 2) / (
        n * (1.0 - p_e) ** 2
    )
    var0 = ((np.outer(p_row, p_col) * (w - wsum) ** 2).sum() - p_e**2) / (n * (1.0 - p_e) ** 2)
    se, se0 = float(np.sqrt(max(var, 0.0))), float(np.sqrt(max(var0, 0.0)))
    method = "Cohen's Kappa for 2 Raters" + (
        f" (Weights: {weight})" if weight != "unweighted" else ""
    )
    return _kappa_result(
        value,
        se,
        se0,
        conf_level,
        method=method,
        n_subjects=int(n),
        n_raters=2,
        weight=weight,
        categories=tuple(cats),
        n_omitted=n_omitted,
    )


def _category_kappas(counts: np.ndarray, pj: np.ndarray, cats, nr: int) -> pd.DataFrame:
    """irr's ``detail=TRUE``: each category's kappa with its z and p (subjects × categories
    ``counts`` of the ``nr`` raters choosing each, ``pj`` the categories' shares)."""
    ns = counts.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        pjk = ((counts**2).sum(axis=0) - ns * nr * pj) / (ns * nr * (nr - 1) * pj)
        kk = (pjk - pj) / (1.0 - pj)
    se_k = np.sqrt(2.0 / (ns * nr * (nr - 1)))
    zk = kk / se_k
    return pd.DataFrame(
        {
            "category": cats,
            "estimate": kk,
            "statistic": zk,
            "p_value": 2 * stats.norm.sf(np.abs(zk)),
        }
    )


def kappam_fleiss(
    ratings: Any,
    detail: bool = False,
    exact: bool = False,
    *,
    conf_level: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> Kappa:
    """Fleiss' kappa for m raters (Conger's exact kappa with ``exact=True``).

    R equivalent: ``irr::kappam.fleiss(ratings, exact=, detail=)``. The standard error is
    Fleiss, Nee & Landis (1979)'s, valid under H0: kappa = 0 (irr's z and p); the
    confidence interval ``value ± z * se`` uses it too (the usual large-sample
    approximation; there is no published non-null SE for Fleiss' kappa). With
    ``exact=True`` (Conger 1980) no SE is defined: se, z and p are nan, as in irr.

    Parameters
    ----------
    ratings : subjects × raters (DataFrame or 2-D array), each cell a category.
    detail : add per-category kappas with z and p (``.detail``), as irr's ``detail=TRUE``.

    Examples
    --------
    Fleiss (1971)'s 30 patients × 6 psychiatrists give kappa = 0.430 (see the tests).
    """
    frame = (
        pd.DataFrame(np.asarray(ratings, dtype=object))
        if not isinstance(ratings, pd.DataFrame)
        else ratings
    )
    if frame.ndim != 2 or frame.shape[1] < 2:
        raise InputError(f"ratings: need at least 2 raters (columns), got shape {frame.shape}")
    frame, n_omitted = _omit_missing(frame, nan_policy)
    ns, nr = frame.shape
    if ns < 2:
        raise InputError(f"kappam_fleiss needs at least 2 rated subjects, got {ns}")
    cats = _categories(frame, None)
    index = {c: i for i, c in enumerate(cats)}
    codes = np.column_stack([_codes(frame.iloc[:, j], index) for j in range(nr)])
    counts = np.zeros((ns, len(cats)))  # subjects × categories: raters choosing each
    np.add.at(counts, (np.repeat(np.arange(ns), nr), codes.ravel()), 1.0)
    agree = float(((counts**2).sum(axis=1) - nr).sum() / (nr * (nr - 1) * ns))
    pj = counts.sum(axis=0) / (ns * nr)
    chance = float((pj**2).sum())
    if exact:
        rater_p = np.zeros((nr, len(cats)))
        np.add.at(rater_p, (np.tile(np.arange(nr), ns), codes.ravel()), 1.0 / ns)
        chance -= float(rater_p.var(axis=0, ddof=1).sum() * (nr - 1) / nr / (nr - 1))
    if np.isclose(chance, 1.0):
        raise InputError("kappa undefined: all raters used a single category for every subject")
    value = (agree - chance) / (1.0 - chance)
    qj = 1.0 - pj
    pq = float((pj * qj).sum())
    if exact:
        se = np.nan
    else:
        var = 2.0 / (pq**2 * ns * nr * (nr - 1)) * (pq**2 - float((pj * qj * (qj - pj)).sum()))
        se = float(np.sqrt(var))
    det = _category_kappas(counts, pj, cats, nr) if detail else None
    method = "Fleiss' Kappa for m Raters" + (" (exact value)" if exact else "")
    return _kappa_result(
        value,
        se,
        se,
        conf_level,
        method=method,
        n_subjects=int(ns),
        n_raters=int(nr),
        categories=tuple(cats),
        n_omitted=n_omitted,
        detail=det,
    )
