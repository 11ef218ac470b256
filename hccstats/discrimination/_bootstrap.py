"""Bootstrap AUCs (pROC's ``ci.auc(method = "bootstrap")`` and ``roc.test(method = "bootstrap")``).

Each draw is mapped to the group (distinct score) of the patient drawn, and a resample is
summarised by how many cases and controls it holds in each group. Its AUC is then the
Mann–Whitney statistic over these counts, computed for a block of resamples at once with
cumulative sums, so no resample is ever sorted.

pROC draws with R's RNG; these draws come from numpy's ``default_rng(seed)``, so the
intervals agree with pROC's only up to Monte-Carlo error.
"""

from __future__ import annotations

import numpy as np

from .._random import generator
from ._roc import Roc

__all__ = ["bootstrap_aucs"]

_BLOCK_CELLS = 2_000_000  # resamples per block x patients: bounds memory (~16 MB per array)


def _auc_from_group_counts(case_g: np.ndarray, ctrl_g: np.ndarray) -> np.ndarray:
    """Mann–Whitney AUC of each row of per-group case and control counts (B, K)."""
    below = np.cumsum(ctrl_g, axis=1) - ctrl_g
    num = np.einsum("bk,bk->b", case_g, below + 0.5 * ctrl_g)
    m = case_g.sum(axis=1)
    n = ctrl_g.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = num / m / n
    auc[(m == 0) | (n == 0)] = np.nan
    return auc


def _group_counts(groups: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-row histogram of group indices ``groups`` (B, s) over ``k`` groups -> (B, K)."""
    b = groups.shape[0]
    flat = (groups + (np.arange(b) * k)[:, None]).ravel()
    w = None if weights is None else weights.ravel()
    return np.bincount(flat, weights=w, minlength=b * k).reshape(b, k).astype(np.float64)


def bootstrap_aucs(
    rocs: tuple[Roc, ...], B: int, seed: int, *, stratified: bool = True, paired: bool = True
) -> np.ndarray:
    """Bootstrap AUCs of one or more curves: array (B, len(rocs)).

    ``paired=True`` resamples the same patients for all curves (they must share ``y_true``);
    otherwise each curve is resampled on its own, one after the other from the same stream.
    ``stratified=True`` resamples controls and cases separately (pROC's default); otherwise
    all patients together, and a resample without cases or controls gives nan.
    """
    rng = generator(seed)
    out = np.empty((B, len(rocs)))
    sets = [list(range(len(rocs)))] if paired else [[j] for j in range(len(rocs))]
    for cols in sets:
        first = rocs[cols[0]]
        block = max(1, _BLOCK_CELLS // first.n)
        patient_groups = (
            {} if stratified else {j: rocs[j].groups.of_patients(rocs[j].y_true) for j in cols}
        )
        for start in range(0, B, block):
            b = min(block, B - start)
            if stratified:
                draw_case = rng.integers(0, first.n_cases, size=(b, first.n_cases))
                draw_ctrl = rng.integers(0, first.n_controls, size=(b, first.n_controls))
            else:
                draw_all = rng.integers(0, first.n, size=(b, first.n))
                case_w = (first.y_true[draw_all] == 1).astype(np.float64)
            for j in cols:
                r = rocs[j]
                k = r.groups.size
                if stratified:
                    case_g = _group_counts(r.groups.case_group[draw_case], k)
                    ctrl_g = _group_counts(r.groups.control_group[draw_ctrl], k)
                else:
                    g = patient_groups[j][draw_all]
                    case_g = _group_counts(g, k, case_w)
                    ctrl_g = _group_counts(g, k, 1.0 - case_w)
                out[start : start + b, j] = _auc_from_group_counts(case_g, ctrl_g)
    return out
