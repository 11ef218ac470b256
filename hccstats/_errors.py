"""Exceptions and warnings of hccstats.

Every check of user input raises :class:`InputError` with one line that names the
argument, column, patient or file at fault. Statistics that are undefined on the
input (a constant score, a resample without events) emit a subclass of
:class:`HccstatsWarning` and return ``nan`` instead of raising.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "HccstatsWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "UndefinedStatisticWarning",
    "RNotAvailableError",
]


class InputError(ValueError):
    """Bad user input: a missing file or column, a non-binary outcome, a NaN, ...

    The message is one line that names what is wrong and where (file, column,
    patient or argument). The command-line tools print it and exit with code 2.
    """


class RNotAvailableError(RuntimeError):
    """R, rpy2 or a needed R package cannot be loaded."""


class HccstatsWarning(UserWarning):
    """Base class of hccstats's warnings."""


class ConvergenceWarning(HccstatsWarning):
    """An iterative fit stopped before convergence."""


class SeparationWarning(HccstatsWarning):
    """Complete or quasi-complete separation in a logistic model."""


class UndefinedStatisticWarning(HccstatsWarning):
    """A statistic is undefined on the input and was returned as ``nan``."""
