"""Decision curve analysis (Vickers & Elkin 2006), as ``dcurves::dca`` computes it, for a binary
outcome or for a time-to-event outcome at a horizon (Kaplan–Meier event rates)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import InputError
from ._random import bootstrap_indices
from ._validation import as_binary, as_finite, check_conf_level, check_same_length
from .survival._product_limit import km_at
from .survival._surv import as_event, as_time

__all__ = ["DecisionCurve", "dca"]

TREAT_ALL = "Treat all"
TREAT_NONE = "Treat none"


@dataclass(frozen=True, eq=False)
class DecisionCurve:
    """Net benefit of each model and of treating all / none, per threshold probability.

    ``table`` is tidy: one row per (model, threshold) with columns ``model``, ``threshold``,
    ``net_benefit``, ``n``, ``prevalence``, ``harm``, ``pos_rate``, ``tp_rate``, ``fp_rate``,
    ``net_intervention_avoided`` (per ``nper`` patients), and, on request,
    ``standardized_net_benefit`` and bootstrap ``ci_low``, ``ci_high``. Models "Treat all" and
    "Treat none" are included. ``horizon`` is set for a time-to-event outcome (``prevalence``
    is then the Kaplan–Meier ``1 - S(horizon)``).
    """

    table: pd.DataFrame
    n: int
    prevalence: float
    models: tuple[str, ...]
    nper: int = 100
    B: int = 0
    conf_level: float = 0.95
    horizon: float | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax=None, **kwargs):
        """Net-benefit curves (``hccstats.plots.decision_curves``)."""
        from .plots import decision_curves

        return decision_curves(self.table, ax=ax, **kwargs)

    def __repr__(self) -> str:
        wide = self.table.pivot(index="threshold", columns="model", values="net_benefit")
        wide = wide[[*self.models, TREAT_ALL, TREAT_NONE]]
        at = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return (
            f"Decision curve analysis (n={self.n}, prevalence={self.prevalence:.4g}{at})\n"
            f"Net benefit:\n{wide.to_string(float_format=lambda v: f'{v:.4f}')}"
        )


def _risks(risks) -> dict[str, np.ndarray]:
    if isinstance(risks, pd.DataFrame):
        risks = {str(c): risks[c].to_numpy() for c in risks.columns}
    elif not isinstance(risks, Mapping):
        risks = {"Model": risks}
    if not risks:
        raise InputError("risks: no model given")
    out = {}
    for name, r in risks.items():
        if str(name).lower() in (TREAT_ALL.lower(), TREAT_NONE.lower()):
            raise InputError(f"risks: the model name {name!r} is reserved")
        a = as_finite(r, f"risks[{name!r}]")
        bad = (a < 0) | (a > 1)
        if bad.any():
            raise InputError(
                f"risks[{name!r}]: {int(bad.sum())} value(s) outside [0, 1]; "
                "decision curves need predicted probabilities"
            )
        out[str(name)] = a
    return out


class _Binary:
    """A binary outcome: event rates among the test positives are counted."""

    def __init__(self, y):
        self.y = y
        self.n = len(y)

    def prevalence(self, w=None):
        return float(self.y.mean()) if w is None else (w @ self.y) / self.n

    def rates(self, r, t, w=None):
        """TP and FP rates of 'risk >= threshold' (rows of w: bootstrap weights)."""
        y = self.y
        pos = (r[:, None] >= t[None, :]).astype(np.float64)  # n x T
        if w is None:
            n = len(y)
            return (y @ pos) / n, ((1 - y) @ pos) / n
        n = w.sum(axis=1, keepdims=True)
        return (w * y) @ pos / n, (w * (1 - y)) @ pos / n


class _Survival:
    """A right-censored outcome at a horizon: event rates are Kaplan–Meier estimates."""

    def __init__(self, time, event, horizon):
        self.time, self.event, self.horizon = time, event, horizon
        self.n = len(time)

    def _km(self, weights):
        return km_at(self.time, self.event, [self.horizon], weights)[0]

    def prevalence(self, w=None):
        if w is None:
            return 1.0 - float(self._km(None)[0])
        return 1.0 - self._km(w.T)

    def _one(self, pos, w):
        wp = pos if w is None else w[:, None] * pos
        pos_rate = wp.sum(axis=0) / self.n
        event_pos = np.where(pos_rate > 0, 1.0 - self._km(wp), 0.0)
        return event_pos * pos_rate, (1.0 - event_pos) * pos_rate

    def rates(self, r, t, w=None):
        """TP and FP rates: P(event by horizon | risk >= t) by Kaplan–Meier, times P(risk >= t)."""
        pos = (r[:, None] >= t[None, :]).astype(np.float64)
        if w is None:
            return self._one(pos, None)
        tp, fp = zip(*(self._one(pos, wb) for wb in w))
        return np.array(tp), np.array(fp)


def _outcome(y_true, time, horizon):
    if time is None:
        if horizon is not None:
            raise InputError("horizon: give the follow-up times (time=) with a horizon")
        return _Binary(as_binary(y_true, "y_true").astype(np.float64))
    t = as_time(time, "time")
    e = as_event(y_true, "y_true").astype(np.float64)
    check_same_length(time=t, y_true=e)
    if horizon is None or not np.isfinite(horizon) or horizon <= 0:
        raise InputError(f"horizon: a positive time is needed with time=, got {horizon!r}")
    return _Survival(t, e, float(horizon))


def dca(
    y_true,
    risks,
    thresholds=None,
    harm=0.0,
    *,
    standardized: bool = False,
    nper: int = 100,
    B: int = 0,
    seed=None,
    conf_level: float = 0.95,
    time=None,
    horizon: float | None = None,
) -> DecisionCurve:
    """Decision curve analysis: net benefit of models against treating all or none.

    Net benefit at threshold probability ``t`` (Vickers & Elkin 2006):
    ``TP/n - FP/n * t / (1 - t) - harm``, a patient being "positive" when ``risk >= t``
    (as ``dcurves``). With follow-up times (``time``) and a ``horizon`` the outcome is the event
    by the horizon and the rates are Kaplan–Meier estimates (Vickers et al. 2008, dcurves's
    survival method): ``TP/n = (1 - S(horizon | risk >= t)) P(risk >= t)``,
    ``FP/n = S(horizon | risk >= t) P(risk >= t)``, the prevalence ``1 - S(horizon)``. "Treat all" is ``prevalence - (1 - prevalence) t / (1 - t)``, "Treat none"
    0. Net interventions avoided per ``nper`` patients: ``(NB - NB_all) / (t / (1 - t)) * nper``.

    Parameters
    ----------
    y_true : array-like
        Binary outcome; with ``time``, the event indicator (1 event, 0 censored).
    risks : mapping of name to array-like, DataFrame, or one array-like
        Predicted probabilities of each model (with ``time``: of an event by ``horizon``).
    thresholds : array-like, optional
        Threshold probabilities in [0, 1); default ``0.01, 0.02, ..., 0.99``.
    harm : float or mapping of name to float
        Harm of the test/model (subtracted from its net benefit).
    standardized : bool
        Add ``standardized_net_benefit`` = net benefit / prevalence (Kerr et al.).
    nper : int
        Patients for ``net_intervention_avoided`` (dcurves ``net_intervention_avoided(nper=100)``).
    B : int
        Bootstrap resamples of the patients for percentile confidence bands of the net benefit
        (``ci_low``, ``ci_high``); 0 (default) for none. Needs ``seed``.
    seed : int, optional
        Seed of the bootstrap (``numpy.random.default_rng``).
    conf_level : float
        Confidence level of the bands.
    time : array-like, optional
        Follow-up times (event or censoring) for a time-to-event outcome.
    horizon : float, optional
        The time at which the event is judged (with ``time``), in the unit of ``time``.

    Returns
    -------
    DecisionCurve

    Notes
    -----
    R equivalent: ``dcurves::dca(y ~ model, data, thresholds = seq(0.01, 0.99, 0.01))``
    (with ``as_tibble()``, ``net_intervention_avoided()``, ``standardized_net_benefit()``);
    with ``time``: ``dcurves::dca(Surv(time, event) ~ model, data, time = horizon)``.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> age = hs.lrm("recurrence ~ age", d)
    >>> dc = hs.dca(d["recurrence"], {"Nomogram": fit.predict_risk(), "Age": age.predict_risk()})
    >>> dc.table.query("threshold == 0.3")[["model", "net_benefit"]].round(3)
              model  net_benefit
    29     Nomogram        0.246
    128         Age        0.200
    227   Treat all        0.186
    326  Treat none        0.000
    """
    outcome = _outcome(y_true, time, horizon)
    models = _risks(risks)
    for name, r in models.items():
        check_same_length(y_true=np.empty(outcome.n), **{f"risks[{name!r}]": r})
    t = _thresholds(thresholds)
    harms = dict(harm) if isinstance(harm, Mapping) else {m: float(harm) for m in models}
    unknown = set(harms) - set(models)
    if unknown:
        raise InputError(f"harm: unknown model(s) {sorted(unknown)}")
    conf_level = check_conf_level(conf_level)
    n = outcome.n
    prev = outcome.prevalence()
    odds = t / (1.0 - t)
    nb_all = prev - (1.0 - prev) * odds
    frame = dict(t=t, n=n, prev=prev, nb_all=nb_all, nper=nper)
    rows = []
    boot = {}
    if B:
        idx = bootstrap_indices(n, B, seed, what="dca's bootstrap bands")
        W = np.zeros((int(B), n))
        np.add.at(W, (np.repeat(np.arange(int(B)), n), idx.ravel()), 1.0)
        prev_b = outcome.prevalence(W)
        boot[TREAT_ALL] = prev_b[:, None] - (1 - prev_b[:, None]) * odds
    for name, r in models.items():
        tp, fp = outcome.rates(r, t)
        h = harms.get(name, 0.0)
        rows.append(_curve(name, tp, fp, tp + fp, tp - fp * odds - h, h, **frame))
        if B:
            tpb, fpb = outcome.rates(r, t, W)
            boot[name] = tpb - fpb * odds - h
    ones = np.ones_like(t)
    rows.append(_curve(TREAT_ALL, prev * ones, (1 - prev) * ones, ones, nb_all, 0.0, **frame))
    rows.append(_curve(TREAT_NONE, 0 * ones, 0 * ones, 0 * ones, 0 * ones, 0.0, **frame))
    table = pd.concat(rows, ignore_index=True)
    if standardized:
        table["standardized_net_benefit"] = table["net_benefit"] / prev
    if B:
        table["ci_low"], table["ci_high"] = _bands(boot, [*models, TREAT_ALL], t, conf_level)
    return DecisionCurve(
        table, n, prev, tuple(models), nper, int(B), conf_level, getattr(outcome, "horizon", None)
    )


def _thresholds(thresholds) -> np.ndarray:
    """The threshold probabilities, in [0, 1); default 0.01, ..., 0.99."""
    # np.arange(0.01, 1.0, 0.01) holds the same doubles as R's seq(0.01, 0.99, by = 0.01)
    t = np.arange(0.01, 1.0, 0.01) if thresholds is None else as_finite(thresholds, "thresholds")
    if len(t) == 0 or (t < 0).any() or (t >= 1).any():
        raise InputError("thresholds: need values in [0, 1)")
    return t


def _curve(name, tp, fp, pos, nb, h, *, t, n, prev, nb_all, nper) -> pd.DataFrame:
    """One strategy's rows: net benefit and rates at each threshold, net interventions avoided."""
    odds = t / (1.0 - t)
    with np.errstate(divide="ignore", invalid="ignore"):
        nia = np.where(odds > 0, (nb - nb_all) / odds * nper, np.nan)
    return pd.DataFrame(
        {
            "model": name,
            "threshold": t,
            "net_benefit": nb,
            "n": n,
            "prevalence": prev,
            "harm": h,
            "pos_rate": pos,
            "tp_rate": tp,
            "fp_rate": fp,
            "net_intervention_avoided": nia,
        }
    )


def _bands(boot: dict, names: list, t: np.ndarray, conf_level: float):
    """Percentile bands of the bootstrap net benefits, in table order ("Treat none": 0)."""
    a = (1 - conf_level) / 2
    lo, hi = [], []
    for name in names:
        q = np.quantile(boot[name], [a, 1 - a], axis=0)
        lo.append(q[0])
        hi.append(q[1])
    lo.append(0 * t)
    hi.append(0 * t)
    return np.concatenate(lo), np.concatenate(hi)
