"""Deep-learning signatures: leak-free selector x classifier search, mp-MR fusion, Table 1.

>>> from hccstats.signature import signature_search, fuse_signatures, difference_table
"""

from ._classifiers import CLASSIFIERS, make_classifier
from ._cv import make_pipeline
from ._difference import difference_table
from ._filters import CorrelationPruner, SpearmanFilter, spearman_outcome
from ._fusion import FusedSignature, fuse_signatures
from ._relief import ReliefF, relieff_weights
from ._results import PhaseSignature, PhaseSkipped, SignatureSearch
from ._search import PRESETS, signature_search
from ._selectors import SELECTORS, AnovaSelector, RFESelector, make_selector

__all__ = [
    "signature_search",
    "PRESETS",
    "PhaseSignature",
    "PhaseSkipped",
    "SignatureSearch",
    "fuse_signatures",
    "FusedSignature",
    "difference_table",
    "SpearmanFilter",
    "CorrelationPruner",
    "spearman_outcome",
    "ReliefF",
    "relieff_weights",
    "AnovaSelector",
    "RFESelector",
    "make_selector",
    "SELECTORS",
    "make_classifier",
    "CLASSIFIERS",
    "make_pipeline",
]
