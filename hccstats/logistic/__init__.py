"""Logistic regression equal to R: ``lrm`` (glm / rms::lrm, Firth), ``univariate`` (the
univariable analysis; also named ``univariable``), SPSS-style ``forward_lr`` and
``backward_lr``, and ``vif`` (car::vif); restricted cubic splines ``rcs`` (rms::rcs) in formulas.
See docs/logistic.md."""

from ._backward import backward_lr
from ._firth_profile import PenalisedProfile
from ._lrm import LogisticFit, lrm
from ._rcs import rcs, rcs_basis, rcs_knots, spline_knots
from ._separation import Separation, detect_separation
from ._stepwise import Selection, Stepwise, candidate_blocks, forward_lr, select_forward
from ._terms import factor, pol, rms_column_names
from ._univariate import Univariate, univariate
from ._vif import VIF, vif

#: the same function under the clinical literature's name (one predictor per model)
univariable = univariate

__all__ = [
    "lrm",
    "LogisticFit",
    "PenalisedProfile",
    "univariate",
    "univariable",
    "Univariate",
    "forward_lr",
    "backward_lr",
    "Stepwise",
    "Selection",
    "select_forward",
    "candidate_blocks",
    "vif",
    "VIF",
    "detect_separation",
    "Separation",
    "rcs",
    "rcs_knots",
    "rcs_basis",
    "spline_knots",
    "pol",
    "factor",
    "rms_column_names",
]
