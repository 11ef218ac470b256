"""ROC curves of one or more models, the AUC (and its CI) in the legend: :class:`RocDisplay`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from ._display import Display, check_mapping
from ._legend import place_roc_legend
from ._style import REFERENCE_GREY, journal_style, model_colors
from ._text import auc_legend

__all__ = ["RocDisplay"]


def _ci_bounds(ci: Any) -> tuple[float, float]:
    if hasattr(ci, "low") and hasattr(ci, "high"):
        return float(ci.low), float(ci.high)
    try:
        low, high = ci
    except (TypeError, ValueError):
        raise InputError(
            f"cis: each value must be (low, high) or have .low/.high, got {ci!r}"
        ) from None
    return float(low), float(high)


def _points(name: str, r: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """(1 - specificity, sensitivity) in drawing order, and the AUC, of a Roc-like ``r``."""
    try:
        sens = np.asarray(r.sensitivities, dtype=float)
        spec = np.asarray(r.specificities, dtype=float)
        auc = float(r.auc)
    except AttributeError as exc:
        raise InputError(
            f"curves[{name!r}] needs .sensitivities, .specificities and .auc ({exc})"
        ) from None
    if sens.shape != spec.shape or sens.size < 2:
        raise InputError(
            f"curves[{name!r}]: sensitivities and specificities differ in length or are empty"
        )
    fpr = 1.0 - spec
    order = np.lexsort((sens, fpr))
    return fpr[order], sens[order], auc


class RocDisplay(Display):
    """ROC curves of one or more models, legend "name: AUC 0.949 (0.919–0.980)".

    R equivalent: ``plot(roc1); lines(roc2); legend(...)`` with pROC.

    Make it with :meth:`from_rocs` (several ``hccstats.roc`` results), :meth:`from_roc` or
    :meth:`from_predictions`; draw it with :meth:`plot`.

    Attributes
    ----------
    curve : DataFrame
        The points drawn: ``model``, ``fpr`` (1 − specificity), ``tpr`` (sensitivity), in
        drawing order.
    auc : DataFrame
        One row per model: ``model``, ``auc``, ``ci_low``, ``ci_high`` and ``with_ci`` (whether a
        confidence interval was given; the legend shows it only then).
    figure_, ax_ : matplotlib Figure and Axes
        Set by :meth:`plot`.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.plots import RocDisplay
    >>> y, risk = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> display = RocDisplay.from_predictions(y, risk, name="Nomogram", direction="<").plot()
    >>> display.auc[["model", "auc", "ci_low", "ci_high"]].round(3).values.tolist()
    [['Nomogram', 0.889, 0.581, 1.0]]
    >>> [t.get_text() for t in display.ax_.get_legend().get_texts()]
    ['Nomogram: AUC 0.889 (0.581–1.000)']
    """

    def __init__(self, curve: pd.DataFrame, auc: pd.DataFrame):
        self.curve = curve
        self.auc = auc

    @classmethod
    def from_rocs(
        cls, curves: Mapping[str, Any], cis: Mapping[str, Any] | None = None
    ) -> RocDisplay:
        """From model name -> Roc-like (``.sensitivities``, ``.specificities``, ``.auc``) and,
        optionally, model name -> (low, high) or AucCI-like (``hccstats.ci_auc``)."""
        curves = check_mapping(curves, "curves")
        cis = dict(cis or {})
        points, rows = [], []
        for name, r in curves.items():
            fpr, tpr, auc = _points(name, r)
            points.append(pd.DataFrame({"model": name, "fpr": fpr, "tpr": tpr}))
            low, high = _ci_bounds(cis[name]) if name in cis else (np.nan, np.nan)
            rows.append(
                {"model": name, "auc": auc, "ci_low": low, "ci_high": high, "with_ci": name in cis}
            )
        return cls(pd.concat(points, ignore_index=True), pd.DataFrame(rows))

    @classmethod
    def from_roc(cls, roc: Any, *, name: str = "Model", ci: Any = None) -> RocDisplay:
        """From one ``hccstats.roc`` result and, optionally, its AUC's CI."""
        return cls.from_rocs({name: roc}, None if ci is None else {name: ci})

    @classmethod
    def from_predictions(
        cls,
        y_true: Any,
        score: Any,
        *,
        name: str = "Model",
        direction: str = "auto",
        conf_level: float | None = 0.95,
    ) -> RocDisplay:
        """From the outcomes and one model's scores: ``hccstats.roc(y_true, score, direction)``
        and its DeLong CI at ``conf_level`` (None: no CI)."""
        from ..discrimination import ci_auc, roc

        r = roc(y_true, score, direction=direction)
        ci = None if conf_level is None else ci_auc(r, conf_level=conf_level)
        return cls.from_roc(r, name=name, ci=ci)

    def plot(
        self, ax=None, *, title: str | None = None, digits: int = 3, width: Any = "single"
    ) -> RocDisplay:
        """Draw into ``ax`` (default: a new single-column (8.5 cm) square figure); the legend
        goes where it covers no curve. Returns the Display."""
        with journal_style():
            ax = self._use_axes(ax, width)
            colors = model_colors(self.auc["model"])
            ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color=REFERENCE_GREY, zorder=1)
            for row in self.auc.itertuples(index=False):
                points = self.curve[self.curve["model"] == row.model]
                low_high = (row.ci_low, row.ci_high) if row.with_ci else (None, None)
                ax.plot(
                    points["fpr"].to_numpy(),
                    points["tpr"].to_numpy(),
                    color=colors[row.model],
                    label=auc_legend(row.model, row.auc, *low_high, digits=digits),
                    zorder=2,
                )
            ax.set_xlim(-0.01, 1.01)
            ax.set_ylim(-0.01, 1.01)
            ax.set_aspect("equal")
            ax.set_xlabel("1 \u2212 Specificity")
            ax.set_ylabel("Sensitivity")
            if title:
                ax.set_title(title, loc="left", fontweight="bold")
            place_roc_legend(ax)
        return self
