"""Publication figures in one journal style (Okabe–Ito colours, 7–9 pt text, drawn at the
printed width: one column 8.5 cm, two columns 17.5 cm).

The figures are Display objects (as scikit-learn's): :class:`RocDisplay`,
:class:`CalibrationDisplay`, :class:`DecisionCurveDisplay`, :class:`KaplanMeierDisplay`,
:class:`PartialEffectDisplay` hold the numbers they draw, are made from results or predictions
(``from_*``) and draw with ``plot(ax=None, ...)``, which returns the Display with ``figure_``
and ``ax_``. The functions (``roc_curves``, ``km_plot``, ...) take computed results
(duck-typed) and return the Figure. Nothing is ever shown; write files with
:func:`save_figure` (vector PDF/SVG, 300-dpi PNG). The statistics modules compute numbers
only: every drawing lives here (and in :mod:`hccstats.nomograms`).

>>> import hccstats as hs
>>> from hccstats.plots import roc_curves, save_figure
>>> y, risk = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
>>> fig = roc_curves({"Nomogram": hs.roc(y, risk, direction="<")})
>>> [str(p) for p in save_figure(fig, "out/fig6a", formats=("png", "pdf"))]
['out/fig6a.png', 'out/fig6a.pdf']
"""

from ._calibration_display import CalibrationDisplay
from ._curves import calibration_curves, decision_curves, risk_distribution, roc_curves
from ._decision_display import DecisionCurveDisplay
from ._display import Display
from ._km_display import KaplanMeierDisplay, km_plot
from ._legend import drawn_polylines, legend_overlaps, place_legend
from ._panels import performance_panels
from ._partial_display import PartialEffectDisplay
from ._roc_display import RocDisplay
from ._style import (
    DOUBLE_COLUMN,
    DOUBLE_COLUMN_CM,
    MIN_FONT_PT,
    MIN_LINE_PT,
    OKABE_ITO,
    SINGLE_COLUMN,
    SINGLE_COLUMN_CM,
    atomic_target,
    figure_width,
    journal_style,
    model_colors,
    new_figure,
    printed_width_cm,
    save_figure,
)
from ._tables import forest_plot, signature_comparison
from ._text import auc_legend, format_or, format_p

__all__ = [
    "Display",
    "RocDisplay",
    "CalibrationDisplay",
    "DecisionCurveDisplay",
    "KaplanMeierDisplay",
    "PartialEffectDisplay",
    "km_plot",
    "roc_curves",
    "calibration_curves",
    "risk_distribution",
    "decision_curves",
    "performance_panels",
    "place_legend",
    "legend_overlaps",
    "drawn_polylines",
    "signature_comparison",
    "forest_plot",
    "save_figure",
    "atomic_target",
    "figure_width",
    "printed_width_cm",
    "journal_style",
    "new_figure",
    "model_colors",
    "auc_legend",
    "format_p",
    "format_or",
    "OKABE_ITO",
    "SINGLE_COLUMN",
    "DOUBLE_COLUMN",
    "SINGLE_COLUMN_CM",
    "DOUBLE_COLUMN_CM",
    "MIN_FONT_PT",
    "MIN_LINE_PT",
]
