"""``rms::validate`` for a logistic model (method "boot"): optimism-corrected indices."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from ._batched_newton import loglik2, lrm_fit_batch, lrm_fit_rows, null_deviance
from ._resample import average, bootstrap_indices, counts, fit_arrays, run_chunks
from ._stats import gini_md_counts, gini_md_rows, gini_md_weights, nagelkerke, somers_c_counts

__all__ = ["Validation", "validate"]

INDICES = ["Dxy", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp"]
_MEASURES = [i for i in INDICES if i != "Emax"]


@dataclass(frozen=True, eq=False)
class Validation:
    """The table of ``rms::validate``: rows Dxy, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp;
    columns ``index_orig``, ``training``, ``test``, ``optimism``, ``index_corrected``, ``n``
    (rms's index.orig, ..., n). ``n_failed`` resamples (singular or non-converged fits, or no
    events) were left out, as rms does."""

    table: pd.DataFrame
    B: int
    n_failed: int
    n: int
    seed: object = None
    retained: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def selection_frequency(self) -> pd.Series | None:
        """With the selection repeated: the share of the successful resamples whose model
        kept each candidate (rms: the column means of "Factors Retained"); else None."""
        if self.retained is None:
            return None
        return self.retained.mean().rename("selection_frequency")

    def to_frame(self) -> pd.DataFrame:
        return self.table.rename_axis("index").reset_index()

    def __getitem__(self, index: str) -> pd.Series:
        return self.table.loc[index]

    def __repr__(self) -> str:
        text = (
            f"Bootstrap validation (B={self.B}, failed={self.n_failed}, n={self.n})\n\n"
            + self.table.to_string(float_format=lambda v: f"{v:.4f}")
        )
        if self.retained is None:
            return text
        sizes = self.retained.sum(axis=1).value_counts().sort_index()
        return (
            text
            + "\n\nStepwise selection repeated in every resample; candidates kept:\n"
            + self.selection_frequency.to_string(float_format=lambda v: f"{v:.3f}")
            + "\n\nFrequencies of numbers of candidates kept:\n"
            + " ".join(f"{int(k)}:{int(v)}" for k, v in sizes.items())
        )


def _plogis(x):
    return 1.0 / (1.0 + np.exp(-x))


def _c_ones(lp, order, y):
    out = np.empty(lp.shape[0])
    somers_c_counts(lp, order, y, np.ones(lp.shape), out)
    return out


def _apparent(lp, order, y, counts, lr, l0, n, prob=None):
    """rms's ``discrim(evalfit = TRUE)``: indices of a model on its own (training) data.

    The training data of row b are the original rows repeated ``counts[b]`` times;
    ``prob``: ``_plogis(lp)`` where the caller has it."""
    nb = lp.shape[0]
    D = (lr - 1.0) / n
    U = np.full(nb, -2.0 / n)
    cidx = np.empty(nb)
    somers_c_counts(lp, order, y, counts, cidx)
    prob = _plogis(lp) if prob is None else prob
    weights = gini_md_weights(order, counts)  # shared by both Gini's mean differences
    return np.column_stack(
        [
            2.0 * (cidx - 0.5),
            nagelkerke(lr, l0, n),
            np.zeros(nb),
            np.ones(nb),
            D,
            U,
            D - U,
            (counts * (y - prob) ** 2).sum(axis=1) / n,
            gini_md_counts(lp, order, counts, weights),
            gini_md_counts(prob, order, counts, weights),
        ]
    )


def _tested(lp, order, y, prob=None):
    """rms's ``discrim(evalfit = FALSE)``: a model's linear predictor on the original data,
    with the logistic recalibration ``lrm.fit(lp, y)`` (intercept, slope); ``prob``:
    ``_plogis(lp)`` where the caller has it."""
    prob = _plogis(lp) if prob is None else prob
    n = len(y)
    rf = lrm_fit_rows(lp, y, tol=1e-13)
    a, s = rf.coef[:, 0], rf.coef[:, 1]
    lr = rf.lr
    D = (lr - 1.0) / n
    l01 = -2.0 * np.sum(y * lp - np.log(1.0 + np.exp(lp)), axis=1)
    U = (l01 - rf.deviance - 2.0) / n
    return np.column_stack(
        [
            2.0 * (_c_ones(lp, order, y) - 0.5),
            nagelkerke(lr, rf.null_deviance, n),
            a,
            s,
            D,
            U,
            D - U,
            np.mean((y - prob) ** 2, axis=1),
            gini_md_rows(s[:, None] * lp),
            gini_md_rows(_plogis(a[:, None] + s[:, None] * lp)),
        ]
    )


def validate(
    fit,
    B: int = 200,
    *,
    seed=None,
    n_jobs: int | None = 1,
    resamples=None,
    selection=None,
    progress: bool = False,
) -> Validation:
    """Bootstrap validation of a logistic model, as ``rms::validate(fit, B=B)``; a Cox model
    (:class:`~hccstats.survival.CoxFit` or the :class:`~hccstats.survival.CoxStepwise` of
    ``forward_cox`` / ``backward_cox``) goes to :func:`hccstats.survival.validate_cox`
    (``rms::validate.cph``: Dxy, R2, Slope, D, U, Q, g).

    For each resample the model is re-fitted (rms's ``lrm.fit`` iterations) and its indices
    on the resample (training) and on the original patients (test) are computed; their mean
    difference is the optimism, subtracted from the apparent index. Indices: Somers' Dxy,
    Nagelkerke R2, calibration intercept and slope, Emax (maximum calibration error of the
    corrected intercept and slope over risks 0..1), discrimination D, unreliability U,
    quality Q = D - U, Brier score B, Gini's mean difference g (log-odds) and gp (risk).

    A model chosen by variable selection is validated honestly only when the selection is
    repeated in every resample: pass the :class:`~hccstats.logistic.Stepwise` of
    :func:`hccstats.forward_lr` (as ``fit``, or as ``selection`` with ``fit=stepwise.fit``).
    Each resample then runs the same forward LR (candidates, entry, removal, test) and the
    model it selects is the one whose indices enter the optimism, as
    ``rms::validate(fit, B, bw = TRUE)`` does with its backward step-down (rms uses
    ``fastbw``'s approximate Wald deletions instead of forward LR). ``.retained`` holds which
    candidates each resample kept and ``.selection_frequency`` their shares.

    Parameters
    ----------
    fit : LogisticFit or Stepwise
        From :func:`hccstats.lrm` (uses ``fit.X``, ``fit.y``, ``fit.coef``), or the result of
        :func:`hccstats.forward_lr` (its selection is repeated).
    B : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling (``numpy.random.default_rng``); required.
    n_jobs : int, optional
        Threads (joblib); the result does not depend on it.
    resamples : array-like (B, n), optional
        0-based row indices of the resamples to use instead of drawing them (e.g. R's).
    selection : Stepwise, optional
        The selection that produced ``fit``, to repeat in every resample.
    progress : bool
        Show a progress bar with the time left (tqdm, on stderr).

    Returns
    -------
    Validation
        ``.table`` indexed by rms's index names.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> v = hs.validate(fit, B=50, seed=1)  # R: validate(lrm(..., x=TRUE, y=TRUE), B=50)
    >>> round(float(v.table.loc["Slope", "index_corrected"]), 3)
    0.944
    >>> sw = hs.forward_lr(d, "recurrence", ["age", "mvi", "afp"])
    >>> vs = hs.validate(sw, B=20, seed=1)  # the selection repeated in every resample (bw=TRUE)
    """
    if type(fit).__name__ in ("CoxFit", "CoxStepwise"):  # rms's validate.cph
        from ..survival import validate_cox

        return validate_cox(
            fit, B, seed=seed, n_jobs=n_jobs, resamples=resamples, selection=selection,
            progress=progress,
        )  # fmt: skip
    fit, selection = _fit_and_selection(fit, selection)
    X, y, coef = fit_arrays(fit)
    n = len(y)
    idx = bootstrap_indices(n, B, seed, resamples)
    lp0 = (X @ coef)[None, :]
    orig = _apparent(
        lp0,
        np.argsort(lp0, axis=1),
        y,
        np.ones((1, n)),
        null_deviance(y) - loglik2(lp0, y),
        null_deviance(y),
        n,
    )[0]
    retained = None
    if selection is None:

        def one_chunk(ix):
            W = counts(ix, n)
            bf = lrm_fit_batch(X, y, W, tol=1e-12)
            return _indices(X, y, bf.coef, W, bf.lr, bf.null_deviance, ~bf.fail) + (bf.fail,)

        parts = run_chunks(one_chunk, idx, n_jobs, progress=progress, desc="validate")
    else:
        design, blocks = selection.candidate_design()
        Xc = design.X
        if len(Xc) != n or not np.array_equal(design.y, y):
            raise InputError("selection: its patients are not those of fit")

        def one_chunk(ix):
            return _selected_chunk(selection, Xc, y, blocks, ix)

        parts = run_chunks(
            one_chunk, idx, n_jobs, chunk=10, progress=progress, desc="validate (selection)"
        )
        kept = np.vstack([p[3] for p in parts])
        ok = ~np.concatenate([p[2] for p in parts])
        retained = pd.DataFrame(kept[ok], columns=list(selection.candidates))
        parts = [p[:3] for p in parts]
    tr, te, num, n_failed = average(parts)
    opt = tr - te
    corr = orig - opt
    table = pd.DataFrame(
        {
            "index_orig": orig,
            "training": tr,
            "test": te,
            "optimism": opt,
            "index_corrected": corr,
            "n": num.astype(float),
        },
        index=_MEASURES,
    )
    # Emax: the corrected calibration intercept and slope, over risks 0, 0.0005, ..., 1
    p = np.linspace(0.0, 1.0, 2001)
    with np.errstate(divide="ignore", invalid="ignore"):
        P = _plogis(corr[2] + corr[3] * np.log(p / (1.0 - p)))
    emax = float(np.nanmax(np.abs(p - P)))
    table.loc["Emax"] = [0.0, 0.0, emax, emax, emax, float(num[0])]
    return Validation(table.loc[INDICES], idx.shape[0], n_failed, n, seed, retained)


def _fit_and_selection(fit, selection):
    """(the fitted model, the Stepwise to repeat or None), checked."""
    from ..logistic import Stepwise

    if isinstance(fit, Stepwise):
        if selection is not None and selection is not fit:
            raise InputError("selection: fit is already a Stepwise; give it once")
        return fit.fit, fit
    if selection is None:
        return fit, None
    if not isinstance(selection, Stepwise):
        raise InputError(
            f"selection: expected the Stepwise of hccstats.forward_lr, got {type(selection).__name__}"
        )
    same = list(getattr(fit, "terms", [])) == list(selection.fit.terms) and len(
        getattr(fit, "y", [])
    ) == len(selection.fit.y)
    if not same:
        raise InputError(
            f"selection: fit is not the model it selected (terms {list(getattr(fit, 'terms', []))} "
            f"vs {list(selection.fit.terms)})"
        )
    return fit, selection


def _indices(X, y, coef, W, lr, l0, ok):
    """Training and test indices of the resample models ``coef`` (rows; failed ones nan)."""
    n = len(y)
    train = np.full((W.shape[0], len(_MEASURES)), np.nan)
    test = np.full_like(train, np.nan)
    if ok.any():
        lp = np.ascontiguousarray(coef[ok] @ X.T)
        order = np.argsort(lp, axis=1)
        prob = _plogis(lp)
        train[ok] = _apparent(lp, order, y, W[ok], lr[ok], l0[ok], n, prob)
        test[ok] = _tested(lp, order, y, prob)
    return train, test


#: a lower bound of A's smallest / largest singular value above which A has full column rank by
#: ``matrix_rank``'s tolerance, ``max(n, k) eps`` (2.7e-12 for 12,037 rows), many times over
WELL_CONDITIONED = 1e-6


def full_column_rank(A: np.ndarray) -> bool:
    """``np.linalg.matrix_rank(A) == A.shape[1]`` for a tall ``A``, mostly without its SVD.

    With D the columns' norms and ``S = D^-1 A'A D^-1`` (k x k), A's singular values satisfy
    ``s_min >= sqrt(l_min(S)) min(D)`` and ``s_max <= sqrt(sum(D^2))``. ``S`` is formed and its
    eigenvalues taken with an error below ``(n k + k^2) eps`` (each entry a sum of n products
    bounded through Cauchy–Schwarz), which is taken off ``l_min``. Where the bound of
    ``s_min / s_max`` so obtained is above :data:`WELL_CONDITIONED`, matrix_rank, whose
    threshold is ``s_max max(n, k) eps``, finds full rank. Otherwise (near-collinear or
    constant-only columns, non-finite values) matrix_rank decides, so the answer is always
    matrix_rank's."""
    n, k = A.shape
    if k == 0:
        return True
    with np.errstate(all="ignore"):
        G = A.T @ A
        d = np.sqrt(np.diag(G))
        ok = bool(np.all(np.isfinite(G)) and np.all(d > 0.0))
        if ok:
            ev = np.linalg.eigvalsh(G / np.outer(d, d))
            lmin = ev[0] - 4.0 * (n * k + k * k) * np.finfo(float).eps
            if lmin > 0.0:
                ratio = np.sqrt(lmin) * d.min() / np.sqrt(np.sum(d * d))
                if ratio > WELL_CONDITIONED:
                    return True
    return bool(np.linalg.matrix_rank(A) == k)


def _selected_chunk(selection, X, y, blocks, ix):
    """Repeat the selection in each resample of ``ix``: (train, test, failed, kept)."""
    n, p = X.shape
    W = counts(ix, n)
    coef = np.zeros((len(ix), p))
    lr = np.full(len(ix), np.nan)
    l0 = null_deviance(y, W)
    fail = np.zeros(len(ix), dtype=bool)
    kept = np.zeros((len(ix), len(selection.candidates)), dtype=bool)
    for b in range(len(ix)):
        rows = np.flatnonzero(W[b])  # the resample as its distinct rows and their counts
        Xb, yb = X[rows], y[rows]
        if yb.min() == yb.max():
            fail[b] = True
            continue
        try:
            with np.errstate(all="ignore"):
                sel = selection.repeat_on(Xb, yb, blocks, weights=W[b, rows])
        except np.linalg.LinAlgError:  # a singular fit in this resample: a failed refit, as rms
            fail[b] = True
            continue
        cols = sel.columns
        if (
            not sel.core.converged
            or not np.all(np.isfinite(sel.core.coef))
            or not full_column_rank(Xb[:, cols])
        ):
            fail[b] = True
            continue
        coef[b, cols] = sel.core.coef
        lr[b] = l0[b] + 2.0 * sel.core.loglik
        kept[b] = [c in sel.selected for c in selection.candidates]
    train, test = _indices(X, y, coef, W, lr, l0, ~fail)
    return train, test, fail, kept
