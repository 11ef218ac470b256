"""The size rule of printed figures, shared by the figures (:mod:`hccstats.plots`, the
nomograms) and the renderer (:mod:`reports.figures`, :mod:`reports.docx`): a figure is drawn at
the width it is printed, one column (8.5 cm) or two columns (17.5 cm), and inserted at exactly
that width, never scaled, so that every text is at least ``MIN_FONT_PT`` and every line at least
``MIN_LINE_PT`` on paper.

A leaf module: it imports nothing (docs/architecture.md, "Import direction").
"""

from __future__ import annotations

__all__ = [
    "DPI",
    "CM_PER_INCH",
    "SINGLE_COLUMN_CM",
    "DOUBLE_COLUMN_CM",
    "MIN_FONT_PT",
    "MIN_LINE_PT",
    "printed_width_cm",
]

DPI = 300
CM_PER_INCH = 2.54
#: Printed widths (cm): one column and two columns of a journal page (multi-panel figures).
SINGLE_COLUMN_CM = 8.5
DOUBLE_COLUMN_CM = 17.5
#: The smallest text (pt) and the thinnest line (pt) of a printed figure.
MIN_FONT_PT = 7.0
MIN_LINE_PT = 0.5


def printed_width_cm(width_in: float, *, tolerance_in: float = 1.5 / DPI) -> float:
    """The width (cm) at which a figure drawn ``width_in`` inches wide is printed.

    A figure drawn at a column width (within ``tolerance_in``: a 300-dpi PNG rounds to whole
    pixels) is printed at exactly that width; any other figure at its drawn width: never scaled.

    >>> printed_width_cm(2067 / 300), printed_width_cm(1004 / 300), printed_width_cm(2.0)
    (17.5, 8.5, 5.08)
    """
    for cm in (SINGLE_COLUMN_CM, DOUBLE_COLUMN_CM):
        if abs(width_in - cm / CM_PER_INCH) <= tolerance_in:
            return cm
    return round(float(width_in) * CM_PER_INCH, 6)
