"""``univariate_cox``: one Cox model per predictor, as a tidy hazard-ratio table."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import ConvergenceWarning, InputError
from .._validation import check_conf_level
from ..logistic._candidates import candidate_term
from ..logistic._print import print_table
from ..logistic._univariate import COLUMNS, factor_levels, is_factor, level_of, per_value
from ._coxph import INFINITE_PER_SD, coxph
from ._stepwise_cox import surv_formula
from ._surv import as_event, as_time, surv_columns

__all__ = ["univariate_cox", "CoxUnivariate"]

TABLE_COLUMNS = [*COLUMNS, "reason"]


@dataclass(frozen=True, eq=False)
class CoxUnivariate:
    """Result of :func:`univariate_cox`: one row per model term, unrounded.

    Attributes
    ----------
    table : DataFrame
        Columns predictor, term, level (of a factor; None otherwise), reference (the factor's
        reference level), estimate (hazard ratio), ci_low, ci_high, p_value, n, events, per
        (the unit of a continuous predictor's hazard ratio; nan for factors), reason (why the
        row is not estimable, else None; its estimate and limits are nan).
    time, event : str
    test : str
        ``"wald"`` or ``"lr"`` (likelihood ratio, one p per predictor).
    conf_level : float
    """

    table: pd.DataFrame
    time: str
    event: str
    test: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy): one row per term."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        lo, hi = (0.5 - self.conf_level / 2) * 100, (0.5 + self.conf_level / 2) * 100
        t = self.table
        shown = t.assign(
            term=[
                term if pd.isna(per) or per == 1 else f"{term} (per {per:g})"
                for term, per in zip(t["term"], t["per"])
            ]
        )
        head = (
            f"Univariable Cox regression: Surv({self.time}, {self.event}) ~ x, one model per "
            f"predictor\nWald {self.conf_level:.0%} CI; "
            f"{'Wald' if self.test == 'wald' else 'likelihood-ratio'} test\n\n"
        )
        cols = {
            "term": "Term",
            "n": "n",
            "events": "Events",
            "estimate": "Hazard ratio",
            "ci_low": f"{lo:g} %",
            "ci_high": f"{hi:g} %",
            "p_value": "Pr(>|z|)" if self.test == "wald" else "Pr(>Chi)",
        }
        notes = [f"\n {r.term}: not estimable, {r.reason}" for r in t.itertuples() if r.reason]
        return head + print_table(shown, cols) + "".join(notes)


def _row(pred, term, **values) -> dict:
    row = dict.fromkeys(TABLE_COLUMNS, np.nan)
    row.update(predictor=pred, term=term, level=None, reference=None, reason=None)
    row.update(values)
    return row


def _outcome(data, time, event, nan_policy) -> tuple[pd.Series, pd.Series]:
    """Time and event checked once, on every row (the rows left out for a missing value
    when ``nan_policy="omit"``)."""
    t = surv_columns(time, data, "time")
    e = surv_columns(event, data, "event")
    ok = t.notna() & e.notna()
    if not ok.all() and nan_policy == "raise":
        first = list(data.index[~ok][:5])
        raise InputError(
            f"data: missing time or event in {int((~ok).sum())} row(s), first {first}; "
            "drop them or pass nan_policy='omit'"
        )
    as_time(t[ok].to_numpy(), name=f"time column {time!r}")
    as_event(e[ok].to_numpy(), name=f"event column {event!r}")
    return t, e


def _not_estimable(x, ok, event) -> tuple[str | None, int, int]:
    """Why a predictor cannot be fitted at all on the rows with time and event known (None
    when it can), with the number of those rows where it is known and their events."""
    known = x[ok].notna()
    n = int(known.sum())
    events = int(as_event(event[ok][known].to_numpy()).sum()) if n else 0
    if n == 0:
        return "no non-missing value", n, events
    values = x[ok][known]
    if values.nunique() < 2:
        first = values.iloc[0]
        shown = repr(first.item() if isinstance(first, np.generic) else first)
        return f"constant ({shown}) in the {n} rows used", n, events
    if events == 0:
        return f"no events in the {n} rows used", n, events
    return None, n, events


# an SE of the log hazard ratio per SD of the column above this is the flat likelihood of an
# estimate going to infinity (Newton's steps along the ridge add ~1 each: an SE of e^(steps/2))
INFINITE_SE_PER_SD = 1e3


def _diverged(fit) -> np.ndarray:
    """Per column: is its estimate diverging (monotone likelihood): coxph's rule on the size
    of the estimate, or an SE that only a likelihood flat in that direction gives."""
    sd = fit.X.std(axis=0)
    big = np.abs(fit.coef.to_numpy()) * sd > INFINITE_PER_SD
    return big | (fit.naive_se.to_numpy() * sd > INFINITE_SE_PER_SD)


def _fit_rows(pred, fit, factor, scale, test, conf_level, lr_p) -> list[dict]:
    q = sps.norm.ppf(0.5 + conf_level / 2.0)
    infinite = _diverged(fit)
    term = fit.terms[0]
    levels = factor_levels(fit.data[pred]) if factor else None
    rows = []
    for col in fit.term_columns[term]:
        b, se = fit.coef[col] * scale, fit.se[col] * abs(scale)
        common = {
            "predictor": pred,
            "level": level_of(col, term) if factor else None,
            "reference": levels[0] if factor else None,
            "n": fit.n,
            "events": fit.n_events,
            "per": np.nan if factor else scale,
        }
        if infinite[fit.coef.index.get_loc(col)]:
            reason = "monotone likelihood: the hazard ratio is infinite (events in one group only)"
            rows.append(_row(pred, col, p_value=lr_p, reason=reason, **common))
            continue
        rows.append(
            _row(
                pred,
                col,
                estimate=float(np.exp(b)),
                ci_low=float(np.exp(b - q * se)),
                ci_high=float(np.exp(b + q * se)),
                p_value=lr_p if test == "lr" else float(fit.p_values[col]),
                **common,
            )
        )
    return rows


def univariate_cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    predictors: Sequence[str],
    *,
    per: float | str | Mapping[str, float | str] | None = None,
    test: str = "wald",
    conf_level: float = 0.95,
    ties: str = "efron",
    nan_policy: str = "raise",
) -> CoxUnivariate:
    """Univariable Cox regression: one model ``Surv(time, event) ~ predictor`` per predictor.

    R equivalent: for each predictor ``coxph(Surv(time, event) ~ x)`` with ``exp(coef)``,
    ``exp(confint(fit))`` and the Wald p of ``summary(fit)`` (``test="wald"``) or the
    likelihood-ratio test ``summary(fit)$logtest`` (``test="lr"``, one p per predictor, also
    for factors).

    Parameters
    ----------
    data : DataFrame
    time, event : str
        Follow-up time and event columns (event 0/1, 1/2 or logical, as :func:`coxph`).
    predictors : sequence of str
        Columns; categorical ones (pandas Categorical, strings, booleans) give one row per
        non-reference level, the reference being the first category.
    per : number, "sd" or mapping, optional
        Report the hazard ratio per ``per`` units of a continuous predictor (HR**per), e.g.
        ``per=10`` for age per decade, ``"sd"`` for one standard deviation, or a dict
        predictor -> number/"sd". Ignored for categorical predictors.
    test : {"wald", "lr"}
    conf_level : float
        Confidence level of the Wald limits.
    ties : {"efron", "breslow"}
    nan_policy : {"raise", "omit"}
        Missing values raise InputError, or each model omits its incomplete rows (``n``).

    Returns
    -------
    CoxUnivariate
        ``.to_frame()``: predictor, term, level, reference, estimate (HR), ci_low, ci_high,
        p_value, n, events, per, reason. A predictor that cannot be fitted (no value, constant,
        no events among its rows) or a column with an infinite estimate (monotone likelihood,
        e.g. a level without events) gives a row with nan estimates and the reason, instead
        of stopping the screen; such a column's p value is the likelihood-ratio one (valid
        under monotone likelihood, where the Wald test is not).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hccstats as hs
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"age": rng.normal(60, 10, 200).round(),
    ...                   "stage": rng.choice(["I", "II", "III"], 200), "centre": "A"})
    >>> t = rng.exponential(20 * np.exp(-0.05 * (d["age"] - 60)))
    >>> d["time"], d["status"] = np.minimum(t, 30).round(1), (t <= 30).astype(int)
    >>> u = hs.univariate_cox(d, "time", "status", ["age", "stage", "centre"], per={"age": 10})
    >>> u.to_frame()[["term", "estimate", "ci_low", "ci_high", "p_value", "per"]].round(3)
               term  estimate  ci_low  ci_high  p_value   per
    0           age     1.485   1.264    1.746    0.000  10.0
    1   stage[T.II]     0.971   0.662    1.426    0.882   NaN
    2  stage[T.III]     1.123   0.758    1.663    0.562   NaN
    3        centre       NaN     NaN      NaN      NaN   NaN
    >>> u.to_frame()["reason"].tolist()
    [None, None, None, "constant ('A') in the 200 rows used"]
    """
    if isinstance(predictors, str):
        predictors = [predictors]
    if test not in ("wald", "lr"):
        raise InputError(f"test: expected 'wald' or 'lr', got {test!r}")
    if nan_policy not in ("raise", "omit"):
        raise InputError(f"nan_policy: expected 'raise' or 'omit', got {nan_policy!r}")
    check_conf_level(conf_level)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    for name in predictors:
        if name not in data.columns:
            raise InputError(f"column {name!r} not in data")
        if name in (time, event):
            raise InputError(f"predictors: the outcome column {name!r} cannot be a predictor")
    if isinstance(per, Mapping):
        extra = [k for k in per if k not in predictors]
        if extra:
            raise InputError(f"per: {extra} are not among the predictors")
    t, e = _outcome(data, time, event, nan_policy)
    ok = t.notna() & e.notna()
    rows = []
    for pred in predictors:
        reason, n, events = _not_estimable(data[pred], ok, e)
        if reason is None and nan_policy == "raise" and data[pred].isna().any():
            first = list(data.index[data[pred].isna()][:5])
            raise InputError(
                f"column {pred!r}: {int(data[pred].isna().sum())} missing value(s), first "
                f"row(s) {first}; drop them or pass nan_policy='omit'"
            )
        if reason is not None:
            rows.append(_row(pred, pred, reason=reason, n=n, events=events))
            continue
        factor = is_factor(data[pred])
        with warnings.catch_warnings():  # an infinite estimate is reported in its row
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = coxph(
                surv_formula(time, event, [candidate_term(pred, data.columns)], data.columns),
                data,
                ties=ties,
                nan_policy="omit",
            )
        if not fit.converged and not _diverged(fit).any():
            warnings.warn(
                f"univariate_cox: the model of {pred!r} did not converge in {fit.n_iter} "
                "iterations",
                ConvergenceWarning,
                stacklevel=2,
            )
        scale = 1.0 if factor else per_value(per, pred, fit.data[pred])
        lr_p = float(sps.chi2.sf(fit.lr_test, fit.df))
        rows.extend(_fit_rows(pred, fit, factor, scale, test, conf_level, lr_p))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for col in ("level", "reference", "reason"):  # None, not NaN, where there is none
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    return CoxUnivariate(table, time, event, test, conf_level)
