"""``forward_lr``: SPSS's "Forward: LR" stepwise logistic regression.

The algorithm of SPSS's LOGISTIC REGRESSION /METHOD=FSTEP(LR) (IBM SPSS Statistics
Algorithms, "Stepwise variable selection"):

1. Fit the current model (at first the intercept only).
2. Score-test every eligible variable not in the model (R: ``add1(fit, test = "Rao")``);
   a factor is one block with one degree of freedom per dummy.
3. If the smallest p-value is below ``entry``, add that variable; otherwise stop. If the new
   model was already visited, stop (cycling).
4. Likelihood-ratio test every variable in the model against the model without it (R:
   ``drop1(fit, test = "LRT")``). If the largest p-value exceeds ``removal``, remove that
   variable (stop if that model was visited before) and repeat 4; else go to 2.

The score tests of one step are one matrix computation: every candidate column is
residualised on the current design by weighted least squares at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps
from scipy.special import chdtrc

from .._errors import InputError
from .._jit import HAVE_NUMBA
from .._names import quote_name
from ._candidates import candidate_requires, candidate_term, expand_candidates
from ._design import Design, build_design
from ._fit import CoreFit, fit_logistic
from ._lrm import LogisticFit, fit_design
from ._print import stepwise_text
from ._select_compiled import run_selection
from ._select_fit import cannot_be_removed, fit_weighted, one_step_start, removal_lr_bounds

__all__ = [
    "forward_lr",
    "Stepwise",
    "Selection",
    "select_forward",
    "candidate_blocks",
    "score_tests",
    # shared with backward_lr
    "setup",
    "check_selection",
    "not_in_model",
    "model_columns",
    "fit_core",
    "lr_removal",
    "step_row",
    "score_candidates",
    "sub_design",
    "COMPILED",
    "COMPILED_MIN_ROWS",
]

#: a selection on weighted rows (a bootstrap resample) runs as one compiled routine
#: (``_select_compiled.py``) when numba is installed and the entry test is the score test,
#: on ``COMPILED_MIN_ROWS`` distinct rows or more: its compilation, once per installation
#: (cached on disk), costs 25-40 CPU s, which the resamples of a small study never recoup
COMPILED = HAVE_NUMBA
COMPILED_MIN_ROWS = 1000


@dataclass(frozen=True, eq=False)
class Selection:
    """One run of the forward-LR selection on arrays: the selected candidates in order of
    entry, the step log (rows of step, action, term, statistic, df, p_value), why it stopped,
    and the fit of the selected columns (``core``; ``columns`` its columns of ``X``)."""

    selected: list[str]
    log: list[dict]
    stopped: str
    core: CoreFit
    columns: list[int]


@dataclass
class _State:
    inmodel: list[str]
    visited: set
    log: list[dict]
    current: CoreFit
    step: int = 0
    requires: dict = field(default_factory=dict)

    def may_enter(self, term: str) -> bool:
        """Every main effect of an interaction is in the model."""
        return all(m in self.inmodel for m in self.requires.get(term, ()))

    def may_leave(self, term: str) -> bool:
        """No interaction with this term is in the model."""
        return not any(term in self.requires.get(t, ()) for t in self.inmodel)


@dataclass(frozen=True, eq=False)
class Stepwise:
    """Result of :func:`forward_lr` or :func:`backward_lr` (``direction``).

    ``fit`` is the final model (a :class:`LogisticFit`), ``steps`` the step log
    (step, action "enter"/"remove", term, statistic, df, p_value), ``selected`` the final
    terms in order of entry, ``stopped`` why the selection ended, ``not_in_model`` the score
    tests of the candidates left out, at the final model (SPSS's "Variables not in the
    Equation"; R: ``add1(final, test = "Rao")``).
    """

    fit: LogisticFit
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
    requires: dict[str, list[str]] = field(default_factory=dict)
    allow_separation: bool = False  # factor levels with only events (or none) were candidates

    def candidate_design(self) -> tuple[Design, dict[str, np.ndarray]]:
        """The design of all candidates over the patients the selection used, and each
        candidate's design columns: what :func:`select_forward` needs to repeat the selection
        (e.g. in every bootstrap resample, ``hccstats.validate(stepwise)``)."""
        columns = self.fit.data.columns
        formula = f"{quote_name(self.fit.outcome)} ~ " + " + ".join(
            candidate_term(c, columns) for c in self.candidates
        )
        d = build_design(formula, self.fit.data, firth=self.allow_separation)
        return d, candidate_blocks(d, self.candidates)

    def repeat_on(
        self,
        X: np.ndarray,
        y: np.ndarray,
        blocks: dict[str, np.ndarray],
        weights: np.ndarray | None = None,
    ) -> Selection:
        """The same selection (candidates, entry, removal, test, max_steps) on other rows
        (``weights``: their frequencies, e.g. a bootstrap resample's counts)."""
        if self.direction != "forward":
            raise InputError(
                f"repeating a {self.direction} selection in resamples is not available; "
                "use forward_lr"
            )
        return select_forward(
            X,
            y,
            blocks,
            self.candidates,
            entry=self.entry,
            removal=self.removal,
            entry_test=self.entry_test,
            max_steps=self.max_steps,
            weights=weights,
            requires=self.requires,
        )

    def to_frame(self) -> pd.DataFrame:
        """The step log (a copy): step, action ("enter"/"remove"), term, statistic, df, p_value."""
        return self.steps.copy()

    def __repr__(self) -> str:
        return stepwise_text(
            self, "logistic regression", f" candidates: {', '.join(self.candidates)}"
        )


def score_tests(
    X1: np.ndarray,
    core: CoreFit,
    y: np.ndarray,
    Z: np.ndarray,
    blocks: list[np.ndarray],
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rao score statistics (and df) for adding each block of columns of Z to the model X1.

    Efficient score U_b' (Z_b' W Z_b - Z_b' W X1 (X1' W X1)^-1 X1' W Z_b)^-1 U_b at the
    current ML fit, U_b = Z_b'(y - p): R's ``add1.glm(test = "Rao")``. ``weights``: frequency
    weights of the rows (a bootstrap resample's counts), as if each row were repeated.
    """
    p = core.fitted
    w = p * (1.0 - p)
    r = y - p
    if weights is not None:
        w = w * weights
        r = r * weights
    # Z_b' W Z_b - Z_b' W X1 (X1' W X1)^-1 X1' W Z_b from the cross-products with X1 (one
    # matrix product for all candidates), X1 scaled to a unit-diagonal X1' W X1 first so that
    # its Cholesky factor is as accurate as a QR of W^1/2 X1
    XW = X1 * w[:, None]
    d = np.sqrt(np.einsum("ij,ij->j", XW, X1))
    d[d == 0] = 1.0
    try:
        L = np.linalg.cholesky((XW.T @ X1) / np.outer(d, d))
        T = linalg.solve_triangular(L, (XW.T @ Z) / d[:, None], lower=True, check_finite=False)
    except np.linalg.LinAlgError:  # X1' W X1 singular to rounding (weights ~0 near separation)
        sw = np.sqrt(w)  # project on the span of W^1/2 X1 by a rank-revealing QR instead
        q, rq, _ = linalg.qr(X1 * sw[:, None], mode="economic", pivoting=True, check_finite=False)
        diag = np.abs(np.diag(rq))
        rank = int(np.sum(diag > diag[0] * max(X1.shape) * np.finfo(float).eps)) if len(diag) else 0
        T = q[:, :rank].T @ (Z * sw[:, None])
    zz = np.einsum("ij,ij->j", Z * w[:, None], Z)
    ss = zz - np.einsum("ij,ij->j", T, T)
    u = Z.T @ r
    stats = np.empty(len(blocks))
    dfs = np.empty(len(blocks))
    for k, cols in enumerate(blocks):
        if len(cols) == 1:
            j = cols[0]
            # a candidate (numerically) in the span of the model adds nothing
            stats[k] = u[j] ** 2 / ss[j] if ss[j] > 1e-12 * zz[j] else 0.0
        else:
            Zb = Z[:, cols]
            V = (Zb * w[:, None]).T @ Zb - T[:, cols].T @ T[:, cols]
            stats[k] = float(u[cols] @ linalg.solve(V, u[cols], assume_a="pos"))
        dfs[k] = len(cols)
    return stats, dfs


def fit_core(X, y, cols, start=None) -> CoreFit:
    return fit_logistic(X[:, cols], y, start=start)


def check_selection(candidates, entry: float, removal: float) -> list[str]:
    """The candidates as a list without repeats; InputError for none, an entry or removal p
    outside (0, 1), or removal below entry (the selection could cycle). Shared by the logistic
    and Cox selections."""
    if isinstance(candidates, str):
        candidates = [candidates]
    candidates = list(dict.fromkeys(candidates))
    if not candidates:
        raise InputError("candidates: give at least one candidate variable")
    for name, v in (("entry", entry), ("removal", removal)):
        if not (isinstance(v, (int, float)) and 0 < v < 1):
            raise InputError(f"{name}: expected a probability between 0 and 1, got {v!r}")
    if removal < entry:
        raise InputError(
            f"removal ({removal}) must not be smaller than entry ({entry}): the selection could cycle"
        )
    return candidates


def setup(
    data,
    outcome: str,
    candidates,
    entry: float,
    removal: float,
    nan_policy: str,
    allow_separation: bool = False,
):
    """Checked candidates, the design of all of them, and each candidate's block of columns.

    ``allow_separation``: a factor level with only events (or none) is a candidate too, not an
    InputError (for a selection whose model is refitted by Firth's penalised likelihood)."""
    candidates = check_selection(candidates, entry, removal)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if outcome not in data.columns:
        raise InputError(f"column {outcome!r} not in data")
    if outcome in candidates:
        raise InputError(f"candidates: the outcome {outcome!r} cannot be a candidate")
    candidates = expand_candidates(candidates, data.columns)
    formula = f"{quote_name(outcome)} ~ " + " + ".join(
        candidate_term(c, data.columns) for c in candidates
    )
    d = build_design(formula, data, nan_policy=nan_policy, firth=allow_separation)
    return candidates, d, candidate_blocks(d, candidates)


def not_in_model(X, y, blocks, candidates, inmodel) -> pd.DataFrame:
    """Score tests of the candidates left out, at the final model (SPSS's "Variables not in
    the Equation")."""
    out = [c for c in candidates if c not in inmodel]
    if not out:
        return pd.DataFrame(columns=["term", "statistic", "df", "p_value"])
    cols = model_columns(blocks, inmodel)
    cur = fit_core(X, y, cols)
    st, sdf = score_candidates(X, y, cols, cur, [blocks[c] for c in out])
    return pd.DataFrame(
        {"term": out, "statistic": st, "df": sdf.astype(int), "p_value": sps.chi2.sf(st, sdf)}
    )


def forward_lr(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    entry: float = 0.05,
    removal: float = 0.10,
    entry_test: str = "score",
    max_steps: int | None = None,
    nan_policy: str = "raise",
    allow_separation: bool = False,
) -> Stepwise:
    """Forward stepwise logistic regression, SPSS's "Forward: LR" (METHOD=FSTEP(LR)).

    R equivalent: a loop of ``add1(fit, scope, test = "Rao")`` (entry, smallest p below
    ``entry``) and ``drop1(fit, test = "LRT")`` (removal, largest p above ``removal``)
    on ``glm(family = binomial)``; ``entry_test="lr"`` enters by ``add1(test = "LRT")``.

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Binary outcome column.
    candidates : sequence of str
        Candidate variables (columns) or model terms (``rcs(age, 4)``, ``log(afp)``,
        ``factor(stage)``, ``age:sex``; ``age * sex`` is age, sex and age:sex). A categorical
        variable, spline, polynomial or interaction enters and leaves as one block (its df);
        an interaction enters only after its main effects, which cannot leave before it.
    entry, removal : float
        SPSS's PIN and POUT; ``removal`` must not be below ``entry``.
    entry_test : {"score", "lr"}
    max_steps : int, optional
        Most entries plus removals (default: 2 * number of candidates + 10, as a backstop;
        a model visited twice stops the selection anyway).
    nan_policy : {"raise", "omit"}
        Rows with a missing value in the outcome or any candidate raise InputError or are
        left out (listwise, as SPSS does; counted in ``fit.stats['n_omitted']``).
    allow_separation : bool
        Let a factor level with only events (or none) be a candidate instead of raising
        InputError: its score and likelihood-ratio tests stay finite, the final fit warns of
        the separation (for a model refitted by Firth's penalised likelihood).

    Returns
    -------
    Stepwise

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> sw = hs.forward_lr(d, "recurrence", ["age", "mvi", "afp", "noise"])
    >>> sw.steps.round(3)
       step action term  statistic  df  p_value
    0     1  enter  age     25.823   1    0.000
    1     2  enter  afp      9.730   1    0.002
    2     3  enter  mvi     10.653   1    0.001
    """
    if entry_test not in ("score", "lr"):
        raise InputError(f"entry_test: expected 'score' or 'lr', got {entry_test!r}")
    candidates, d, blocks = setup(
        data, outcome, candidates, entry, removal, nan_policy, allow_separation
    )
    requires = candidate_requires(candidates, data.columns)
    X, y = d.X, d.y
    sel = select_forward(
        X,
        y,
        blocks,
        candidates,
        entry=entry,
        removal=removal,
        entry_test=entry_test,
        max_steps=max_steps,
        requires=requires,
    )
    inmodel, log, stopped = sel.selected, sel.log, sel.stopped
    steps = pd.DataFrame(log, columns=["step", "action", "term", "statistic", "df", "p_value"])
    not_in = not_in_model(X, y, blocks, candidates, inmodel)
    final = fit_design(sub_design(d, outcome, inmodel), stacklevel=3)
    return Stepwise(
        fit=final,
        steps=steps,
        selected=list(inmodel),
        stopped=stopped,
        entry=entry,
        removal=removal,
        entry_test=entry_test,
        candidates=candidates,
        not_in_model=not_in,
        max_steps=max_steps,
        requires=requires,
        allow_separation=allow_separation,
    )


def candidate_blocks(d: Design, candidates: Sequence[str]) -> dict[str, np.ndarray]:
    """Each candidate's column indices in the design ``d`` (a factor: all its dummies)."""
    col_index = {c: i for i, c in enumerate(d.columns)}
    term_of = {candidate_term(c, d.data.columns): c for c in candidates}
    return {term_of[t]: np.array([col_index[c] for c in cs]) for t, cs in d.term_columns.items()}


def select_forward(
    X: np.ndarray,
    y: np.ndarray,
    blocks: dict[str, np.ndarray],
    candidates: Sequence[str],
    *,
    entry: float,
    removal: float,
    entry_test: str = "score",
    max_steps: int | None = None,
    weights: np.ndarray | None = None,
    requires: dict[str, list[str]] | None = None,
) -> Selection:
    """The forward-LR selection of :func:`forward_lr` on a design matrix (intercept column
    first) and 0/1 outcome, the candidates given as column blocks; no input checks.

    ``weights``: frequency weights of the rows (a bootstrap resample as its distinct rows and
    their counts gives the selection of the resample itself). Each model is fitted once (warm
    started from the model it grew from); a removal LR test refits the reduced model only when
    a lower bound on its statistic cannot already exclude the removal
    (:func:`~hccstats.logistic._select_fit.removal_lr_bounds`), so the steps are those of
    refitting every reduced model. ``requires``: interaction -> its main effects (an
    interaction is a candidate once they are all in; they cannot leave while it is in).
    With ``weights``, the score entry test, numba installed and at least
    ``COMPILED_MIN_ROWS`` rows, the whole selection runs as one compiled routine without the
    GIL (``_select_compiled.py``: the same steps, the fits to rounding), the numpy path below
    where that routine cannot.
    """
    max_steps = 2 * len(candidates) + 10 if max_steps is None else int(max_steps)
    if COMPILED and weights is not None and entry_test == "score" and len(y) >= COMPILED_MIN_ROWS:
        sel = _select_compiled(
            X, y, blocks, candidates, entry, removal, max_steps, weights, requires
        )
        if sel is not None:
            return sel
    c = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    rows = _Rows(X, y, c)
    rate = float(c @ y) / float(c.sum())  # the intercept-only MLE: the start is the answer
    start = [np.log(rate / (1.0 - rate))] if 0.0 < rate < 1.0 else None
    st = _State([], {frozenset()}, [], rows.fit([0], start=start), requires=requires or {})
    while True:
        out = [c for c in candidates if c not in st.inmodel and st.may_enter(c)]
        if not out:
            stopped = (
                "all candidates entered"
                if len(st.inmodel) == len(candidates)
                else "no candidate left whose main effects are in the model"
            )
            break
        if st.step >= max_steps:
            stopped = f"max_steps ({max_steps}) reached"
            break
        stopped = _enter(rows, blocks, out, st, entry, entry_test) or _remove(
            rows, blocks, st, removal, max_steps
        )
        if stopped:
            break
    return Selection(st.inmodel, st.log, stopped, st.current, model_columns(blocks, st.inmodel))


def _select_compiled(X, y, blocks, candidates, entry, removal, max_steps, weights, requires):
    """select_forward by the compiled routine, or None where the numpy path must run."""
    candidates = list(candidates)
    out = run_selection(
        X, y, weights, blocks, candidates, requires or {}, entry, removal, max_steps
    )
    if out is None:
        return None
    order, rows, stopped, core, columns = out
    log = [
        step_row(k + 1, ("enter", "remove")[int(a)], candidates[int(t)], s, df, chdtrc(df, s))
        for k, (a, t, s, df) in enumerate(rows)
    ]
    return Selection([candidates[t] for t in order], log, stopped, core, columns)


@dataclass
class _Rows:
    """The rows a selection runs on, and every model fitted on them (by ordered columns)."""

    X: np.ndarray
    y: np.ndarray
    c: np.ndarray
    fits: dict = field(default_factory=dict)

    def fit(self, cols: list[int], start=None, parent: CoreFit | None = None) -> CoreFit:
        """The fit of columns ``cols``; ``parent``: the fitted model that ``start`` extends by
        coefficients 0 (its probabilities and log-likelihood are those at the start)."""
        key = tuple(cols)
        if key not in self.fits:
            at = None if parent is None else (parent.fitted, parent.loglik)
            self.fits[key] = fit_weighted(self.X[:, cols], self.y, self.c, start, at)
        return self.fits[key]


def _enter(rows: _Rows, blocks, out, st: _State, entry, entry_test) -> str | None:
    """Enter the best candidate (smallest p below ``entry``), or say why the selection stops."""
    cols = model_columns(blocks, st.inmodel)
    new_blocks = [blocks[c] for c in out]
    if entry_test == "score":
        stat, df = score_candidates(rows.X, rows.y, cols, st.current, new_blocks, rows.c)
    else:
        stat, df = _lr_entry_rows(rows, cols, st.current, new_blocks)
    pvals = chdtrc(df, stat)  # = scipy.stats.chi2.sf, without its overhead
    best = int(np.argmin(pvals))  # first among ties, in candidate order
    if not pvals[best] < entry:
        return f"no candidate with entry p below {entry}"
    new_model = frozenset(st.inmodel + [out[best]])
    if new_model in st.visited:
        return f"cycle: the model with {out[best]!r} entered was visited before"
    st.step += 1
    st.inmodel.append(out[best])
    st.visited.add(new_model)
    st.log.append(step_row(st.step, "enter", out[best], stat[best], df[best], pvals[best]))
    start = np.r_[st.current.coef, np.zeros(len(blocks[out[best]]))]
    st.current = rows.fit(model_columns(blocks, st.inmodel), start=start, parent=st.current)
    return None


def _remove(rows: _Rows, blocks, st: _State, removal, max_steps) -> str | None:
    """Remove terms (largest LR p above ``removal``) while any qualifies; a cycle stops."""
    while len(st.inmodel) > 0 and st.step < max_steps:
        lr, ldf, fits = _removal_tests(rows, blocks, st.inmodel, st.current, removal)
        # terms whose bound already excludes removal: p taken as 0 (below any threshold)
        rp = np.where(np.isnan(lr), 0.0, chdtrc(ldf, np.nan_to_num(lr)))
        rp[[not st.may_leave(t) for t in st.inmodel]] = 0.0  # hierarchy: interactions first
        worst = int(np.argmax(rp))  # first among ties, in entry order
        if not rp[worst] > removal:
            break
        term = st.inmodel[worst]
        reduced = frozenset(t for t in st.inmodel if t != term)
        if reduced in st.visited:
            return f"cycle: removing {term!r} gives a model visited before"
        st.step += 1
        st.visited.add(reduced)
        st.log.append(step_row(st.step, "remove", term, lr[worst], ldf[worst], rp[worst]))
        st.current = fits[worst]
        del st.inmodel[worst]
    return None


def _removal_tests(rows: _Rows, blocks, inmodel, current, removal):
    """LR statistics of removing each term: exact where the reduced model was fitted already or
    its bound does not exclude removal (refitted then, from the one-step start), else nan."""
    full_cols = model_columns(blocks, inmodel)
    where = {j: i for i, j in enumerate(full_cols)}
    positions = [np.array([where[int(j)] for j in blocks[t]]) for t in inmodel]
    dfs = np.array([len(blocks[t]) for t in inmodel], dtype=float)
    lr = np.full(len(inmodel), np.nan)
    fits: list = [None] * len(inmodel)
    cols_of = [model_columns(blocks, [u for u in inmodel if u != t]) for t in inmodel]
    need = [k for k in range(len(inmodel)) if tuple(cols_of[k]) not in rows.fits]
    if need:
        bounds = removal_lr_bounds(
            rows.X[:, full_cols], rows.y, rows.c, current, [positions[k] for k in need]
        )
        safe = cannot_be_removed(bounds, dfs[need], current.loglik, removal)
        need = [k for k, s in zip(need, safe) if not s]
    for k in range(len(inmodel)):
        key = tuple(cols_of[k])
        if key not in rows.fits and k not in need:
            continue
        if key not in rows.fits:
            keep = [where[j] for j in cols_of[k]]
            rows.fit(cols_of[k], start=one_step_start(current, keep, positions[k]))
        fits[k] = rows.fits[key]
        lr[k] = max(2.0 * (current.loglik - fits[k].loglik), 0.0)
    return lr, dfs, fits


def _lr_entry_rows(rows: _Rows, cols, current, new_blocks):
    stat = np.empty(len(new_blocks))
    df = np.empty(len(new_blocks))
    for k, b in enumerate(new_blocks):
        start = np.r_[current.coef, np.zeros(len(b))]
        f = rows.fit(cols + [int(j) for j in b], start=start, parent=current)
        stat[k] = max(2.0 * (f.loglik - current.loglik), 0.0)
        df[k] = len(b)
    return stat, df


def sub_design(d: Design, outcome: str, terms: list[str]) -> Design:
    """The design of the selected terms, cut from the full one (no second formula parse)."""
    names = [candidate_term(t, d.data.columns) for t in terms]
    info = d.design_info.subset(["Intercept", *names])
    index = {c: i for i, c in enumerate(d.columns)}
    cols = list(info.column_names)
    rhs = " + ".join(names) if names else "1"
    return replace(
        d,
        formula=f"{quote_name(outcome)} ~ {rhs}",
        X=d.X[:, [index[c] for c in cols]],
        columns=cols,
        design_info=info,
        terms=names,
        term_columns={t: d.term_columns[t] for t in names},
    )


def score_candidates(X, y, cols, current, new_blocks, weights=None):
    """Score tests of adding each block (columns of X) to the model of columns ``cols``."""
    flat = np.concatenate(new_blocks)
    local, pos = [], 0
    for b in new_blocks:
        local.append(np.arange(pos, pos + len(b)))
        pos += len(b)
    return score_tests(X[:, cols], current, y, X[:, flat], local, weights)


def model_columns(blocks, terms) -> list[int]:
    return [0] + [int(j) for t in terms for j in blocks[t]]


def step_row(step, action, term, stat, df, p) -> dict:
    return {
        "step": step,
        "action": action,
        "term": term,
        "statistic": float(stat),
        "df": int(df),
        "p_value": float(p),
    }


def lr_removal(X, y, blocks, inmodel, current):
    lr = np.empty(len(inmodel))
    df = np.empty(len(inmodel))
    fits = []
    full_cols = model_columns(blocks, inmodel)
    for k, t in enumerate(inmodel):
        rest = [u for u in inmodel if u != t]
        cols = model_columns(blocks, rest)
        keep = [full_cols.index(c) for c in cols]
        f = fit_core(X, y, cols, start=current.coef[keep])
        fits.append(f)
        lr[k] = max(2.0 * (current.loglik - f.loglik), 0.0)
        df[k] = len(blocks[t])
    return lr, df, fits
