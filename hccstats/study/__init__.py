"""The study file (study.yaml) and its loader: ``hccstats.study.load(path) -> Study``.

See docs/study-file.md for every key of the file, defaults and the errors.
"""

from ._config import VARIABLE_TYPES, Variable
from ._study import Study, load

__all__ = ["load", "Study", "Variable", "VARIABLE_TYPES"]
