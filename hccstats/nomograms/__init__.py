"""Nomograms of logistic and Cox models, as ``rms::nomogram`` computes and draws them.

``nomogram(fit, engine="r")`` (a Cox model: ``times=`` the horizon) runs rms through rpy2 (rms's own plot, PNG/PDF/SVG);
``nomogram(fit, engine="python")`` computes the same points table natively (equal to rms's to
1e-6) and draws it with matplotlib. ``nomogram_score`` reads points and risk off a nomogram for
new patients.
"""

from ._engine import UnsupportedModelError
from ._nomogram import Nomogram, nomogram, nomogram_score
from ._ticks import RiskAxis, risk_ticks

__all__ = [
    "nomogram",
    "nomogram_score",
    "Nomogram",
    "UnsupportedModelError",
    "risk_ticks",
    "RiskAxis",
]
