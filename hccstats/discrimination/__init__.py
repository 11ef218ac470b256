"""Discrimination: ROC curves, AUC with DeLong CI, DeLong tests, cut-offs (R: pROC).

>>> import hccstats as hs
>>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
>>> hs.ci_auc(r).low  # doctest: +ELLIPSIS
0.58...
"""

from ._ci import AucCI, ci_auc
from ._coords import Coords, Cutoff, coords
from ._delong import Placements, delong_cov, delong_var, placements
from ._groups import ScoreGroups
from ._proportion_ci import proportion_ci
from ._roc import ConstantScoreWarning, DirectionWarning, Roc, roc
from ._roc_test import DeLongTest, are_paired, roc_test

__all__ = [
    "roc",
    "Roc",
    "ci_auc",
    "AucCI",
    "roc_test",
    "DeLongTest",
    "coords",
    "Coords",
    "Cutoff",
    "ScoreGroups",
    "are_paired",
    "placements",
    "Placements",
    "delong_var",
    "delong_cov",
    "proportion_ci",
    "DirectionWarning",
    "ConstantScoreWarning",
]
