"""Risk-axis labels of nomograms never overlap: ``fun_at="auto"`` read back from the drawings.

Oracles: for rms, the label centres and widths on R's own drawing device (``strwidth`` of the
labels at ``cex.axis``, positions from ``plot.nomogram``'s axis scale); for the native drawing,
matplotlib's extents of the drawn texts.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from hccstats import InputError, lrm, nomogram


@pytest.fixture(scope="module")
def steep_fit():
    # a strong model: the linear predictor spans about -14..14, so rms's pretty risk ticks
    # (0.1, 0.2, ..., 0.9) crowd into the middle of a long axis
    rng = np.random.default_rng(1)
    n = 400
    d = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    d["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-(2.5 * d.a + 2 * d.b)))).astype(float)
    return lrm("y ~ a + b", d)


def _gaps(centre, width) -> np.ndarray:
    """White space between neighbouring labels (inches; negative: they overlap)."""
    order = np.argsort(centre)
    c, w = np.asarray(centre)[order], np.asarray(width)[order]
    return np.diff(c) - (w[1:] + w[:-1]) / 2


@pytest.mark.r
@pytest.mark.parametrize("width", ["double", "single"])
def test_risk_labels_apart_against_rms_drawn_geometry(steep_fit, width):
    plain = nomogram(steep_fit, engine="r", fun_label="Risk", width=width)
    g = plain.risk_geometry
    # the oracle sees the problem: rms's default ticks print over one another on this model
    assert _gaps(g["centre"], g["width"]).min() < 0
    auto = nomogram(steep_fit, engine="r", fun_label="Risk", width=width, fun_at="auto")
    g = auto.risk_geometry
    assert len(g["label"]) >= 3
    # every label clear of its neighbours on R's device, by at least most of the 0.06 in gap
    # (label widths in the choice are an upper bound of R's strwidth)
    assert _gaps(g["centre"], g["width"]).min() >= 0.05
    risk = auto.points[auto.points["kind"] == "risk"]
    np.testing.assert_allclose(
        np.sort(risk["x"].to_numpy(float)), np.sort([float(v) for v in g["label"]])
    )
    # the ticks span the axis: the tails are shown, not only the middle
    assert risk["x"].min() <= 0.1 and risk["x"].max() >= 0.9


def _risk_texts(nom):
    fig = nom.figure
    canvas = FigureCanvasAgg(fig)
    fig.savefig(io.BytesIO(), format="png", dpi=100)
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    y_risk = ax.get_yticks()[-1]
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    risk = [
        (t, b)
        for t, b in zip(texts, boxes)
        if abs(t.get_position()[1] - y_risk) < 0.5  # the risk row (rows are 1 apart)
    ]
    return texts, boxes, risk


@pytest.mark.parametrize("width", ["double", "single"])
def test_native_risk_labels_all_drawn_and_apart_against_text_extents(steep_fit, width):
    nom = nomogram(steep_fit, engine="python", fun_label="Risk", width=width, fun_at="auto")
    texts, boxes, risk = _risk_texts(nom)
    ticks = nom.points[nom.points["kind"] == "risk"]
    # every tick has its label (none dropped, as the crowded default needs)
    assert sorted(t.get_text() for t, _ in risk) == sorted(ticks["value"])
    # one side of the axis, in a row, and no two labels of the whole figure overlap
    assert len({round(t.get_position()[1], 6) for t, _ in risk}) == 1
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            overlap = (
                min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5
            )
            assert not overlap, (texts[i].get_text(), texts[j].get_text())


def test_native_default_ticks_crowd_where_auto_does_not(steep_fit):
    # the crowded default keeps labels apart only by dropping some or moving them above the axis
    plain = nomogram(steep_fit, engine="python", fun_label="Risk")
    _, _, risk = _risk_texts(plain)
    ticks = plain.points[plain.points["kind"] == "risk"]
    sides = {round(t.get_position()[1], 6) for t, _ in risk}
    assert len(risk) < len(ticks) or len(sides) == 2


def test_fun_at_rejects_unknown_text(steep_fit):
    with pytest.raises(InputError, match="fun_at"):
        nomogram(steep_fit, engine="python", fun_at="pretty")
