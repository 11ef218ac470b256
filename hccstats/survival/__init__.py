"""Survival analysis equal to R's ``survival`` and ``rms``: Cox models, Kaplan–Meier, log-rank,
concordance, proportional-hazards test and calibration at a horizon.

>>> import hccstats as hs
>>> fit = hs.coxph("Surv(time, status) ~ age + C(sex)", lung, nan_policy="omit")  # doctest: +SKIP
>>> hs.cox_zph(fit)                                                                # doctest: +SKIP
"""

from ._concordance import Concordance, concordance
from ._coxph import CoxFit, coxph

__all__ = ["coxph", "CoxFit", "concordance", "Concordance"]
