"""Survival analysis equal to R's ``survival`` and ``rms``: Cox models, Kaplan–Meier curves,
the log-rank test, concordance, the proportional-hazards test and calibration at a horizon;
time-dependent AUC (timeROC's IPCW estimator). See docs/survival.md.

>>> import hccstats as hs
>>> fit = hs.coxph("Surv(time, status) ~ age + C(sex)", lung, nan_policy="omit")  # doctest: +SKIP
>>> hs.cox_zph(fit)                                                                # doctest: +SKIP
>>> km = hs.survfit(lung["time"], lung["status"], group=lung["sex"])             # doctest: +SKIP
"""

from ._calibrate import CoxCalibration, calibrate
from ._concordance import Concordance, concordance
from ._coxph import CoxFit, coxph
from ._km import SurvFit, survfit
from ._plot import km_plot
from ._survdiff import survdiff
from ._td_auc import TimeDependentAuc, td_auc
from ._zph import CoxZph, cox_zph

calibrate_cox = calibrate  # top-level name (hccstats.calibrate is the lrm one)

__all__ = [
    "coxph",
    "CoxFit",
    "cox_zph",
    "CoxZph",
    "survfit",
    "SurvFit",
    "survdiff",
    "km_plot",
    "concordance",
    "Concordance",
    "calibrate",
    "calibrate_cox",
    "CoxCalibration",
    "td_auc",
    "TimeDependentAuc",
]
