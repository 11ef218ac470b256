"""Survival analysis equal to R's ``survival`` and ``rms``: Cox models, Kaplan–Meier curves,
the log-rank test, Harrell's and Uno's concordance, the proportional-hazards test; the
performance of a model at a horizon ``times`` (McLernon et al. 2023): time-dependent AUC
(timeROC's IPCW estimator), the IPCW Brier score and IPA (riskRegression's), O/E, calibration
slope and the flexible calibration curve (``val_surv``), bootstrap calibration (rms). See
docs/survival.md.

>>> import numpy as np, pandas as pd
>>> import hccstats as hs
>>> rng = np.random.default_rng(1)  # 150 simulated patients, followed up to 36 months
>>> d = pd.DataFrame({"age": rng.normal(60, 10, 150).round(),
...                   "sex": rng.choice(["female", "male"], 150)})
>>> t = rng.exponential(24 * np.exp(-0.04 * (d["age"] - 60)))
>>> d["time"], d["status"] = np.minimum(t, 36).round(1), (t <= 36).astype(int)
>>> fit = hs.coxph("Surv(time, status) ~ age + C(sex)", d)
>>> hs.cox_zph(fit)  # doctest: +NORMALIZE_WHITESPACE
        chisq  df  p_value
term
C(sex) 0.2632   1   0.6079
age     2.043   1   0.1529
GLOBAL  2.349   2    0.309
>>> km = hs.survfit(d["time"], d["status"], group=d["sex"])
>>> km.table()[["n", "events", "median"]]  # female, male
    n  events  median
0  69    57.0    11.4
1  81    63.0    14.4
"""

from ._brier import BrierScore, brier_score
from ._calibrate import CoxCalibration, calibrate
from ._concordance import Concordance, concordance
from ._coxph import CoxFit, coxph
from ._km import SurvFit, survfit
from ._stepwise_cox import CoxStepwise, backward_cox, forward_cox
from ._survdiff import LogRankTest, survdiff
from ._td_auc import TimeDependentAuc, td_auc
from ._univariate_cox import CoxUnivariate, univariate_cox
from ._val_surv import ValSurv, val_surv
from ._validate_cox import validate_cox
from ._zph import CoxZph, cox_zph

calibrate_cox = calibrate  # top-level name (hccstats.calibrate is the lrm one)


def __getattr__(name: str):
    """``km_plot`` is the figure's (:mod:`hccstats.plots`), loaded on use: survival computes
    numbers only."""
    if name == "km_plot":
        from ..plots import km_plot

        return km_plot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "coxph",
    "CoxFit",
    "cox_zph",
    "CoxZph",
    "survfit",
    "SurvFit",
    "survdiff",
    "LogRankTest",
    "km_plot",
    "concordance",
    "Concordance",
    "calibrate",
    "calibrate_cox",
    "CoxCalibration",
    "td_auc",
    "TimeDependentAuc",
    "brier_score",
    "BrierScore",
    "val_surv",
    "ValSurv",
    "validate_cox",
    "forward_cox",
    "backward_cox",
    "CoxStepwise",
    "univariate_cox",
    "CoxUnivariate",
]
