"""Test of proportional hazards from scaled Schoenfeld residuals, as ``survival::cox.zph``.

survival 3.x computes the test as a score test: the model is extended by ``x * g(t)``
(``g`` the transformed time, centred on the deaths) and scored at (beta-hat, 0); each term's
statistic uses the full information matrix of the extended model, the GLOBAL one all terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import InputError
from ._coxfit import weighted_blocks
from ._km import km_table
from ._riskset import risk_sets

__all__ = ["cox_zph", "CoxZph"]


@dataclass(frozen=True, eq=False)
class CoxZph:
    """Result of :func:`cox_zph`: ``table`` (term, chisq, df, p_value; last row GLOBAL)."""

    table: pd.DataFrame
    transform: str

    def to_frame(self) -> pd.DataFrame:
        """One row per test: term (``GLOBAL`` last), chisq, df, p_value, transform."""
        return self.table.assign(transform=self.transform)

    def __repr__(self) -> str:
        t = self.table.set_index("term")
        return t.to_string(float_format=lambda v: f"{v:.4g}")


def _transform_times(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    if transform == "km":
        tab = km_table(time, event)
        # 1 - KM just before each time (R: findInterval(..., left.open = TRUE))
        idx = np.searchsorted(tab["time"].to_numpy(), time, side="left")
        return 1.0 - np.concatenate([[1.0], tab["surv"].to_numpy()])[idx]
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        return np.log(time)
    if transform == "rank":
        return pd.Series(time).rank().to_numpy()
    raise InputError(f"transform: expected 'km', 'rank', 'identity' or 'log', got {transform!r}")


def cox_zph(fit, transform: str = "km", terms: bool = True) -> CoxZph:
    """Test the proportional-hazards assumption of a fitted Cox model.

    R equivalent: ``survival::cox.zph(fit, transform = "km", terms = TRUE)``.

    Parameters
    ----------
    fit : CoxFit
        A model from :func:`coxph`.
    transform : {"km", "rank", "identity", "log"}
        Time scale of the test.
    terms : bool
        One test per model term (all its columns together, as R), else per column.

    Returns
    -------
    CoxZph
        ``table``: term, chisq, df, p_value, with a final ``GLOBAL`` row.
    """
    ttimes = _transform_times(fit.time, fit.event, transform)
    gtime = ttimes - ttimes[fit.event == 1].mean()
    rs = risk_sets(fit.time, fit.event, fit.ties)
    Xs = fit.X[rs.order] - fit.means.to_numpy()
    g = gtime[rs.order][rs.death_idx]
    beta = fit.coef.to_numpy()
    i11, _ = weighted_blocks(rs, Xs, beta, g, 0)
    i12, u = weighted_blocks(rs, Xs, beta, g, 1)
    i22, _ = weighted_blocks(rs, Xs, beta, g, 2)
    p = beta.size
    imat = np.block([[i11, i12], [i12.T, i22]])
    cols = list(fit.coef.index)
    if terms:
        groups = {t: [cols.index(c) for c in cs] for t, cs in fit.term_columns.items()}
    else:
        groups = {c: [j] for j, c in enumerate(cols)}
    rows = []
    for name, jj in [*groups.items(), ("GLOBAL", list(range(p)))]:
        kk = list(range(p)) + [p + j for j in jj]
        uu = np.concatenate([np.zeros(p), u[jj]])
        stat = float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu))
        rows.append(
            {
                "term": name,
                "chisq": stat,
                "df": len(jj),
                "p_value": float(sps.chi2.sf(stat, len(jj))),
            }
        )
    return CoxZph(pd.DataFrame(rows), transform)
