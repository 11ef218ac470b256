"""``rms::validate`` for a Cox model (``validate.cph``, method "boot"): optimism-corrected
Somers' Dxy, R2, calibration slope, D, U, Q and g, with a stepwise selection repeated in
every resample when the model came from :func:`forward_cox` / :func:`backward_cox`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._errors import InputError
from .._random import bootstrap_indices
from ..calibration._resample import average, run_chunks
from ..calibration._stats import gini_md, nagelkerke
from ..calibration._validate import Validation
from ._concordance import concordance_counts
from ._coxfit import evaluate, fit_cox
from ._coxph import INFINITE_PER_SD, CoxFit
from ._riskset import risk_sets

__all__ = ["validate_cox", "selection_design", "COX_INDICES"]

#: rows of rms's validate.cph, in its order
COX_INDICES = ["Dxy", "R2", "Slope", "D", "U", "Q", "g"]


def _dxy(time, event, x) -> float:
    """Somers' Dxy of a hazard score (rms's ``dxy.cens(x, y, type = "hazard")``): 2 C - 1,
    C Harrell's concordance with a higher score for the shorter time."""
    if np.all(x == x[0]):
        return 0.0
    return 2.0 * concordance_counts(time, event, x, reverse=True).concordance - 1.0


def _indices(dxy, lr, ll0, slope, U, g, n) -> np.ndarray:
    D = (lr - 1.0) / ll0
    return np.array([dxy, float(nagelkerke(lr, ll0, n)), slope, D, U, D - U, g])


def _apparent(time, event, x, loglik, n) -> np.ndarray:
    """rms's ``discrim(evalfit = TRUE)``: a model's indices on the rows it was fitted on."""
    if np.all(x == x[0]):  # no term (an empty selection): rms's constant score
        return np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    lr, ll0 = 2.0 * (loglik[1] - loglik[0]), -2.0 * loglik[0]
    return _indices(_dxy(time, event, x), lr, ll0, 1.0, -2.0 / ll0, gini_md(x), n)


def _tested(rs, time, event, x) -> np.ndarray | None:
    """rms's ``discrim(evalfit = FALSE)``: a resample model's score ``x`` on the original
    patients, with the Cox recalibration ``coxph(Surv(time, event) ~ x)`` (its slope). None
    when that fit fails."""
    n = time.size
    if np.all(x == x[0]):
        return np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    xs = (x[rs.order] - x.mean())[:, None]
    core = fit_cox(rs, xs)
    if not core.converged or not np.all(np.isfinite(core.coef)):
        return None
    slope = float(core.coef[0])
    lr, ll0 = 2.0 * (core.loglik - core.null_loglik), -2.0 * core.null_loglik
    frozen = evaluate(rs, xs, np.ones(1), info=False).loglik  # the score as it is (slope 1)
    U = -2.0 * (frozen - core.loglik) / ll0
    return _indices(_dxy(time, event, x), lr, ll0, slope, U, gini_md(slope * x), n)


def _refit(time, event, X, ties) -> tuple[np.ndarray, tuple[float, float]] | None:
    """The Cox model of the columns X on these rows: (coef, (null, final) loglik); None when
    it fails (no event, not converged, non-finite or diverging coefficients)."""
    if event.sum() < 1:
        return None
    if X.shape[1] == 0:
        rs = risk_sets(time, event, ties)
        ll = evaluate(rs, np.zeros((time.size, 1)), np.zeros(1), info=False).loglik
        return np.zeros(0), (ll, ll)
    rs = risk_sets(time, event, ties)
    sd = X.std(axis=0)
    if np.any(sd == 0):
        return None  # a column constant in the resample: a singular fit
    with np.errstate(all="ignore"):
        core = fit_cox(rs, X[rs.order] - X.mean(axis=0))
    b = core.coef
    if not core.converged or not np.all(np.isfinite(b)) or np.any(np.abs(b) * sd > INFINITE_PER_SD):
        return None
    return b, (core.null_loglik, core.loglik)


def validate_cox(
    fit,
    B: int = 40,
    *,
    seed=None,
    n_jobs: int | None = 1,
    resamples=None,
    selection=None,
    progress: bool = False,
) -> Validation:
    """Bootstrap validation of a Cox model, as ``rms::validate(cph(..., x = TRUE, y = TRUE),
    B = B)`` (``validate.cph``, method "boot"); reached through :func:`hccstats.validate`.

    The model is refitted in each resample; its indices on the resample (training) and, with
    its linear predictor, on the original patients (test) give the optimism (mean training -
    test), subtracted from the apparent index. Rows as rms: Somers' Dxy (Harrell's C = Dxy / 2
    + 1/2, a higher linear predictor for a shorter time), R2 (Nagelkerke, from the likelihood
    ratio), Slope (the calibration slope: the coefficient of the refit's linear predictor in
    a Cox model on the original patients; 1 on the training rows), D (discrimination), U
    (unreliability), Q = D - U and g (Gini's mean difference of the linear predictor).

    A model chosen by :func:`forward_cox` or :func:`backward_cox` is validated with its
    selection repeated in every resample: pass the :class:`CoxStepwise` (as ``fit``, or as
    ``selection``). Each resample reruns that selection (same direction, candidates, entry and
    removal p, entry test, hierarchy) and the model it keeps enters the optimism, as
    ``rms::validate(fit, B, bw = TRUE)`` does with its own selection (rms: ``fastbw``'s
    approximate backward Wald deletions; here the study's SPSS-style score/LR selection). A
    resample that keeps no term scores every patient alike (rms: Dxy 0, slope 1). ``.retained``
    holds which candidates each resample kept.

    A refit fails, and its resample is left out (counted in ``n_failed``, as rms prints
    "Divergence or singularity in k samples"), when it does not converge, a column is constant
    in the resample, a coefficient diverges (monotone likelihood: |beta| x SD > 15) or the
    recalibration on the original patients does not converge. rms's refits stop at 10
    iterations with eps 1e-4; these are iterated to convergence, so resample numbers differ
    from rms's in the 5th decimal even on the same resamples; the apparent indices agree with
    rms to rounding.

    Parameters
    ----------
    fit : CoxFit or CoxStepwise
        From :func:`coxph`, or the result of :func:`forward_cox` / :func:`backward_cox`.
    B : int
        Bootstrap resamples (rms's default: 40).
    seed : int
        Seed of the resampling; required unless ``resamples`` is given.
    n_jobs : int, optional
        Threads; the result does not depend on it.
    resamples : array-like (B, n), optional
        0-based row indices of the resamples (e.g. R's), instead of drawing them.
    selection : CoxStepwise, optional
        The selection that produced ``fit``, to repeat in every resample.
    progress : bool
        A progress bar (tqdm, on stderr).

    Returns
    -------
    Validation
        ``.table`` with rows Dxy, R2, Slope, D, U, Q, g and columns index_orig, training,
        test, optimism, index_corrected, n.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hccstats as hs
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"age": rng.normal(60, 10, 150)})
    >>> t = rng.exponential(24 * np.exp(-0.04 * (d["age"] - 60)))
    >>> d["time"], d["status"] = np.minimum(t, 36), (t <= 36).astype(int)
    >>> fit = hs.coxph("Surv(time, status) ~ age", d)
    >>> v = hs.validate(fit, B=20, seed=1)  # R: validate(cph(..., x=TRUE, y=TRUE), B=20)
    >>> list(v.table.index)
    ['Dxy', 'R2', 'Slope', 'D', 'U', 'Q', 'g']
    """
    fit, selection = _fit_and_selection(fit, selection)
    time, event = np.asarray(fit.time, float), np.asarray(fit.event, float)
    n = time.size
    X = np.asarray(fit.X, float)
    lp0 = fit.linear_predictor()
    orig = _apparent(time, event, lp0, fit.loglik, n)
    idx = bootstrap_indices(n, B, seed, resamples)
    rs0 = risk_sets(time, event, fit.ties)
    retained = None
    one, design = _refitter(fit, selection, time, event, X)
    k = len(selection.candidates) if selection is not None else 0
    chunk = _chunk_runner(one, design, rs0, time, event, k)
    parts = run_chunks(chunk, idx, n_jobs, chunk=10, progress=progress, desc="validate (Cox)")
    if selection is not None:
        ok = ~np.concatenate([p[2] for p in parts])
        kept = np.vstack([p[3] for p in parts])
        retained = pd.DataFrame(kept[ok], columns=list(selection.candidates))
    tr, te, num, n_failed = average([p[:3] for p in parts])
    opt = tr - te
    table = pd.DataFrame(
        {
            "index_orig": orig,
            "training": tr,
            "test": te,
            "optimism": opt,
            "index_corrected": orig - opt,
            "n": num.astype(float),
        },
        index=COX_INDICES,
    )
    return Validation(table, idx.shape[0], n_failed, n, seed, retained)


def _refitter(fit, selection, time, event, X):
    """(the refit of one resample's rows, the design its columns index): the model refitted,
    or the selection repeated and its model refitted. A refit gives (columns, coef, loglik,
    kept flags or None), or None where it fails."""
    if selection is None:

        def one(rows):
            out = _refit(time[rows], event[rows], X[rows], fit.ties)
            return None if out is None else (np.arange(X.shape[1]), *out, None)

        return one, X
    cand, blocks = selection_design(fit, selection)
    design = cand.X

    def one(rows):
        sub = dataclasses.replace(cand, time=time[rows], event=event[rows], X=design[rows])
        try:
            with np.errstate(all="ignore"):
                kept = selection.repeat_on(sub, blocks)
        except np.linalg.LinAlgError:
            return None
        cols = np.array([j for t in kept for j in blocks[t]], dtype=np.intp)
        out = _refit(time[rows], event[rows], design[rows][:, cols], fit.ties)
        flags = [c in kept for c in selection.candidates]
        return None if out is None else (cols, *out, flags)

    return one, design


def _chunk_runner(one, design, rs0, time, event, k: int):
    """The work of a chunk of resamples: (training indices, test indices, failed, kept flags
    of the ``k`` candidates), one row per resample."""
    n = time.size

    def chunk(ix):
        train = np.full((len(ix), len(COX_INDICES)), np.nan)
        test = np.full_like(train, np.nan)
        fail = np.zeros(len(ix), dtype=bool)
        kept = np.zeros((len(ix), k), dtype=bool)
        for b, rows in enumerate(ix):
            res = one(rows)
            tested = None
            if res is not None:
                cols, coef, loglik, flags = res
                x = design[:, cols] @ coef if cols.size else np.zeros(n)
                tested = _tested(rs0, time, event, x)
            if tested is None:
                fail[b] = True
                continue
            train[b] = _apparent(time[rows], event[rows], x[rows], loglik, n)
            test[b] = tested
            if flags is not None:
                kept[b] = flags
        return train, test, fail, kept

    return chunk


def _fit_and_selection(fit, selection):
    """(the CoxFit, the CoxStepwise to repeat or None), checked."""
    from ._stepwise_cox import CoxStepwise

    if isinstance(fit, CoxStepwise):
        if selection is not None and selection is not fit:
            raise InputError("selection: fit is already a CoxStepwise; give it once")
        fit, selection = fit.fit, fit
        if fit is None:
            raise InputError("fit: the selection kept no term, there is no model to validate")
    if not isinstance(fit, CoxFit):
        raise InputError(f"fit: expected a CoxFit (hccstats.coxph), got {type(fit).__name__}")
    if selection is None:
        return fit, None
    _check_selection_of(fit, selection)
    return fit, selection


def selection_design(fit, selection):
    """``selection.candidate_design()`` after checking that ``selection`` is the CoxStepwise
    that selected ``fit``, on the same patients (InputError otherwise)."""
    _check_selection_of(fit, selection)
    cand, blocks = selection.candidate_design()
    if cand.time.size != fit.n or not np.array_equal(cand.time, fit.time):
        raise InputError("selection: its patients are not those of fit")
    return cand, blocks


def _check_selection_of(fit, selection) -> None:
    from ._stepwise_cox import CoxStepwise

    if not isinstance(selection, CoxStepwise):
        raise InputError(
            "selection: expected the CoxStepwise of hccstats.forward_cox / backward_cox, got "
            f"{type(selection).__name__}"
        )
    if (
        selection.fit is None
        or list(fit.terms) != list(selection.fit.terms)
        or fit.n != (selection.fit.n)
    ):
        raise InputError(
            f"selection: fit is not the model it selected (terms {list(fit.terms)} vs "
            f"{list(selection.fit.terms) if selection.fit is not None else []})"
        )
