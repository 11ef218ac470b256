"""The study file (study.yaml) and its loader: ``hccstats.study.load(path) -> Study``.

See docs/study-file.md for every key of the file, defaults and the errors; the keys of
``analysis:`` are one table, :data:`ANALYSIS_KEYS`. ``load(path, overrides)`` builds the
frozen :class:`Analysis` tree of every setting, with where each value came from.
"""

from ._analysis import ANALYSIS_KEYS, AnalysisKey
from ._config import VARIABLE_TYPES, Variable
from ._layout import NOMOGRAM_ENGINES, SECTION_KEYS, layout_defaults
from ._study import Study, load
from ._tree import (
    Analysis,
    Bootstrap,
    DecisionCurves,
    Extraction,
    Origin,
    ReportLayout,
    Screening,
    Survival,
    check_run_options,
)

__all__ = [
    "load",
    "Study",
    "Variable",
    "VARIABLE_TYPES",
    "ANALYSIS_KEYS",
    "AnalysisKey",
    "SECTION_KEYS",
    "NOMOGRAM_ENGINES",
    "layout_defaults",
    "Analysis",
    "Bootstrap",
    "Screening",
    "DecisionCurves",
    "Survival",
    "Extraction",
    "ReportLayout",
    "Origin",
    "check_run_options",
]
