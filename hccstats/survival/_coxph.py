"""``coxph``: the Cox proportional-hazards model from ``Surv(time, event) ~ ...``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._errors import ConvergenceWarning, InputError
from .._fitbase import RegressionFit
from ..logistic._design import new_design_matrix
from ._concordance import Concordance, concordance_counts
from ._coxfit import fit_cox, score_residuals
from ._design import build_cox_design
from ._riskset import risk_sets

__all__ = ["coxph", "CoxFit"]


@dataclass(frozen=True, eq=False)
class CoxFit(RegressionFit):
    """A fitted Cox model (the result of :func:`coxph`; R: a ``coxph`` object).

    Shares the coefficient table of :class:`~hccstats._fitbase.RegressionFit` (``se``, ``z``,
    ``p_values``, ``conf_int``, ``to_frame(scale="coef" | "exp")``) with :class:`LogisticFit`;
    ``se`` is the robust one for a robust fit (``naive_se``: from the inverse information).

    Attributes
    ----------
    coef : Series
        Log hazard ratios, indexed by design column ("age", "C(sex)[T.2]", ...).
    cov : DataFrame
        Variance matrix used for the table and the Wald test: the robust (sandwich) one when
        ``robust=True`` (R: ``fit$var``), else the inverse information.
    naive_cov : DataFrame
        Inverse information (R: ``fit$naive.var`` with ``robust = TRUE``, else ``fit$var``).
    loglik : tuple of float
        Log partial likelihood at beta = 0 and at the estimate (R: ``fit$loglik``).
    score_test, wald_test, lr_test : float
        Global tests (R: ``summary(fit)$sctest``, ``$waldtest``, ``$logtest``); ``df`` columns.
    robust_score : float or None
        Robust score test (R: ``fit$rscore``) when ``robust=True``.
    concordance : Concordance
        Harrell's C of the linear predictor with its SE (R: ``fit$concordance``).
    means : Series
        Centring values as R's ``fit$means``: column means, 0 for 0/1 columns; the linear
        predictor and the baseline hazard refer to them, as R's ``predict`` and ``survfit``.
    """

    formula: str
    ties: str
    robust: bool
    data: pd.DataFrame
    time: np.ndarray
    event: np.ndarray
    X: np.ndarray
    coef: pd.Series
    cov: pd.DataFrame
    naive_cov: pd.DataFrame
    loglik: tuple[float, float]
    score_test: float
    robust_score: float | None
    concordance: Concordance
    means: pd.Series
    design_info: Any
    terms: list[str]
    term_columns: dict[str, list[str]]
    n_iter: int
    converged: bool
    omitted: pd.Index = field(default_factory=lambda: pd.Index([]))
    baseline_time: np.ndarray = field(default_factory=lambda: np.empty(0))
    baseline_cumhaz: np.ndarray = field(default_factory=lambda: np.empty(0))

    # -- sizes and global tests -------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self.time.size)

    @property
    def n_events(self) -> int:
        return int(self.event.sum())

    @property
    def df(self) -> int:
        return int(self.coef.size)

    @property
    def lr_test(self) -> float:
        return 2.0 * (self.loglik[1] - self.loglik[0])

    @property
    def wald_test(self) -> float:
        b = self.coef.to_numpy()
        return float(b @ np.linalg.solve(self.cov.to_numpy(), b))

    def tests(self) -> pd.DataFrame:
        """Global tests: test (likelihood ratio, wald, score[, robust score]), statistic, df, p_value.

        R: ``summary(fit)$logtest``, ``$waldtest``, ``$sctest`` (and ``$robscore``).
        """
        rows = [
            ("likelihood ratio", self.lr_test),
            ("wald", self.wald_test),
            ("score", self.score_test),
        ]
        if self.robust_score is not None:
            rows.append(("robust score", self.robust_score))
        return pd.DataFrame(
            [
                {
                    "test": t,
                    "statistic": s,
                    "df": self.df,
                    "p_value": float(sps.chi2.sf(s, self.df)),
                }
                for t, s in rows
            ]
        )

    def wald_tests(self) -> pd.DataFrame:
        """Wald chi-square test of each term (all its columns at once): term, statistic, df, p_value.

        R: ``car::Anova(fit, type = 3, test.statistic = "Wald")`` (rms: ``anova(cph)``); uses the
        robust variance for a robust fit, as R.
        """
        rows = []
        for term, cols in self.term_columns.items():
            b = self.coef[cols].to_numpy()
            stat = float(b @ np.linalg.solve(self.cov.loc[cols, cols].to_numpy(), b))
            rows.append((term, stat, len(cols)))
        return _chisq_frame(rows)

    def lr_tests(self) -> pd.DataFrame:
        """Likelihood-ratio test of each term against the model without it.

        R: ``car::Anova(fit, type = 3)`` (``drop1(fit, test = "Chisq")``).
        """
        from ._coxfit import fit_cox
        from ._riskset import risk_sets

        rs = risk_sets(self.time, self.event, self.ties)
        Xs = self.X[rs.order] - self.means.to_numpy()
        rows = []
        names = list(self.coef.index)
        for term, cols in self.term_columns.items():
            keep = [j for j, c in enumerate(names) if c not in cols]
            if keep:
                reduced = fit_cox(rs, Xs[:, keep]).loglik
            else:
                reduced = self.loglik[0]
            rows.append((term, max(2.0 * (self.loglik[1] - reduced), 0.0), len(cols)))
        return _chisq_frame(rows)

    # -- coefficient table (se, z, p_values, conf_int, to_frame: RegressionFit) ----------
    @property
    def naive_se(self) -> pd.Series:
        v = np.diag(self.naive_cov.to_numpy())
        return pd.Series(np.sqrt(v), index=self.coef.index, name="naive_se")

    def hazard_ratios(self, conf_level: float = 0.95) -> pd.DataFrame:
        """DataFrame(term, estimate, ci_low, ci_high, p_value): exp(coef) with Wald limits."""
        t = self.to_frame(conf_level, scale="exp")
        return t[["term", "estimate", "ci_low", "ci_high", "p_value"]]

    # -- prediction ------------------------------------------------------------------------
    def design(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """Design matrix (no intercept) for ``new_data``; the fitted rows when None."""
        if new_data is None:
            return self.X
        mat = new_design_matrix(self.design_info, new_data)
        return mat[list(self.coef.index)].to_numpy(dtype=float)

    def linear_predictor(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """Centred linear predictor (x - means) b (R: ``predict(fit, newdata, type = "lp")``;
        the fitted rows, ``fit$linear.predictors``, when ``new_data`` is None)."""
        return linear_predictor(self.design(new_data), self.coef.to_numpy(), self.means.to_numpy())

    @property
    def linear_predictors(self) -> np.ndarray:
        """Deprecated: ``linear_predictor()`` (R's ``fit$linear.predictors``)."""
        warnings.warn(
            "CoxFit.linear_predictors is deprecated; use CoxFit.linear_predictor()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.linear_predictor()

    def predict(
        self,
        new_data: pd.DataFrame | None = None,
        type: str = "lp",
        times: Sequence[float] | float | None = None,
    ) -> np.ndarray:
        """Predictions as R's ``predict.coxph`` / ``survfit.coxph``.

        ``type="lp"``: (x - means) b; ``"relative_risk"``: exp of it (R's ``type = "risk"``);
        ``"survival"``: S(t | x) at each of ``times`` (rows: subjects, columns: times) from the
        baseline cumulative hazard (Breslow, or Efron's tie correction for an Efron fit, as
        ``survfit.coxph``); ``"risk"``: the risk of an event by the horizon ``times`` (one
        number), ``1 - S(times | x)``, as :meth:`predict_risk` and ``LogisticFit.predict``.
        ``type="risk"`` without ``times`` still gives exp(lp) as before, with a
        DeprecationWarning (use ``"relative_risk"``).
        """
        if type == "risk":
            if times is not None:
                return self.predict_risk(new_data, times=times)
            warnings.warn(
                "predict(type='risk') without times is deprecated: it gives exp(lp); use "
                "type='relative_risk', or give times= for the risk of an event by then",
                DeprecationWarning,
                stacklevel=2,
            )
            type = "relative_risk"
        lp = self.linear_predictor(new_data)
        if type == "lp":
            return lp
        if type == "relative_risk":
            return np.exp(lp)
        if type == "survival":
            if times is None:
                raise InputError("predict: type='survival' needs times")
            h = self.cumulative_hazard(times)
            return np.exp(-np.outer(np.exp(lp), h))
        raise InputError(
            f"type: expected 'lp', 'risk', 'relative_risk' or 'survival', got {type!r}"
        )

    def predict_risk(self, new_data: pd.DataFrame | None = None, *, times: float) -> np.ndarray:
        """Predicted risk of an event by the horizon ``times``: ``1 - S(times | x)``, one per row.

        R: ``1 - summary(survfit(fit, newdata = new), times = times)$surv`` (rms:
        ``1 - survest(cph, newdata = new, times = times)$surv``); the baseline hazard as in
        :meth:`predict` (``type="survival"``). The fitted rows when ``new_data`` is None.
        """
        from ._args import check_horizon

        t = check_horizon(times, np.inf)
        return 1.0 - self.predict(new_data, type="survival", times=[t])[:, 0]

    def cumulative_hazard(self, times: Sequence[float]) -> np.ndarray:
        """Baseline cumulative hazard at ``times`` for x = means (R: ``basehaz(fit, centered = TRUE)``)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.all(np.isfinite(t)):
            raise InputError("times: NaN or infinite values")
        idx = np.searchsorted(self.baseline_time, t, side="right")
        return np.concatenate([[0.0], self.baseline_cumhaz])[idx]

    def basehaz(self) -> pd.DataFrame:
        """DataFrame(time, hazard): baseline cumulative hazard at the death times (centred)."""
        return pd.DataFrame({"time": self.baseline_time, "hazard": self.baseline_cumhaz})

    def summary(self, conf_level: float = 0.95) -> str:
        """Text as R's ``summary(fit)``: HRs with limits, concordance and the three global tests."""
        t = self.to_frame(conf_level, scale="exp").set_index("term")
        pct = f"{conf_level:.0%}".rstrip("%")
        hr = pd.DataFrame(
            {
                "exp(coef)": t["estimate"],
                "exp(-coef)": 1.0 / t["estimate"],
                f"lower .{pct}": t["ci_low"],
                f"upper .{pct}": t["ci_high"],
            }
        )
        c = self.concordance
        lines = [repr(self), "", hr.to_string(float_format=lambda v: f"{v:.4g}"), ""]
        lines.append(f"Concordance= {c.concordance:.3f}  (se = {c.se:.3f} )")
        labels = {
            "likelihood ratio": "Likelihood ratio test",
            "wald": "Wald test",
            "score": "Score (logrank) test",
            "robust score": "Robust score test",
        }
        for _, row in self.tests().iterrows():
            lines.append(
                f"{labels[row['test']]:<22}= {row['statistic']:.4g}  on {row['df']} df,   "
                f"p={row['p_value']:.4g}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        tab = pd.DataFrame(
            {"coef": self.coef, "exp(coef)": np.exp(self.coef), "se(coef)": self.naive_se},
        )
        if self.robust:
            tab["robust se"] = self.se
        tab["z"] = self.z
        tab["p"] = self.p_values
        lr = self.lr_test
        lines = [
            "Call:",
            f'coxph(formula = {self.formula}, ties = "{self.ties}"'
            + (", robust = TRUE)" if self.robust else ")"),
            "",
            tab.to_string(float_format=lambda v: f"{v:.6g}"),
            "",
            f"Likelihood ratio test={lr:.4g}  on {self.df} df, p={sps.chi2.sf(lr, self.df):.4g}",
            f"n= {self.n}, number of events= {self.n_events} "
            + (
                f"\n   ({len(self.omitted)} observations deleted due to missingness)"
                if len(self.omitted)
                else ""
            ),
        ]
        return "\n".join(lines)


def _chisq_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"term": t, "statistic": x, "df": k, "p_value": float(sps.chi2.sf(x, k))}
            for t, x, k in rows
        ],
        columns=["term", "statistic", "df", "p_value"],
    )


def linear_predictor(X: np.ndarray, coef: np.ndarray, means: np.ndarray) -> np.ndarray:
    """x b - means b, row by row in the same order for every row (R's ``coxph`` formula).

    Elementwise sums rather than a BLAS product: BLAS kernels may round identical rows
    differently, which would break ties in the linear predictor (and change the concordance).
    """
    return (X * coef).sum(axis=1) - float(np.sum(coef * means))


def coxph(
    formula: str,
    data: pd.DataFrame,
    *,
    ties: str = "efron",
    robust: bool = False,
    nan_policy: str = "raise",
) -> CoxFit:
    """Cox proportional-hazards regression by maximum partial likelihood.

    R equivalent: ``survival::coxph(Surv(time, event) ~ ..., data, ties = "efron",
    robust = FALSE)``.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ predictors"``; the right-hand side is an R-style (patsy)
        formula built exactly as in :func:`~hccstats.lrm` (``C(stage)`` for factors, dummy
        coding against the first level). ``event`` is 0/1 (1 = event), 1/2 (2 = event, as
        R's lung data) or logical, or a pandas expression such as ``status == 2``.
    data : DataFrame
    ties : {"efron", "breslow"}
        Handling of tied death times.
    robust : bool
        Sandwich variance from the dfbeta residuals (R: ``robust = TRUE``); the table then
        shows both SEs and the Wald test uses the robust variance, as R.
    nan_policy : {"raise", "omit"}
        Missing values raise :class:`InputError`, or the rows are omitted and counted
        (R's default ``na.omit``).

    Returns
    -------
    CoxFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hccstats as hs
    >>> rng = np.random.default_rng(1)  # 150 simulated patients, followed up to 36 months
    >>> d = pd.DataFrame({"age": rng.normal(60, 10, 150).round(),
    ...                   "sex": rng.choice(["female", "male"], 150)})
    >>> t = rng.exponential(24 * np.exp(-0.04 * (d["age"] - 60)))
    >>> d["time"], d["status"] = np.minimum(t, 36).round(1), (t <= 36).astype(int)
    >>> fit = hs.coxph("Surv(time, status) ~ age + C(sex)", d)
    >>> fit.hazard_ratios().round(2)
                 term  estimate  ci_low  ci_high  p_value
    0  C(sex)[T.male]      0.87    0.61     1.25     0.47
    1             age      1.04    1.02     1.06     0.00
    >>> round(float(fit.concordance.concordance), 3)
    0.567
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties: expected 'efron' or 'breslow', got {ties!r}")
    d = build_cox_design(formula, data, nan_policy=nan_policy)
    return fit_cox_design(d, ties=ties, robust=bool(robust))


INFINITE_PER_SD = (
    15.0  # |log HR| per SD of a column beyond which the estimate is treated as diverging
)


def _warn_fit(core, d) -> None:
    """Warn about non-convergence and monotone likelihood (R: "coefficient may be infinite")."""
    sd = d.X.std(axis=0)
    big = [c for c, b, s in zip(d.columns, core.coef, sd) if abs(b) * s > INFINITE_PER_SD]
    if big:
        warnings.warn(
            f"coxph: monotone likelihood, the coefficient(s) of {', '.join(repr(c) for c in big)} "
            "may be infinite (an event pattern separated by these predictors); their SEs and "
            "Wald tests are not valid, use the likelihood-ratio test",
            ConvergenceWarning,
            stacklevel=4,
        )
    elif not core.converged:
        warnings.warn(
            f"coxph did not converge in {core.n_iter} iterations",
            ConvergenceWarning,
            stacklevel=4,
        )


def fit_cox_design(d, *, ties: str = "efron", robust: bool = False) -> CoxFit:
    """Fit a checked :class:`~._design.CoxDesign` (no formula parsing)."""
    means = d.X.mean(axis=0)
    means[np.all((d.X == 0) | (d.X == 1), axis=0)] = 0.0  # R leaves 0/1 columns uncentred
    rs = risk_sets(d.time, d.event, ties)
    Xs = d.X[rs.order] - means
    core = fit_cox(rs, Xs)
    _warn_fit(core, d)
    naive = core.cov
    cov = naive
    rscore = None
    if robust:
        dfbeta = score_residuals(rs, Xs, core.coef) @ naive
        cov = dfbeta.T @ dfbeta
        r0 = score_residuals(rs, Xs, np.zeros_like(core.coef))
        u = r0.sum(axis=0)
        rscore = float(u @ np.linalg.solve(r0.T @ r0, u))
    lp = linear_predictor(d.X, core.coef, means)
    conc = concordance_counts(d.time, d.event, lp, reverse=True)
    cols = d.columns
    return CoxFit(
        formula=d.formula,
        ties=ties,
        robust=robust,
        data=d.data,
        time=d.time,
        event=d.event,
        X=d.X,
        coef=pd.Series(core.coef, index=cols, name="coef"),
        cov=pd.DataFrame(cov, index=cols, columns=cols),
        naive_cov=pd.DataFrame(naive, index=cols, columns=cols),
        loglik=(core.null_loglik, core.loglik),
        score_test=core.score_test,
        robust_score=rscore,
        concordance=conc,
        means=pd.Series(means, index=cols, name="means"),
        design_info=d.design_info,
        terms=d.terms,
        term_columns=d.term_columns,
        n_iter=core.n_iter,
        converged=core.converged,
        omitted=d.omitted,
        baseline_time=rs.death_times,
        baseline_cumhaz=np.cumsum(core.hazard),
    )
