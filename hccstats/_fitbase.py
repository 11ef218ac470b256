"""``RegressionFit``: what every fitted regression model offers (logistic and Cox alike).

A fit holds ``coef`` (a Series indexed by design column) and ``cov`` (their variance matrix,
a DataFrame); from them this base derives the same coefficient table for every model, as
statsmodels' results classes share one base:

- ``se``, ``z``, ``p_values`` (Wald), ``conf_int(conf_level, method)`` on the coefficient scale;
- ``to_frame(conf_level, scale)``: term, estimate, se, z, p_value, ci_low, ci_high, with
  ``scale="exp"`` giving exp(estimate) and exp of the limits (odds or hazard ratios);
- ``linear_predictor(new_data)``, ``predict(new_data, type=...)`` and ``summary()``, which each
  model defines (``type="lp"`` and ``type="risk"`` always exist).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._errors import InputError
from ._validation import check_conf_level

__all__ = ["RegressionFit", "FRAME_COLUMNS", "SCALES"]

FRAME_COLUMNS = ["term", "estimate", "se", "z", "p_value", "ci_low", "ci_high"]
SCALES = ("coef", "exp")


class RegressionFit:
    """Base of :class:`~hccstats.LogisticFit` and :class:`~hccstats.CoxFit`.

    Subclasses are frozen dataclasses with ``coef`` and ``cov`` fields; they name the
    confidence-interval methods they accept in ``ci_methods`` (Wald always) and implement
    ``linear_predictor``, ``predict`` and ``summary``.
    """

    coef: pd.Series
    cov: pd.DataFrame
    ci_methods: tuple[str, ...] = ("wald",)

    # -- coefficient table -------------------------------------------------------------
    @property
    def se(self) -> pd.Series:
        """Standard errors of ``coef`` (square roots of the diagonal of ``cov``)."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.coef.index, name="se")

    @property
    def z(self) -> pd.Series:
        """Wald z statistics, coef / se."""
        return (self.coef / self.se).rename("z")

    @property
    def p_values(self) -> pd.Series:
        """Two-sided Wald p-values."""
        p = 2.0 * sps.norm.sf(np.abs(self.z.to_numpy()))
        return pd.Series(p, index=self.coef.index, name="p_value")

    def conf_int(self, conf_level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Confidence limits of the coefficients (coefficient scale): DataFrame(ci_low, ci_high)
        indexed by term. ``method="wald"``: R's ``confint.default``."""
        check_conf_level(conf_level)
        if method not in self.ci_methods:
            expected = " or ".join(repr(m) for m in self.ci_methods)
            raise InputError(f"method: expected {expected}, got {method!r}")
        lo, hi = self._limits(conf_level, method)
        return pd.DataFrame(
            {"ci_low": np.asarray(lo, float), "ci_high": np.asarray(hi, float)},
            index=self.coef.index,
        )

    def _limits(self, conf_level: float, method: str):
        """Lower and upper limits for ``method`` (subclasses add methods beyond Wald)."""
        q = sps.norm.ppf(0.5 + conf_level / 2.0)
        return self.coef - q * self.se, self.coef + q * self.se

    def to_frame(
        self, conf_level: float = 0.95, scale: str = "coef", method: str = "wald"
    ) -> pd.DataFrame:
        """Coefficient table: term, estimate, se, z, p_value, ci_low, ci_high (one row per term).

        ``scale="coef"``: estimates and limits on the coefficient scale (log odds, log hazard);
        ``scale="exp"``: their exponentials (odds or hazard ratios), as ``broom::tidy(fit,
        exponentiate = TRUE)``; ``se``, ``z`` and ``p_value`` stay those of the coefficient.
        ``method`` picks the interval as :meth:`conf_int` does.
        """
        if scale not in SCALES:
            raise InputError(f"scale: expected 'coef' or 'exp', got {scale!r}")
        ci = self.conf_int(conf_level, method)
        est = self.coef.to_numpy(dtype=float)
        lo, hi = ci["ci_low"].to_numpy(), ci["ci_high"].to_numpy()
        if scale == "exp":
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        return pd.DataFrame(
            {
                "term": self.coef.index,
                "estimate": est,
                "se": self.se.to_numpy(),
                "z": self.z.to_numpy(),
                "p_value": self.p_values.to_numpy(),
                "ci_low": lo,
                "ci_high": hi,
            },
            columns=FRAME_COLUMNS,
        )

    # -- what each model defines ---------------------------------------------------------
    def linear_predictor(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """The linear predictor of ``new_data`` (the fitted rows when None)."""
        raise NotImplementedError

    def predict(self, new_data: pd.DataFrame | None = None, type: str = "lp", **kwargs):
        """Predictions of ``type`` ("lp", "risk", ...) for ``new_data``."""
        raise NotImplementedError

    def summary(self) -> str:
        """The printed summary of the model (the text R prints)."""
        raise NotImplementedError
