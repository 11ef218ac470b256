"""Cut-offs on a ROC curve (``pROC::coords``): best threshold, or a given threshold."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError, UndefinedStatisticWarning
from .._results import ConfidenceInterval
from .._validation import check_conf_level
from ._ci import check_roc
from ._proportion_ci import CI_METHODS, proportion_ci
from ._roc import Roc

__all__ = ["coords", "Coords", "Cutoff"]

BEST_METHODS = ("youden", "closest.topleft")
TIES = ("first", "last", "all")
PROPORTIONS = ("sensitivity", "specificity", "accuracy", "ppv", "npv")
RET_NAMES = ("threshold", *PROPORTIONS, "tp", "fp", "tn", "fn", "youden", "closest.topleft")
DEFAULT_RET = ("threshold", *PROPORTIONS)


@dataclass(frozen=True, repr=False)
class Cutoff:
    """A threshold on a ROC curve with its classification metrics and their CIs.

    ``threshold``: a patient is called a case when ``score >= threshold`` (direction "<")
    or ``score <= threshold`` (direction ">"). Proportions are unrounded; ``ci`` maps each
    proportion's name (sensitivity, specificity, accuracy, ppv, npv) to its
    :class:`~hccstats.ConfidenceInterval` (Wilson, or Clopper–Pearson on request).
    ``criterion``: pROC's column of the best method (``se + r*sp`` for "youden",
    ``-((1-se)^2 + r*(1-sp)^2)`` for "closest.topleft"; nan for a given threshold).
    ``tied_thresholds``: all thresholds pROC returns as best (ties), in pROC's order.
    """

    threshold: float
    sensitivity: float
    specificity: float
    accuracy: float
    ppv: float
    npv: float
    tp: int
    fp: int
    tn: int
    fn: int
    ci: Mapping[str, ConfidenceInterval]
    direction: str
    best_method: str | None = None
    criterion: float = float("nan")
    tied_thresholds: tuple[float, ...] = ()
    ci_method: str = "wilson"
    ret: tuple[str, ...] = field(default=DEFAULT_RET)

    @property
    def youden_index(self) -> float:
        """Youden's J = sensitivity + specificity - 1."""
        return self.sensitivity + self.specificity - 1.0

    @property
    def n_ties(self) -> int:
        return len(self.tied_thresholds)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per measure in ``ret`` (measure, estimate, ci_low, ci_high, count, n)."""
        counts = {
            "sensitivity": (self.tp, self.tp + self.fn),
            "specificity": (self.tn, self.tn + self.fp),
            "accuracy": (self.tp + self.tn, self.tp + self.tn + self.fp + self.fn),
            "ppv": (self.tp, self.tp + self.fp),
            "npv": (self.tn, self.tn + self.fn),
        }
        rows = []
        for name in self.ret:
            if name in PROPORTIONS:
                ci = self.ci[name]
                x, n = counts[name]
                rows.append((name, getattr(self, name), ci.low, ci.high, x, n))
            else:
                value = {
                    "youden": self.criterion if self.best_method == "youden" else np.nan,
                    "closest.topleft": self.criterion
                    if self.best_method == "closest.topleft"
                    else np.nan,
                }.get(name, getattr(self, name.replace(".", "_"), np.nan))
                rows.append((name, float(value), np.nan, np.nan, np.nan, np.nan))
        return pd.DataFrame(
            rows, columns=["measure", "estimate", "ci_low", "ci_high", "count", "n"]
        )

    def __repr__(self) -> str:
        rule = ">=" if self.direction == "<" else "<="
        head = f"Cut-off: score {rule} {self.threshold:.6g}"
        if self.best_method:
            head += f" (best by {self.best_method}"
            head += f"; {self.n_ties} tied thresholds)" if self.n_ties > 1 else ")"
        lines = [head]
        for name in PROPORTIONS:
            ci = self.ci[name]
            lines.append(f"  {name:<12} {getattr(self, name):.4f} ({ci.low:.4f}-{ci.high:.4f})")
        return "\n".join(lines)


def _counts_at(r: Roc, threshold: float) -> tuple[int, int]:
    """(tp, fp) when a case is ``score >= t`` ("<") or ``score <= t`` (">"), as pROC's coords."""
    t = threshold if r.direction == "<" else -threshold
    g = r.groups
    k = int(np.searchsorted(g.values, t, side="left"))  # first group with oriented score >= t
    tp = int(g.case_counts[k:].sum())
    fp = int(g.control_counts[k:].sum())
    return tp, fp


def _point_counts(r: Roc) -> tuple[np.ndarray, np.ndarray]:
    """(tp, tn) at each point of the curve, in pROC's order."""
    tp = np.rint(r.sensitivities * r.n_cases).astype(np.int64)
    tn = np.rint(r.specificities * r.n_controls).astype(np.int64)
    return tp, tn


def _criterion(se: np.ndarray, sp: np.ndarray, method: str, weights: Sequence[float]) -> np.ndarray:
    """pROC's ``roc.utils.optim.crit``."""
    cost, prevalence = weights
    rr = (1.0 - prevalence) / (cost * prevalence)
    if method == "youden":
        return se + rr * sp
    return -((1.0 - se) ** 2 + rr * (1.0 - sp) ** 2)


def _make(
    r: Roc, threshold, tp, tn, *, level, ci_method, ret, best_method=None, criterion=np.nan, ties=()
):
    m, n = r.n_cases, r.n_controls
    fn, fp = m - tp, n - tn
    se, sp = tp / m, tn / n
    acc = (tp + tn) / (m + n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ppv = tp / (tp + fp) if tp + fp else np.nan
        npv = tn / (tn + fn) if tn + fn else np.nan
    for name, value, denom in (
        ("ppv", ppv, "no patient is called a case"),
        ("npv", npv, "no patient is called a control"),
    ):
        if not np.isfinite(value):
            warnings.warn(
                f"coords: {name} is undefined at threshold {threshold!r} ({denom}); returned nan",
                UndefinedStatisticWarning,
                stacklevel=3,
            )
    xs = np.array([tp, tn, tp + tn, tp, tn])
    ns = np.array([m, n, m + n, tp + fp, tn + fn])
    lows, highs = proportion_ci(xs, ns, level, ci_method)
    cis = [ConfidenceInterval(float(lo), float(hi), level) for lo, hi in zip(lows, highs)]
    return Cutoff(
        threshold=float(threshold),
        sensitivity=float(se),
        specificity=float(sp),
        accuracy=float(acc),
        ppv=float(ppv),
        npv=float(npv),
        tp=int(tp),
        fp=int(fp),
        tn=int(tn),
        fn=int(fn),
        ci=dict(zip(PROPORTIONS, cis)),
        direction=r.direction,
        best_method=best_method,
        criterion=float(criterion),
        tied_thresholds=tuple(float(t) for t in ties),
        ci_method=ci_method,
        ret=ret,
    )


@dataclass(frozen=True, repr=False)
class Coords:
    """What :func:`coords` returns, whatever ``x``: the cut-offs asked for, in pROC's order.

    A sequence of :class:`Cutoff` (``len``, indexing, iteration): one for ``x="best"`` (unless
    ``ties="all"``) or a single threshold, several for ``x="all"``, a sequence of thresholds or
    tied best thresholds. ``to_frame()`` gives pROC's table, one row per threshold.
    """

    cutoffs: tuple[Cutoff, ...]
    ret: tuple[str, ...] = DEFAULT_RET

    def __len__(self) -> int:
        return len(self.cutoffs)

    def __getitem__(self, i: int) -> Cutoff:
        return self.cutoffs[i]

    def __iter__(self) -> Iterator[Cutoff]:
        return iter(self.cutoffs)

    def to_frame(self) -> pd.DataFrame:
        """One row per threshold: the measures in ``ret``, with ``<measure>_ci_low`` and
        ``<measure>_ci_high`` columns for the proportions."""
        rows = []
        for c in self.cutoffs:
            row: dict[str, Any] = {}
            for name in self.ret:
                if name in PROPORTIONS:
                    ci = c.ci[name]
                    row[name] = getattr(c, name)
                    row[f"{name}_ci_low"], row[f"{name}_ci_high"] = ci.low, ci.high
                elif name in ("youden", "closest.topleft"):
                    row[name] = c.criterion if c.best_method == name else np.nan
                else:
                    row[name] = getattr(c, name)
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        if len(self.cutoffs) == 1:
            return repr(self.cutoffs[0])
        return f"{len(self.cutoffs)} cut-offs\n{self.to_frame().to_string()}"


def coords(
    roc: Roc,
    x: str | float = "best",
    *,
    best_method: str = "youden",
    best_weights: Sequence[float] = (1.0, 0.5),
    ties: str = "first",
    ret: Sequence[str] | None = None,
    ci_method: str = "wilson",
    conf_level: float = 0.95,
) -> Coords:
    """Sensitivity, specificity, accuracy, PPV and NPV at a cut-off, as ``pROC::coords``.

    Parameters
    ----------
    roc : Roc
    x : "best", "all", float or sequence of floats
        ``"best"``: the threshold(s) that maximise ``best_method``. ``"all"``: every
        threshold of the curve. A sequence: each of these thresholds. A number: that
        threshold applied to this curve's patients (a case is ``score >= x`` for direction
        "<", ``score <= x`` for ">"), e.g. a cut-off found on the training set applied to the
        validation set::

            cut = coords(roc_train, "best")[0]
            coords(roc_valid, x=cut.threshold)[0]
    best_method : {"youden", "closest.topleft"}
        Youden: maximise ``se + r * sp``; closest.topleft: minimise
        ``(1 - se)^2 + r * (1 - sp)^2``; ``r = (1 - prevalence) / (cost * prevalence)`` from
        ``best_weights = (cost, prevalence)``, ``r = 1`` by default (as pROC).
    ties : {"first", "last", "all"}
        pROC returns every threshold that ties for best (exact equality of the criterion),
        in its order (specificity increasing). ``"first"`` (default) returns the first of
        these rows — for direction "<" the lowest threshold, i.e. the highest sensitivity —
        ``"last"`` the last; both list all tied thresholds in ``Cutoff.tied_thresholds``.
        ``"all"`` returns all tied rows, like pROC.
    ret : sequence of str, optional
        Measures for ``to_frame()``, among ``threshold, sensitivity,
        specificity, accuracy, ppv, npv, tp, fp, tn, fn, youden, closest.topleft``.
    ci_method : {"wilson", "clopper-pearson"}
        CI of each proportion: Wilson score (R: ``prop.test(x, n, correct = FALSE)``) or
        Clopper–Pearson exact (R: ``binom.test(x, n)``).
    conf_level : float

    Returns
    -------
    Coords
        A sequence of :class:`Cutoff` whatever ``x``: ``coords(roc, "best")[0]`` is the best
        cut-off; ``to_frame()`` is pROC's table.

    Notes
    -----
    R equivalent: ``pROC::coords(roc, "best", best.method = "youden", ret = c("threshold",
    "sensitivity", "specificity", "accuracy", "ppv", "npv"))`` and ``coords(roc, x = t,
    input = "threshold")``. Thresholds, sensitivities and specificities equal pROC's
    exactly; PPV, NPV and accuracy are computed from integer counts (pROC multiplies
    proportions back, which can differ in the last bit). A PPV or NPV with no patient in
    its denominator is nan with an :class:`~hccstats.UndefinedStatisticWarning`; ``x="all"``
    returns those nan (always at the end rows, threshold ±inf) without a warning, as pROC.

    Examples
    --------
    >>> import hccstats as hs
    >>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
    >>> cut = hs.coords(r, "best")[0]
    >>> cut.threshold, round(cut.sensitivity, 3), round(cut.specificity, 3)
    (0.275, 1.0, 0.667)
    """
    check_roc(roc, "roc")
    level = check_conf_level(conf_level)
    if ci_method not in CI_METHODS:
        raise InputError(f"ci_method: expected one of {CI_METHODS}, got {ci_method!r}")
    ret = DEFAULT_RET if ret is None else tuple([ret] if isinstance(ret, str) else ret)
    unknown = [name for name in ret if name not in RET_NAMES]
    if unknown:
        raise InputError(f"ret: unknown measure(s) {unknown}; expected among {RET_NAMES}")
    opts = dict(level=level, ci_method=ci_method, ret=ret)
    if isinstance(x, str):
        if x == "all":
            tp, tn = _point_counts(roc)
            with warnings.catch_warnings():  # the end rows (±inf) lack a PPV or NPV, as in pROC
                warnings.simplefilter("ignore", UndefinedStatisticWarning)
                rows = [_make(roc, t, a, b, **opts) for t, a, b in zip(roc.thresholds, tp, tn)]
            return Coords(tuple(rows), ret)
        if x != "best":
            raise InputError(f"x: expected 'best', 'all' or a threshold, got {x!r}")
        if best_method not in BEST_METHODS:
            raise InputError(f"best_method: expected one of {BEST_METHODS}, got {best_method!r}")
        if ties not in TIES:
            raise InputError(f"ties: expected one of {TIES}, got {ties!r}")
        weights = tuple(float(w) for w in best_weights)
        if len(weights) != 2 or not (0.0 < weights[1] < 1.0) or weights[0] <= 0.0:
            raise InputError(
                f"best_weights: expected (cost > 0, prevalence in (0, 1)), got {best_weights!r}"
            )
        crit = _criterion(roc.sensitivities, roc.specificities, best_method, weights)
        best = np.flatnonzero(crit == crit.max())
        tp, tn = _point_counts(roc)
        tied = roc.thresholds[best]
        cutoffs = [
            _make(
                roc,
                roc.thresholds[i],
                tp[i],
                tn[i],
                best_method=best_method,
                criterion=crit[i] if best_method == "youden" else -crit[i],
                ties=tied,
                **opts,
            )
            for i in (best if ties == "all" else [best[0] if ties == "first" else best[-1]])
        ]
        return Coords(tuple(cutoffs), ret)
    if np.ndim(x) == 1:
        return Coords(tuple(_at(roc, t, opts) for t in x), ret)
    return Coords((_at(roc, x, opts),), ret)


def _at(roc: Roc, x: Any, opts: dict) -> Cutoff:
    """The cut-off at the given threshold ``x``."""
    try:
        t = float(x)
    except (TypeError, ValueError):
        raise InputError(f"x: expected 'best', 'all' or a threshold, got {x!r}") from None
    if np.isnan(t):
        raise InputError("x: the threshold is NaN")
    tp, fp = _counts_at(roc, t)
    return _make(roc, t, tp, roc.n_controls - fp, **opts)
