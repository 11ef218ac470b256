"""Net reclassification improvement (NRI) and integrated discrimination improvement (IDI).

Two models' predicted risks of the same patients are compared as Pencina et al. (2008, 2011)
define it and ``Hmisc::improveProb`` computes it: the category-free (continuous) NRI counts any
rise or fall of the predicted risk, the categorical NRI a move across the given risk cut-offs;
the IDI is the difference in discrimination slopes. Standard errors are Pencina's (McNemar-type
for the NRI, two independent means for the IDI); z, two-sided p and Wald limits follow.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._errors import InputError, UndefinedStatisticWarning
from ._validation import as_binary, as_finite, check_conf_level, check_same_length

__all__ = ["ImproveProb", "improve_prob"]


@dataclass(frozen=True)
class _Nri:
    up_events: int
    down_events: int
    up_nonevents: int
    down_nonevents: int
    n_events: int
    n_nonevents: int

    def parts(self) -> dict[str, tuple[float, float]]:
        """(estimate, se) of the NRI, the events' and the non-events' NRI (Hmisc's formulas)."""
        ue, de, un, dn = self.up_events, self.down_events, self.up_nonevents, self.down_nonevents
        na, nb = self.n_events, self.n_nonevents
        v_ev = (ue + de) / na**2 - (ue - de) ** 2 / na**3
        v_ne = (dn + un) / nb**2 - (dn - un) ** 2 / nb**3
        nri_ev = (ue - de) / na
        nri_ne = (dn - un) / nb
        return {
            "": (nri_ev + nri_ne, np.sqrt(v_ev + v_ne)),
            " events": (nri_ev, np.sqrt(v_ev)),
            " non-events": (nri_ne, np.sqrt(v_ne)),
        }


@dataclass(frozen=True)
class ImproveProb:
    """Result of :func:`improve_prob` (unrounded).

    Attributes
    ----------
    n, n_events, n_nonevents : int
    p_up_events, p_up_nonevents, p_down_events, p_down_nonevents : float
        Shares of events / non-events whose risk rose / fell under the new model (Hmisc's
        ``pup.ev``, ``pup.ne``, ``pdown.ev``, ``pdown.ne``).
    improve_sens, improve_spec : float
        Mean rise of the risk in events, mean fall in non-events (``improveSens``, ``improveSpec``).
    table : DataFrame
        One row per index: ``index`` ("NRI", "NRI events", "NRI non-events", "IDI", and with
        cut-offs "NRI (categorical)", "NRI events (categorical)", "NRI non-events (categorical)"),
        ``estimate``, ``se``, ``z``, ``p_value``, ``ci_low``, ``ci_high``, ``note`` (why z and
        p are NA where the standard error is 0 or undefined, "" otherwise).
    cutoffs : tuple of float
        The risk cut-offs of the categorical NRI (empty when none were given).
    reclassification : DataFrame or None
        Counts of old category (rows) by new category (columns), for events and non-events
        (index level ``outcome``), when cut-offs were given.
    conf_level : float
    """

    n: int
    n_events: int
    n_nonevents: int
    p_up_events: float
    p_up_nonevents: float
    p_down_events: float
    p_down_nonevents: float
    improve_sens: float
    improve_spec: float
    table: pd.DataFrame
    cutoffs: tuple[float, ...] = ()
    reclassification: pd.DataFrame | None = None
    conf_level: float = 0.95

    def __getitem__(self, index: str) -> pd.Series:
        """The row of ``table`` for ``index`` (e.g. ``res["IDI"]["p_value"]``)."""
        rows = self.table[self.table["index"] == index]
        if rows.empty:
            raise KeyError(f"{index!r} (available: {list(self.table['index'])})")
        return rows.iloc[0]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        tab = self.table.set_index("index")
        return (
            "Net reclassification and integrated discrimination improvement\n"
            f"Number of events: {self.n_events}\tNumber of non-events: {self.n_nonevents}\n\n"
            f"{tab.to_string(float_format=lambda v: f'{v:.4g}')}"
        )


#: why z and p are undefined, by what the standard error is
_UNDEFINED = {
    "zero": "SE = 0 (e.g. the two models give identical predicted risks): z and p undefined",
    "nan": "SE undefined (fewer than 2 events or non-events): z and p undefined",
}


def _row(name: str, est: float, se: float, q: float) -> dict:
    """One index: estimate, SE, z, two-sided p, Wald limits; NA z and p (with a typed warning and
    a note) where the SE is 0 or undefined, as Hmisc's ``z <- idi / se.idi`` gives NaN there."""
    est, se = np.float64(est), np.float64(se)
    note = ""
    if not (np.isfinite(se) and se > 0):
        note = _UNDEFINED["zero" if se == 0 else "nan"]
        warnings.warn(f"{name}: {note}", UndefinedStatisticWarning, stacklevel=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se if not note else np.float64(np.nan)
    return {
        "index": name,
        "estimate": float(est),
        "se": float(se),
        "z": float(z),
        "p_value": float(2.0 * sps.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
        "ci_low": float(est - q * se),
        "ci_high": float(est + q * se),
        "note": note,
    }


def _counts(d: np.ndarray, events: np.ndarray) -> _Nri:
    return _Nri(
        up_events=int(np.sum(d[events] > 0)),
        down_events=int(np.sum(d[events] < 0)),
        up_nonevents=int(np.sum(d[~events] > 0)),
        down_nonevents=int(np.sum(d[~events] < 0)),
        n_events=int(events.sum()),
        n_nonevents=int((~events).sum()),
    )


def _categories(risk: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """0, 1, ..., K: the number of cut-offs at or below the risk (a risk at a cut-off goes up)."""
    return np.searchsorted(cutoffs, risk, side="right")


def _check_cutoffs(cutoffs) -> np.ndarray:
    c = as_finite(np.atleast_1d(cutoffs), "cutoffs")
    if len(c) == 0 or np.any((c <= 0) | (c >= 1)) or np.any(np.diff(c) <= 0):
        raise InputError(
            f"cutoffs: need increasing risks strictly between 0 and 1, got {c.tolist()}"
        )
    return c


def _labels(cutoffs: np.ndarray) -> list[str]:
    edges = [0.0, *cutoffs.tolist(), 1.0]
    return [
        f"[{edges[i]:g}, {edges[i + 1]:g}{']' if i == len(edges) - 2 else ')'}"
        for i in range(len(edges) - 1)
    ]


def _reclassification(c_old, c_new, events, cutoffs) -> pd.DataFrame:
    labels = _labels(cutoffs)
    blocks = {}
    for name, mask in (("event", events), ("non-event", ~events)):
        tab = pd.crosstab(
            pd.Categorical(np.asarray(labels)[c_old[mask]], categories=labels),
            pd.Categorical(np.asarray(labels)[c_new[mask]], categories=labels),
            dropna=False,
        )
        tab.index.name, tab.columns.name = "old", "new"
        blocks[name] = tab
    return pd.concat(blocks, names=["outcome"])


def improve_prob(
    y_true, risk_old, risk_new, *, cutoffs=None, conf_level: float = 0.95
) -> ImproveProb:
    """NRI (category-free and, with ``cutoffs``, categorical) and IDI of a new model over an old one.

    With ``d = risk_new - risk_old``, the events' NRI is ``P(d > 0 | event) - P(d < 0 | event)``,
    the non-events' ``P(d < 0 | non-event) - P(d > 0 | non-event)`` and the NRI their sum; its
    variance is ``(u + w) / n^2 - (u - w)^2 / n^3`` per group (``u`` ups, ``w`` downs, ``n`` patients).
    The categorical NRI is the same with ``d`` the change of risk category, the categories being
    ``[0, c1), [c1, c2), ..., [ck, 1]`` (a risk equal to a cut-off falls in the higher category).
    The IDI is ``mean(d | event) - mean(d | non-event)`` with SE
    ``sqrt(var(d | event) / n_events + var(d | non-event) / n_nonevents)``.
    Where an SE is 0 (two models with identical predictions: every ``d`` is 0) or undefined
    (a single event or non-event), that index's z and p are nan (Hmisc gives NaN there) with
    an :class:`~hccstats.UndefinedStatisticWarning` and a ``note`` in the table.

    Parameters
    ----------
    y_true : array-like
        Binary outcome (0/1, or two labels: the larger is the event).
    risk_old, risk_new : array-like
        Predicted probabilities of the reference and the new model, in [0, 1].
    cutoffs : float or sequence of float, optional
        Risk cut-offs for the categorical NRI (e.g. ``[0.2, 0.5]``).
    conf_level : float
        Confidence level of the Wald limits (Hmisc's ``print(..., conf.int = 0.95)``).

    Returns
    -------
    ImproveProb

    Notes
    -----
    R equivalent: ``Hmisc::improveProb(x1 = risk_old, x2 = risk_new, y)``; the categorical NRI
    equals ``improveProb`` on the category numbers (``cut(risk, c(0, cutoffs, 1), right = FALSE)``
    scaled into [0, 1]). The two models should be judged on patients neither was fitted on, or
    be equally overfitted (Hmisc's caution).

    Examples
    --------
    >>> import hccstats as hs
    >>> res = hs.improve_prob(y, risk_clinical, risk_nomogram, cutoffs=[0.3, 0.6])  # doctest: +SKIP
    >>> res["NRI"]["estimate"], res["IDI"]["p_value"]                               # doctest: +SKIP
    """
    y = as_binary(y_true, "y_true").astype(bool)
    old = as_finite(risk_old, "risk_old")
    new = as_finite(risk_new, "risk_new")
    check_same_length(y_true=y, risk_old=old, risk_new=new)
    for name, r in (("risk_old", old), ("risk_new", new)):
        if np.any((r < 0) | (r > 1)):
            raise InputError(f"{name}: values outside [0, 1]; NRI and IDI need predicted risks")
    conf_level = check_conf_level(conf_level)
    q = sps.norm.ppf((1 + conf_level) / 2)
    d = new - old
    counts = _counts(d, y)
    rows = [_row("NRI" + k, est, se, q) for k, (est, se) in counts.parts().items()]
    de, dn = d[y], d[~y]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # var of one value: nan, as R's NA
        idi_se = np.sqrt(np.var(de, ddof=1) / len(de) + np.var(dn, ddof=1) / len(dn))
    rows.append(_row("IDI", float(de.mean() - dn.mean()), float(idi_se), q))
    reclass = None
    cut: tuple[float, ...] = ()
    if cutoffs is not None:
        c = _check_cutoffs(cutoffs)
        c_old, c_new = _categories(old, c), _categories(new, c)
        parts = _counts((c_new - c_old).astype(float), y).parts()
        rows += [_row(f"NRI{k} (categorical)", est, se, q) for k, (est, se) in parts.items()]
        reclass = _reclassification(c_old, c_new, y, c)
        cut = tuple(float(v) for v in c)
    na, nb = counts.n_events, counts.n_nonevents
    return ImproveProb(
        n=len(y),
        n_events=na,
        n_nonevents=nb,
        p_up_events=counts.up_events / na,
        p_up_nonevents=counts.up_nonevents / nb,
        p_down_events=counts.down_events / na,
        p_down_nonevents=counts.down_nonevents / nb,
        improve_sens=float(de.sum() / na),
        improve_spec=float(-dn.sum() / nb),
        table=pd.DataFrame(rows),
        cutoffs=cut,
        reclassification=reclass,
        conf_level=conf_level,
    )
