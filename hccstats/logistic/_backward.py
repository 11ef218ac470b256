"""``backward_lr``: SPSS's "Backward: LR" stepwise logistic regression.

The algorithm of SPSS's LOGISTIC REGRESSION /METHOD=BSTEP(LR) (IBM SPSS Statistics
Algorithms, "Stepwise variable selection"):

1. Fit the model with every candidate.
2. Likelihood-ratio test every variable in the model against the model without it (R:
   ``drop1(fit, test = "LRT")``). If the largest p-value exceeds ``removal``, remove that
   variable (stop if that model was visited before) and repeat 2.
3. Otherwise score-test every removed variable (R: ``add1(fit, test = "Rao")``); if the
   smallest p-value is below ``entry``, enter it again (stop if visited before) and go to 2;
   else stop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._candidates import candidate_requires
from ._lrm import fit_design
from ._stepwise import (
    Stepwise,
    fit_core,
    lr_removal,
    model_columns,
    not_in_model,
    score_candidates,
    setup,
    step_row,
    sub_design,
)

__all__ = ["backward_lr"]


def _removal(X, y, blocks, inmodel, current, removal, requires):
    """(index of the variable to remove, statistic, df, p, its reduced fit) or None; a main
    effect stays while an interaction with it is in the model."""
    if not inmodel:
        return None
    lr, ldf, fits = lr_removal(X, y, blocks, inmodel, current)
    rp = sps.chi2.sf(lr, ldf)
    held = [any(t in requires.get(u, ()) for u in inmodel) for t in inmodel]
    rp[held] = 0.0
    worst = int(np.argmax(rp))  # first among ties, in model order
    if not rp[worst] > removal:
        return None
    return worst, lr[worst], ldf[worst], rp[worst], fits[worst]


def _entry(X, y, blocks, candidates, inmodel, current, entry, requires):
    """(variable to re-enter, statistic, df, p) or None; an interaction only with its main
    effects in the model."""
    out = [
        c for c in candidates if c not in inmodel and all(m in inmodel for m in requires.get(c, ()))
    ]
    if not out:
        return None
    stat, df = score_candidates(
        X, y, model_columns(blocks, inmodel), current, [blocks[c] for c in out]
    )
    p = sps.chi2.sf(stat, df)
    best = int(np.argmin(p))  # first among ties, in candidate order
    if not p[best] < entry:
        return None
    return out[best], stat[best], df[best], p[best]


def backward_lr(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    entry: float = 0.05,
    removal: float = 0.10,
    max_steps: int | None = None,
    nan_policy: str = "raise",
    allow_separation: bool = False,
) -> Stepwise:
    """Backward stepwise logistic regression, SPSS's "Backward: LR" (METHOD=BSTEP(LR)).

    R equivalent: starting from ``glm(y ~ all candidates, family = binomial)``, a loop of
    ``drop1(fit, test = "LRT")`` (removal, largest p above ``removal``) and, when nothing
    leaves, ``add1(fit, scope = removed, test = "Rao")`` (re-entry, smallest p below
    ``entry``).

    Parameters
    ----------
    data : DataFrame
    outcome : str
        Binary outcome column.
    candidates : sequence of str
        Candidate variables or model terms (as :func:`forward_lr`); a categorical variable,
        spline or interaction leaves and enters as one block; a main effect stays while an
        interaction with it is in the model.
    entry, removal : float
        SPSS's PIN and POUT; ``removal`` must not be below ``entry``.
    max_steps : int, optional
        Most removals plus entries (default: 2 * number of candidates + 10; a model visited
        twice stops the selection anyway).
    nan_policy : {"raise", "omit"}
        Rows with a missing value in the outcome or any candidate raise InputError or are
        left out (listwise, as SPSS does).
    allow_separation : bool
        Let a factor level with only events (or none) be a candidate instead of raising
        InputError (as :func:`forward_lr`).

    Returns
    -------
    Stepwise
        ``direction == "backward"``; ``steps`` logs "remove" and "enter" actions.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> sw = hs.backward_lr(d, "recurrence", ["age", "mvi", "afp"])
    >>> sw.selected  # every candidate stays (removal p > 0.10 for none)
    ['age', 'mvi', 'afp']
    """
    candidates, d, blocks = setup(
        data, outcome, candidates, entry, removal, nan_policy, allow_separation
    )
    requires = candidate_requires(candidates, data.columns)
    X, y = d.X, d.y
    max_steps = 2 * len(candidates) + 10 if max_steps is None else int(max_steps)
    inmodel = list(candidates)
    visited = {frozenset(inmodel)}
    log: list[dict] = []
    current = fit_core(X, y, model_columns(blocks, inmodel))
    stopped = "no variable to remove or re-enter"
    while len(log) < max_steps:
        out = _removal(X, y, blocks, inmodel, current, removal, requires)
        if out is not None:
            k, stat, df, p, reduced_fit = out
            reduced = frozenset(t for t in inmodel if t != inmodel[k])
            if reduced in visited:
                stopped = f"cycle: removing {inmodel[k]!r} gives a model visited before"
                break
            visited.add(reduced)
            log.append(step_row(len(log) + 1, "remove", inmodel[k], stat, df, p))
            current = reduced_fit
            del inmodel[k]
            continue
        back = _entry(X, y, blocks, candidates, inmodel, current, entry, requires)
        if back is None:
            break
        term, stat, df, p = back
        if frozenset([*inmodel, term]) in visited:
            stopped = f"cycle: the model with {term!r} entered again was visited before"
            break
        visited.add(frozenset([*inmodel, term]))
        log.append(step_row(len(log) + 1, "enter", term, stat, df, p))
        inmodel.append(term)
        current = fit_core(X, y, model_columns(blocks, inmodel))
    else:
        stopped = f"max_steps ({max_steps}) reached"
    steps = pd.DataFrame(log, columns=["step", "action", "term", "statistic", "df", "p_value"])
    return Stepwise(
        fit=fit_design(sub_design(d, outcome, inmodel), stacklevel=3),
        steps=steps,
        selected=list(inmodel),
        stopped=stopped,
        entry=entry,
        removal=removal,
        entry_test="score",
        candidates=candidates,
        not_in_model=not_in_model(X, y, blocks, candidates, inmodel),
        direction="backward",
        requires=requires,
        allow_separation=allow_separation,
    )
