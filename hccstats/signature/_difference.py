"""Table 1 of the study: each signature between outcome groups.

Median (IQR) per group, Mann-Whitney test as R's ``wilcox.test`` default, and the
univariable odds ratio per ``per`` (0.1 by default) units of the signature from a logistic
model (``hccstats.lrm``, as R's ``glm(y ~ I(s / per), family = binomial)`` with Wald CI).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from .._validation import as_binary, as_finite
from ..baseline import wilcox_test

__all__ = ["difference_table"]


def difference_table(
    signatures: pd.DataFrame | Mapping[str, Any],
    y: Any,
    *,
    per: float = 0.1,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Difference and univariable analysis of signatures between outcome groups (Table 1).

    R equivalent, per signature ``s``: ``tapply(s, y, quantile, c(.25, .5, .75))``,
    ``wilcox.test(s[y == 1], s[y == 0])`` and
    ``glm(y ~ I(s / per), family = binomial)`` with ``exp(confint.default(fit))``.

    Parameters
    ----------
    signatures : DataFrame (one column per signature) or mapping name -> values; a
        DataFrame / Series index is aligned with ``y``'s when ``y`` is a Series.
    y : binary outcome.
    per : the odds ratio is per this many units of the signature (0.1: per 10 percentage
        points of a probability; the study's Table 1 used 1, giving ORs like 6e9).
    conf_level : confidence conf_level of the OR interval.

    Returns
    -------
    DataFrame, one row per signature: ``signature, n_events, n_nonevents,
    median_events, q1_events, q3_events, median_nonevents, q1_nonevents, q3_nonevents``
    (quantiles as R's type 7), ``mw_statistic`` (W of the events), ``mw_p_value``,
    ``mw_method``, and the OR ``estimate, ci_low, ci_high, p_value`` (Wald), ``per``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.repeat([0, 1], 20)
    >>> s = np.r_[np.linspace(0.1, 0.6, 20), np.linspace(0.3, 0.9, 20)]
    >>> difference_table({"AP": s}, y)["median_events"].round(3).tolist()
    [0.6]
    """
    from ..logistic import lrm

    frame = (
        pd.DataFrame(dict(signatures))
        if not isinstance(signatures, pd.DataFrame)
        else signatures.copy()
    )
    if isinstance(y, pd.Series) and not isinstance(frame.index, pd.RangeIndex):
        missing = frame.index.difference(y.index)
        if len(missing):
            raise InputError(f"y: no outcome for patient(s) {', '.join(map(str, missing[:10]))}")
        y = y.loc[frame.index]
    yb = as_binary(np.asarray(y), "y")
    if len(yb) != len(frame):
        raise InputError(f"signatures have {len(frame)} rows but y has {len(yb)} values")
    if not per > 0:
        raise InputError(f"per: must be positive, got {per}")
    rows = []
    for name in frame.columns:
        s = as_finite(frame[name].to_numpy(), f"signatures[{name}]")
        ev, ne = s[yb == 1], s[yb == 0]
        mw = wilcox_test(ev, ne)
        w, p, method = mw.statistic, mw.p_value, mw.method
        q_ev = np.quantile(ev, [0.25, 0.5, 0.75])
        q_ne = np.quantile(ne, [0.25, 0.5, 0.75])
        fit = lrm("y ~ s", pd.DataFrame({"y": yb, "s": s / per}))
        orr = fit.odds_ratios(conf_level=conf_level).set_index("term").loc["s"]
        rows.append(
            {
                "signature": str(name),
                "n_events": len(ev),
                "n_nonevents": len(ne),
                "median_events": q_ev[1],
                "q1_events": q_ev[0],
                "q3_events": q_ev[2],
                "median_nonevents": q_ne[1],
                "q1_nonevents": q_ne[0],
                "q3_nonevents": q_ne[2],
                "mw_statistic": w,
                "mw_p_value": p,
                "mw_method": method,
                "estimate": float(orr["estimate"]),
                "ci_low": float(orr["ci_low"]),
                "ci_high": float(orr["ci_high"]),
                "p_value": float(orr["p_value"]),
                "per": per,
            }
        )
    return pd.DataFrame(rows)
