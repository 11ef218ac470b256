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
    "listed",
    "short_repr",
    "MAX_MESSAGE",
]

#: characters of an InputError message; a longer one is cut in the middle (the start names
#: the file and key, the end often the fix)
MAX_MESSAGE = 1000


def listed(items, limit: int = 5, fmt=repr) -> str:
    """``'a', 'b', 'c' and 1,234 more``: the first ``limit`` items of a list for a message.

    Every list that goes into an error message goes through here, so that a message naming
    every patient or column of a large table stays one short line.
    """
    items = list(items)
    shown = ", ".join(fmt(v) for v in items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def short_repr(value, limit: int = 80) -> str:
    """``repr(value)``, cut to about ``limit`` characters (``... (12,345 characters)``)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


class InputError(ValueError):
    """Bad user input: a missing file or column, a non-binary outcome, a NaN, ...

    The message is one line that names what is wrong and where (file, column,
    patient or argument). The command-line tools print it and exit with code 2.
    Lists in messages are cut by :func:`listed`; a message still over
    :data:`MAX_MESSAGE` characters is cut in the middle, so the line stays readable.
    """

    def __init__(self, message="", *args):
        text = str(message)
        if len(text) > MAX_MESSAGE:
            head, tail = text[: MAX_MESSAGE * 2 // 3], text[-MAX_MESSAGE // 4 :]
            text = f"{head} ... ({len(text) - len(head) - len(tail):,} characters cut) ... {tail}"
        super().__init__(text, *args)


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
