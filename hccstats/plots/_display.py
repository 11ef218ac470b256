"""The base of the figures as Display objects (as scikit-learn's ``RocCurveDisplay``): a
Display holds the numbers it draws, is made by ``from_*`` class methods from results or
predictions, and draws with ``plot(ax=None, ...)``, which returns the Display with its
``figure_`` and ``ax_``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import InputError
from ._style import new_figure

__all__ = ["Display", "check_mapping"]


def check_mapping(curves: Any, name: str) -> Mapping:
    """``curves``, a non-empty mapping of model name -> result, or an InputError."""
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise InputError(f"{name} must be a non-empty mapping of model name -> result")
    return curves


class Display:
    """What every Display shares: after :meth:`plot`, ``figure_`` (the matplotlib Figure) and
    ``ax_`` (the Axes drawn in)."""

    figure_ = None
    ax_ = None

    def _use_axes(self, ax, width: Any = "single", height: float | None = None):
        """Draw into ``ax``, or into a new journal-style figure (``width``; square by default);
        call inside :func:`~hccstats.plots.journal_style`."""
        if ax is None:
            self.figure_, self.ax_ = new_figure(width, height)
        else:
            self.figure_, self.ax_ = ax.figure, ax
        return self.ax_
