"""Calibration of logistic models, as rms computes it.

``calibrate`` (``rms::calibrate``), ``validate`` (``rms::validate``), ``val_prob``
(``rms::val.prob``), ``calibration_curve`` (val.prob's lowess curve on external data),
``hosmer_lemeshow`` and ``le_cessie`` (``rms::residuals.lrm(type = "gof")``), and R's
``lowess``/``approx`` that they rest on.
"""

from ._calibrate import Calibration, calibrate, calibration_curve
from ._gof import HosmerLemeshowTest, LeCessieTest, hosmer_lemeshow, le_cessie
from ._lowess import approx, lowess
from ._val_prob import ValProb, val_prob
from ._validate import Validation, validate

__all__ = [
    "calibrate",
    "Calibration",
    "calibration_curve",
    "validate",
    "Validation",
    "val_prob",
    "ValProb",
    "hosmer_lemeshow",
    "HosmerLemeshowTest",
    "le_cessie",
    "LeCessieTest",
    "lowess",
    "approx",
]
