"""Logistic regression equal to R: ``lrm`` (glm / rms::lrm, Firth), ``univariate``,
SPSS-style ``forward_lr`` and ``vif`` (car::vif). See docs/logistic.md."""

from ._lrm import LogisticFit, lrm
from ._separation import Separation, detect_separation
from ._stepwise import Selection, Stepwise, candidate_blocks, forward_lr, select_forward
from ._univariate import Univariate, univariate
from ._vif import VIF, vif

__all__ = [
    "lrm",
    "LogisticFit",
    "univariate",
    "Univariate",
    "forward_lr",
    "Stepwise",
    "Selection",
    "select_forward",
    "candidate_blocks",
    "vif",
    "VIF",
    "detect_separation",
    "Separation",
]
