"""``lrm``: logistic regression from an R-style formula, and its result ``LogisticFit``."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.special import expit

from .._errors import ConvergenceWarning, InputError, SeparationWarning
from .._fitbase import RegressionFit
from .._validation import check_conf_level
from ._design import build_design, new_design_matrix
from ._fit import fit_logistic
from ._separation import Separation, detect_separation
from ._stats import model_stats

__all__ = ["lrm", "LogisticFit", "fit_design"]

EXTREME_P = 1e-8  # fitted probabilities this close to 0 or 1 trigger the separation check


@dataclass(frozen=True, eq=False)
class LogisticFit(RegressionFit):
    """A fitted logistic model (the result of :func:`lrm`).

    Shares the coefficient table of :class:`~hccstats._fitbase.RegressionFit` (``se``, ``z``,
    ``p_values``, ``conf_int``, ``to_frame(scale="coef" | "exp")``) with :class:`CoxFit`.

    Attributes
    ----------
    formula, outcome : str
        The formula and its response column.
    data : DataFrame
        The rows used (original columns); rows omitted for missing values are in ``omitted``.
    X, y : ndarray
        Design matrix (intercept column first) and 0/1 outcome.
    coef : Series
        Coefficients (log odds ratios) indexed by patsy column names, "Intercept" first.
    cov : DataFrame
        Variance-covariance matrix of ``coef`` (inverse Fisher information).
    design_info : patsy.DesignInfo
        Builds design rows for new data: ``patsy.build_design_matrices([fit.design_info], new)``.
    terms : list of str
        Model terms without the intercept; ``term_columns`` maps each to its design columns.
    stats : dict
        What ``rms::lrm`` prints: n, events, lr_chi2, df, p, C, Dxy, gamma, tau_a, R2
        (Nagelkerke), R2_n, R2_adj_n, R2_neff, R2_adj_neff, Brier, g, gr, gp, max_deriv, plus
        loglik, null_loglik, deviance, null_deviance, aic and n_omitted. C, Dxy, gamma and
        tau_a are exact (C = ROC AUC = Hmisc::somers2); C_rms, Dxy_rms, gamma_rms, tau_a_rms
        are what rms::lrm prints (from probabilities binned to 1/5000).
    labels : dict
        Optional variable labels (term -> label).
    firth : bool
        True for Firth's penalised likelihood; then ``stats['lr_chi2']`` is unpenalised and
        ``stats['penalised_loglik']`` holds the maximised penalised log-likelihood.
    separation : Separation or None
        Complete or quasi-complete separation found (with the offending columns).
    """

    formula: str
    outcome: str
    data: pd.DataFrame
    X: np.ndarray
    y: np.ndarray
    coef: pd.Series
    cov: pd.DataFrame
    design_info: Any
    terms: list[str]
    term_columns: dict[str, list[str]]
    stats: dict[str, float]
    labels: dict[str, str] = field(default_factory=dict)
    firth: bool = False
    converged: bool = True
    n_iter: int = 0
    omitted: pd.Index = field(default_factory=lambda: pd.Index([]))
    separation: Separation | None = None
    _profiles: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    ci_methods = ("wald", "profile")

    # -- coefficient table (se, z, p_values, conf_int, to_frame: RegressionFit) ----------
    def conf_int(self, conf_level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Confidence limits of the coefficients (log-odds scale), like R's ``confint``.

        ``method="wald"``: ``confint.default``; ``method="profile"``: profile likelihood,
        computed as MASS's ``confint.glm`` does (R 4.2), so the limits equal R's ``confint(glm)``;
        for a Firth fit the penalised profile-likelihood limits (logistf's default).
        """
        return super().conf_int(conf_level, method)

    def _limits(self, conf_level: float, method: str):
        if method == "profile":
            from ._profile import profile_confint

            return profile_confint(self, conf_level)
        return super()._limits(conf_level, method)

    def odds_ratios(self, conf_level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Odds ratios with confidence limits: DataFrame(term, estimate, ci_low, ci_high, p_value).

        The intercept is left out; ``p_value`` is the Wald test. R: ``exp(cbind(coef(fit),
        confint(fit)))`` (``method="profile"``) or ``confint.default`` (``"wald"``).
        For a Firth fit ``method="profile"`` gives what ``logistf`` prints by default:
        penalised profile-likelihood limits and penalised likelihood-ratio p-values.
        """
        p = self.p_values.to_numpy()
        if self.firth and method == "profile":
            prof = self.penalised_profile(conf_level)
            p = prof.p_value
            ci = pd.DataFrame(
                {"ci_low": prof.ci_low, "ci_high": prof.ci_high}, index=self.coef.index
            )
        else:
            ci = self.conf_int(conf_level, method)
        keep = self.coef.index != "Intercept"
        return pd.DataFrame(
            {
                "term": self.coef.index[keep],
                "estimate": np.exp(self.coef.to_numpy()[keep]),
                "ci_low": np.exp(ci["ci_low"].to_numpy()[keep]),
                "ci_high": np.exp(ci["ci_high"].to_numpy()[keep]),
                "p_value": p[keep],
            }
        ).reset_index(drop=True)

    def penalised_profile(self, conf_level: float = 0.95):
        """Penalised profile-likelihood limits and penalised LR p values of a Firth fit
        (``logistf``'s defaults) as a :class:`~._firth_profile.PenalisedProfile`: limits on the
        log-odds scale (``-inf``/``inf`` where the profile flattens: not attainable), the Wald
        limits or p value of the penalised fit where the profile cannot be computed, and a note
        for each such coefficient (``.notes``). Computed once per level.
        """
        if not self.firth:
            raise InputError("penalised_profile: only for Firth fits (lrm(..., firth=True))")
        check_conf_level(conf_level)
        if conf_level not in self._profiles:
            from ._firth_profile import firth_profile

            self._profiles[conf_level] = firth_profile(self, conf_level)
        return self._profiles[conf_level]

    def wald_tests(self) -> pd.DataFrame:
        """Wald chi-square test of each term (all its columns at once): term, statistic, df, p_value.

        R: ``car::Anova(glm, type = 3, test.statistic = "Wald")`` (rms: ``anova(lrm)``);
        SPSS's "Wald" and "df" of a factor in "Variables in the Equation".
        """
        rows = []
        for term, cols in self.term_columns.items():
            b = self.coef[cols].to_numpy()
            V = self.cov.loc[cols, cols].to_numpy()
            stat = float(b @ np.linalg.solve(V, b))
            rows.append(
                {
                    "term": term,
                    "statistic": stat,
                    "df": len(cols),
                    "p_value": float(sps.chi2.sf(stat, len(cols))),
                }
            )
        return pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])

    def lr_tests(self) -> pd.DataFrame:
        """Likelihood-ratio test of each term against the model without it: term, statistic, df, p_value.

        R: ``drop1(glm, test = "LRT")``. Not for Firth fits (use ``odds_ratios(method="profile")``).
        """
        if self.firth:
            raise InputError(
                "lr_tests: not defined for Firth fits; use odds_ratios(method='profile')"
            )
        from ._fit import fit_logistic

        index = {c: i for i, c in enumerate(self.coef.index)}
        rows = []
        for term, cols in self.term_columns.items():
            keep = [i for c, i in index.items() if c not in cols]
            core = fit_logistic(self.X[:, keep], self.y, start=self.coef.to_numpy()[keep])
            stat = max(2.0 * (self.stats["loglik"] - core.loglik), 0.0)
            rows.append(
                {
                    "term": term,
                    "statistic": stat,
                    "df": len(cols),
                    "p_value": float(sps.chi2.sf(stat, len(cols))),
                }
            )
        return pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])

    # -- prediction ------------------------------------------------------------------------
    def design(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """Design matrix for ``new_data`` (the fitted rows when None); NaN predictors give NaN rows."""
        if new_data is None:
            return self.X
        return new_design_matrix(self.design_info, new_data).to_numpy(dtype=float)

    def linear_predictor(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """Log odds X b (R: ``predict(fit, newdata)``)."""
        return self.design(new_data) @ self.coef.to_numpy()

    def predict_risk(self, new_data: pd.DataFrame | None = None) -> np.ndarray:
        """Predicted probabilities (R: ``predict(fit, newdata, type = "response")``)."""
        return expit(self.linear_predictor(new_data))

    def predict(self, new_data: pd.DataFrame | None = None, type: str = "lp") -> np.ndarray:
        """``type="lp"``: log odds (:meth:`linear_predictor`); ``"risk"``: probabilities
        (:meth:`predict_risk`; R: ``predict(fit, newdata, type = "response")``)."""
        if type == "lp":
            return self.linear_predictor(new_data)
        if type == "risk":
            return self.predict_risk(new_data)
        raise InputError(f"type: expected 'lp' or 'risk', got {type!r}")

    def summary(self) -> str:
        """What ``print(rms::lrm(...))`` shows (the same text as ``repr(fit)``)."""
        return repr(self)

    # -- statsmodels -------------------------------------------------------------------------
    @functools.cached_property
    def result(self):
        """The statsmodels ``Logit`` result at these estimates (None for a Firth fit)."""
        if self.firth:
            return None
        import statsmodels.api as sm

        model = sm.Logit(self.y, pd.DataFrame(self.X, columns=list(self.coef.index)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(
                start_params=self.coef.to_numpy(),
                method="newton",
                maxiter=0,
                disp=0,
                warn_convergence=False,
            )

    def __repr__(self) -> str:
        """What ``print(rms::lrm(...))`` shows: the statistics block and the coefficient table."""
        from ._rms_print import rms_print

        values = np.unique(self.data[self.outcome].to_numpy())  # as as_binary orders them
        levels = tuple(_level_text(v) for v in values) if len(values) == 2 else ("0", "1")
        return rms_print(self, levels=levels)


def _level_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def lrm(
    formula: str,
    data: pd.DataFrame,
    *,
    firth: bool = False,
    labels: Mapping[str, str] | None = None,
    nan_policy: str = "raise",
) -> LogisticFit:
    """Binary logistic regression by maximum likelihood (or Firth's penalised likelihood).

    R equivalents: ``rms::lrm(formula, data)`` for the model statistics and
    ``glm(formula, family = binomial, data)`` for the coefficients;
    ``logistf::logistf`` for ``firth=True``.

    Parameters
    ----------
    formula : str
        R-style (patsy) formula, e.g. ``"recurrence ~ mvi + C(stage) + np.log(afp)"``. The
        outcome must have two values (the larger, or True/1, is the event). Categorical
        columns are dummy-coded against their first category (pandas Categorical order, or
        sorted values), as R does with factors.
    data : DataFrame
    firth : bool
        Use Firth's bias-reduced penalised likelihood (finite estimates under separation).
    labels : mapping, optional
        Variable labels (term -> text) kept with the fit for tables and nomograms.
    nan_policy : {"raise", "omit"}
        Missing values in the variables of the formula raise :class:`InputError`, or the rows
        are omitted and counted (``fit.omitted``, ``fit.stats["n_omitted"]``).

    Returns
    -------
    LogisticFit

    Raises
    ------
    InputError
        Outcome not binary, a constant predictor, a rank-deficient design (the collinear
        columns are named), a factor level without events (unless ``firth=True``), missing
        values with ``nan_policy="raise"``.

    Warns
    -----
    SeparationWarning
        Complete or quasi-complete separation (the variables are named): the ML estimates
        do not exist; use ``firth=True``.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi + np.log(afp)", d)
    >>> round(fit.stats["C"], 3)
    0.777
    >>> fit.odds_ratios().round(3)
              term  estimate  ci_low  ci_high  p_value
    0          age     1.114   1.067    1.163    0.000
    1          mvi     3.083   1.597    5.954    0.001
    2  np.log(afp)     1.503   1.183    1.910    0.001
    """
    d = build_design(formula, data, nan_policy=nan_policy, firth=firth)
    return fit_design(d, firth=firth, labels=labels, stacklevel=3)


def fit_design(
    d, *, firth: bool = False, labels: Mapping[str, str] | None = None, stacklevel: int = 2
) -> LogisticFit:
    """Fit a checked :class:`~._design.Design` and assemble the LogisticFit (no formula parsing)."""
    core = fit_logistic(d.X, d.y, firth=firth)
    separation = None
    if not firth:
        p = core.fitted
        if not core.converged or np.any(np.minimum(p, 1.0 - p) < EXTREME_P):
            separation = detect_separation(d.X, d.y, d.columns)
        if separation is not None:
            warnings.warn(
                f"{separation.kind} separation by {', '.join(repr(c) for c in separation.columns) or 'the intercept'}: "
                "maximum-likelihood estimates do not exist (they diverge); use firth=True",
                SeparationWarning,
                stacklevel=stacklevel,
            )
        elif not core.converged:
            warnings.warn(
                f"lrm did not converge in {core.n_iter} iterations",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
    elif not core.converged:
        warnings.warn(
            f"Firth fit did not converge in {core.n_iter} iterations",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    lp = d.X @ core.coef
    st = model_stats(d.y, lp, core.loglik, d.X.shape[1] - 1, core.score)
    st["n_omitted"] = len(d.omitted)
    if firth:
        st["penalised_loglik"] = core.penalised_loglik
    labels = dict(labels or {})
    unknown = [k for k in labels if k not in d.terms and k not in d.data.columns]
    if unknown:
        raise InputError(f"labels: {unknown} are not terms of the formula ({d.terms})")
    return LogisticFit(
        formula=d.formula,
        outcome=d.outcome,
        data=d.data,
        X=d.X,
        y=d.y,
        coef=pd.Series(core.coef, index=d.columns, name="coef"),
        cov=pd.DataFrame(core.cov, index=d.columns, columns=d.columns),
        design_info=d.design_info,
        terms=d.terms,
        term_columns=d.term_columns,
        stats=st,
        labels=labels,
        firth=firth,
        converged=core.converged,
        n_iter=core.n_iter,
        omitted=d.omitted,
        separation=separation,
    )
