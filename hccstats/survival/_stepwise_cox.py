"""``forward_cox`` and ``backward_cox``: SPSS's Forward: LR and Backward: LR for Cox models.

SPSS's COXREG /METHOD=FSTEP(LR) and BSTEP(LR) (IBM SPSS Statistics Algorithms, "Cox
regression: stepwise selection") follow the same steps as its logistic Forward/Backward: LR
(:func:`~hccstats.forward_lr`, :func:`~hccstats.backward_lr`):

- entry: the score test of every candidate not in the model, at the current estimate with
  the candidate's coefficients at 0 (R: ``coxph(Surv(time, event) ~ current + x,
  init = c(b, 0), iter.max = 0)$score``); the smallest p below ``entry`` enters;
- removal: the likelihood-ratio test of every term in the model against the model without
  it (R: ``2 * (fit$loglik[2] - reduced$loglik[2])``); the largest p above ``removal`` leaves.

A candidate is a term, read as :func:`~hccstats.forward_lr` reads it: a column, or a term of the
formula language (``C(stage)``, ``rcs(age, 4)``, ``log(bili)``, ``a:b``; ``a * b`` is ``a``,
``b`` and ``a:b``) whose design columns enter and leave together, with one degree of freedom
per column. Hierarchy as there: an interaction is a candidate only once its main effects are in
the model, and a main effect cannot leave while an interaction with it is in. A model visited
before stops the selection (cycling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
from scipy import linalg
from scipy.special import chdtrc

from .._errors import InputError
from .._names import quote_name
from ..logistic._candidates import candidate_requires, candidate_term, expand_candidates
from ..logistic._print import stepwise_text
from ..logistic._stepwise import check_selection
from ._coxfit import evaluate, fit_cox
from ._coxph import CoxFit, coxph
from ._design import CoxDesign, build_cox_design
from ._riskset import risk_sets
from ._surv import parse_surv

__all__ = ["forward_cox", "backward_cox", "CoxStepwise", "surv_formula"]

STEP_COLUMNS = ["step", "action", "term", "statistic", "df", "p_value"]


@dataclass(frozen=True, eq=False)
class CoxStepwise:
    """Result of :func:`forward_cox` or :func:`backward_cox` (``direction``).

    ``fit`` is the final model (a :class:`CoxFit`; None when no term was selected), ``steps``
    the step log (step, action "enter"/"remove", term, statistic, df, p_value), ``selected``
    the final terms in order of entry, ``stopped`` why the selection ended, ``not_in_model``
    the score tests of the candidates left out, at the final model (SPSS's "Variables not in
    the Equation").
    """

    fit: CoxFit | None
    steps: pd.DataFrame
    selected: list[str]
    stopped: str
    entry: float
    removal: float
    entry_test: str
    candidates: list[str] = field(default_factory=list)
    not_in_model: pd.DataFrame = field(default_factory=pd.DataFrame)
    max_steps: int | None = None
    direction: str = "forward"
    n: int = 0
    events: int = 0
    requires: dict[str, list[str]] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The step log (a copy): step, action ("enter"/"remove"), term, statistic, df, p_value."""
        return self.steps.copy()

    def candidate_design(self) -> tuple[CoxDesign, dict[str, list[int]]]:
        """The design of all candidates over the patients the selection used, and each
        candidate's design columns: what :meth:`repeat_on` needs to repeat the selection (e.g.
        in every bootstrap resample, ``hccstats.validate(stepwise)``)."""
        if self.fit is None:
            raise InputError("the selection kept no term: there is no model to validate")
        texpr, eexpr, _ = parse_surv(self.fit.formula)
        codes = {c: candidate_term(c, self.fit.data.columns) for c in self.candidates}
        d = build_cox_design(surv_formula(texpr, eexpr, codes.values()), self.fit.data)
        return d, _blocks(d, codes)

    def repeat_on(self, design: CoxDesign, blocks: dict[str, list[int]]) -> list[str]:
        """The terms the same selection (direction, candidates, entry, removal, entry test,
        hierarchy, max_steps, ties) keeps on other rows: ``design`` is
        :meth:`candidate_design`'s with its rows replaced (e.g. a bootstrap resample's)."""
        models = _Models(design, self.fit.ties if self.fit is not None else "efron", blocks)
        start = [] if self.direction == "forward" else list(self.candidates)
        run = _Run(
            models, list(self.candidates), start, self.entry, self.removal, self.entry_test,
            dict(self.requires),
        )  # fmt: skip
        max_steps = self.max_steps or 2 * len(self.candidates) + 10
        (_forward if self.direction == "forward" else _backward)(run, max_steps)
        return list(run.inmodel)

    def __repr__(self) -> str:
        about = f" n = {self.n}, events = {self.events}; candidates: {', '.join(self.candidates)}"
        return stepwise_text(self, "Cox regression", about)


def surv_formula(time: str, event: str, terms: Sequence[str], columns=()) -> str:
    """``"Surv(time, event) ~ t1 + t2"`` (terms already in formula form; time and event as
    columns or pandas expressions, as :func:`coxph` reads them; those of ``columns`` quoted
    where patsy needs it: ``Surv(Q('follow up'), death)``)."""
    cols = set(columns)
    time, event = (quote_name(x) if x in cols else x for x in (time, event))
    return f"Surv({time}, {event}) ~ " + " + ".join(terms)


@dataclass
class _Models:
    """The rows of the selection (sorted by time, centred) and every model fitted on them."""

    design: CoxDesign
    ties: str
    blocks: dict[str, list[int]]
    fits: dict = field(default_factory=dict)

    def __post_init__(self):
        X = self.design.X
        means = X.mean(axis=0)
        means[np.all((X == 0) | (X == 1), axis=0)] = 0.0  # as coxph centres
        self.rs = risk_sets(self.design.time, self.design.event, self.ties)
        self.Xs = X[self.rs.order] - means

    def columns(self, terms: Sequence[str]) -> list[int]:
        return [j for t in terms for j in self.blocks[t]]

    def fit(self, terms: Sequence[str]) -> tuple[np.ndarray, float]:
        """(coefficients, log partial likelihood) of the model with ``terms``."""
        key = tuple(self.columns(terms))
        if key not in self.fits:
            if key:
                core = fit_cox(self.rs, self.Xs[:, list(key)])
                self.fits[key] = (core.coef, core.loglik)
            else:  # the null model: beta = 0
                ev = evaluate(self.rs, self.Xs[:, :1], np.zeros(1), info=False)
                self.fits[key] = (np.zeros(0), ev.loglik)
        return self.fits[key]

    def score_tests(self, inmodel: Sequence[str], out: Sequence[str]):
        """Score statistics and df of adding each of ``out`` to the model with ``inmodel``."""
        beta, _ = self.fit(inmodel)
        cols = self.columns(inmodel)
        stat, df = np.empty(len(out)), np.empty(len(out))
        for k, term in enumerate(out):
            add = self.blocks[term]
            ev = evaluate(self.rs, self.Xs[:, cols + add], np.r_[beta, np.zeros(len(add))])
            try:
                stat[k] = float(ev.score @ linalg.solve(ev.info, ev.score, assume_a="pos"))
            except linalg.LinAlgError:
                stat[k] = float(ev.score @ np.linalg.lstsq(ev.info, ev.score, rcond=None)[0])
            df[k] = len(add)
        return stat, df

    def lr_removals(self, inmodel: Sequence[str]):
        """LR statistics and df of removing each of ``inmodel``."""
        _, full = self.fit(inmodel)
        stat, df = np.empty(len(inmodel)), np.empty(len(inmodel))
        for k, term in enumerate(inmodel):
            _, reduced = self.fit([t for t in inmodel if t != term])
            stat[k] = max(2.0 * (full - reduced), 0.0)
            df[k] = len(self.blocks[term])
        return stat, df

    def lr_entries(self, inmodel: Sequence[str], out: Sequence[str]):
        """LR statistics and df of adding each of ``out``."""
        _, cur = self.fit(inmodel)
        stat, df = np.empty(len(out)), np.empty(len(out))
        for k, term in enumerate(out):
            stat[k] = max(2.0 * (self.fit([*inmodel, term])[1] - cur), 0.0)
            df[k] = len(self.blocks[term])
        return stat, df


@dataclass
class _Run:
    models: _Models
    candidates: list[str]
    inmodel: list[str]
    entry: float
    removal: float
    entry_test: str
    requires: dict = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)
    visited: set = field(default_factory=set)

    def __post_init__(self):
        self.visited.add(frozenset(self.inmodel))

    def may_enter(self, term: str) -> bool:
        """Every main effect of an interaction is in the model."""
        return all(m in self.inmodel for m in self.requires.get(term, ()))

    def may_leave(self, term: str) -> bool:
        """No interaction with this term is in the model."""
        return not any(term in self.requires.get(t, ()) for t in self.inmodel)

    def enter(self) -> str | None:
        """Enter the best candidate; the reason to stop when none qualifies."""
        out = [c for c in self.candidates if c not in self.inmodel and self.may_enter(c)]
        if not out:
            if len(self.inmodel) == len(self.candidates):
                return "all candidates entered"
            return "no candidate left whose main effects are in the model"
        if self.entry_test == "score":
            stat, df = self.models.score_tests(self.inmodel, out)
        else:
            stat, df = self.models.lr_entries(self.inmodel, out)
        p = chdtrc(df, stat)
        best = int(np.argmin(p))  # first among ties, in candidate order
        if not p[best] < self.entry:
            return f"no candidate with entry p below {self.entry}"
        model = frozenset([*self.inmodel, out[best]])
        if model in self.visited:
            return f"cycle: the model with {out[best]!r} entered was visited before"
        self.visited.add(model)
        self.inmodel.append(out[best])
        self._log("enter", out[best], stat[best], df[best], p[best])
        return None

    def remove(self) -> str | None | bool:
        """Remove the worst term (True), nothing qualifies (False), or the reason to stop."""
        if not self.inmodel:
            return False
        stat, df = self.models.lr_removals(self.inmodel)
        p = chdtrc(df, stat)
        p[[not self.may_leave(t) for t in self.inmodel]] = 0.0  # hierarchy: interactions first
        worst = int(np.argmax(p))  # first among ties, in model order
        if not p[worst] > self.removal:
            return False
        term = self.inmodel[worst]
        model = frozenset(t for t in self.inmodel if t != term)
        if model in self.visited:
            return f"cycle: removing {term!r} gives a model visited before"
        self.visited.add(model)
        del self.inmodel[worst]
        self._log("remove", term, stat[worst], df[worst], p[worst])
        return True

    def _log(self, action, term, stat, df, p) -> None:
        values = [len(self.log) + 1, action, term, float(stat), int(df), float(p)]
        self.log.append(dict(zip(STEP_COLUMNS, values)))


def _forward(run: _Run, max_steps: int) -> str:
    while len(run.log) < max_steps:
        stopped = run.enter()
        if stopped:
            return stopped
        while len(run.log) < max_steps:
            removed = run.remove()
            if isinstance(removed, str):
                return removed
            if not removed:
                break
    return f"max_steps ({max_steps}) reached"


def _backward(run: _Run, max_steps: int) -> str:
    while len(run.log) < max_steps:
        removed = run.remove()
        if isinstance(removed, str):
            return removed
        if removed:
            continue
        stopped = run.enter()
        if stopped:
            if not stopped.startswith("cycle"):
                return "no variable to remove or re-enter"
            return stopped
    return f"max_steps ({max_steps}) reached"


def _check(data, time, event, candidates, entry, removal, entry_test, ties):
    candidates = check_selection(candidates, entry, removal)
    if entry_test not in ("score", "lr"):
        raise InputError(f"entry_test: expected 'score' or 'lr', got {entry_test!r}")
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties: expected 'efron' or 'breslow', got {ties!r}")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    for c in (time, event):
        if c in candidates:
            raise InputError(f"candidates: the outcome column {c!r} cannot be a candidate")
    return expand_candidates(candidates, data.columns)


def _blocks(d: CoxDesign, codes: dict[str, str]) -> dict[str, list[int]]:
    """Each candidate's design column indices (all columns of all its terms)."""
    index = {c: j for j, c in enumerate(d.columns)}
    out = {}
    for cand, code in codes.items():
        try:
            terms = patsy.ModelDesc.from_formula(code).rhs_termlist
        except patsy.PatsyError as exc:
            raise InputError(f"candidate {cand!r}: {exc.message}") from None
        names = [t.name() for t in terms if t.factors]
        missing = [n for n in names if n not in d.term_columns]
        if not names or missing:
            raise InputError(f"candidate {cand!r}: not a term of the design ({list(d.terms)})")
        cols = [index[c] for n in names for c in d.term_columns[n]]
        taken = [c for other in out.values() for c in other]
        if set(cols) & set(taken):
            raise InputError(f"candidate {cand!r}: shares design columns with another candidate")
        out[cand] = cols
    return out


def _select(
    direction, data, time, event, candidates, *, entry, removal, entry_test, max_steps, ties,
    nan_policy,
) -> CoxStepwise:  # fmt: skip
    candidates = _check(data, time, event, candidates, entry, removal, entry_test, ties)
    codes = {c: candidate_term(c, data.columns) for c in candidates}
    d = build_cox_design(
        surv_formula(time, event, codes.values(), data.columns), data, nan_policy=nan_policy
    )
    models = _Models(d, ties, _blocks(d, codes))
    max_steps = 2 * len(candidates) + 10 if max_steps is None else int(max_steps)
    start = [] if direction == "forward" else list(candidates)
    requires = candidate_requires(candidates, data.columns)
    run = _Run(models, candidates, start, entry, removal, entry_test, requires)
    stopped = (_forward if direction == "forward" else _backward)(run, max_steps)
    out = [c for c in candidates if c not in run.inmodel]
    st, df = models.score_tests(run.inmodel, out) if out else (np.empty(0), np.empty(0))
    not_in = pd.DataFrame(
        {"term": out, "statistic": st, "df": df.astype(int), "p_value": chdtrc(df, st)}
    )
    final = None
    if run.inmodel:
        formula = surv_formula(time, event, [codes[c] for c in run.inmodel], data.columns)
        final = coxph(formula, d.data, ties=ties)
    return CoxStepwise(
        fit=final,
        steps=pd.DataFrame(run.log, columns=STEP_COLUMNS),
        selected=list(run.inmodel),
        stopped=stopped,
        entry=entry,
        removal=removal,
        entry_test=entry_test,
        candidates=candidates,
        not_in_model=not_in,
        max_steps=max_steps,
        direction=direction,
        n=int(d.time.size),
        events=int(d.event.sum()),
        requires=requires,
    )


def forward_cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    candidates: Sequence[str],
    *,
    entry: float = 0.05,
    removal: float = 0.10,
    entry_test: str = "score",
    max_steps: int | None = None,
    ties: str = "efron",
    nan_policy: str = "raise",
) -> CoxStepwise:
    """Forward stepwise Cox regression, SPSS's "Forward: LR" (COXREG /METHOD=FSTEP(LR)).

    R equivalent: a loop over ``survival::coxph`` fits: entry by the score test
    ``coxph(Surv(time, event) ~ current + x, init = c(b, 0), iter.max = 0)$score`` (smallest
    p below ``entry``), removal by the likelihood-ratio test ``2 * diff(loglik)`` against the
    model without the term (largest p above ``removal``); ``entry_test="lr"`` enters by the
    likelihood-ratio test.

    Parameters
    ----------
    data : DataFrame
    time, event : str
        Follow-up time and event columns (event 0/1, 1/2 or logical, as :func:`coxph`).
    candidates : sequence of str
        Candidate terms, as :func:`~hccstats.forward_lr` takes them: columns (a categorical
        column is one factor), or terms of the formula language (``"C(stage)"``,
        ``"rcs(age, 4)"``, ``"log(bili)"``, ``"a:b"``; ``"a * b"`` is ``a``, ``b`` and
        ``a:b``); a term's columns enter and leave together, with one df per column. An
        interaction enters only after its main effects, which stay while it is in.
    entry, removal : float
        SPSS's PIN and POUT; ``removal`` must not be below ``entry``.
    entry_test : {"score", "lr"}
    max_steps : int, optional
        Most entries plus removals (default: 2 * number of candidates + 10).
    ties : {"efron", "breslow"}
    nan_policy : {"raise", "omit"}
        Rows with a missing value in time, event or any candidate raise InputError or are left
        out (listwise, as SPSS does).

    Returns
    -------
    CoxStepwise

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hccstats as hs
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"age": rng.normal(60, 10, 200), "noise": rng.normal(size=200),
    ...                   "stage": rng.choice(["I", "II", "III"], 200)})
    >>> lp = 0.05 * (d["age"] - 60) + 0.8 * (d["stage"] == "III")
    >>> t = rng.exponential(20 * np.exp(-lp))
    >>> d["time"], d["status"] = np.minimum(t, 30), (t <= 30).astype(int)
    >>> sw = hs.forward_cox(d, "time", "status", ["age", "noise", "stage"])
    >>> sw.selected
    ['age', 'stage']
    >>> sw.steps[["step", "action", "term", "df"]]
       step action   term  df
    0     1  enter    age   1
    1     2  enter  stage   2
    """
    return _select(
        "forward", data, time, event, candidates, entry=entry, removal=removal,
        entry_test=entry_test, max_steps=max_steps, ties=ties, nan_policy=nan_policy,
    )  # fmt: skip


def backward_cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    candidates: Sequence[str],
    *,
    entry: float = 0.05,
    removal: float = 0.10,
    max_steps: int | None = None,
    ties: str = "efron",
    nan_policy: str = "raise",
) -> CoxStepwise:
    """Backward stepwise Cox regression, SPSS's "Backward: LR" (COXREG /METHOD=BSTEP(LR)).

    R equivalent: from ``coxph(Surv(time, event) ~ all candidates)``, remove by the
    likelihood-ratio test against the model without each term (largest p above ``removal``);
    when nothing leaves, re-enter a removed term by its score test (``init = c(b, 0),
    iter.max = 0``; smallest p below ``entry``). Arguments as :func:`forward_cox`.

    Returns
    -------
    CoxStepwise
        ``direction == "backward"``; ``steps`` logs "remove" and "enter" actions.
    """
    return _select(
        "backward", data, time, event, candidates, entry=entry, removal=removal,
        entry_test="score", max_steps=max_steps, ties=ties, nan_policy=nan_policy,
    )  # fmt: skip
