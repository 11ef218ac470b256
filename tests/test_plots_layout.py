"""Figure layout read back from the drawn figures: legends clear of every curve, one panel frame.

The oracle is geometric and independent of the placement code: after the final layout (a PNG is
rendered), every line of a panel is sampled densely in display (pixel) coordinates and no sample
may fall inside the legend's drawn box; panels are compared by their drawn positions.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hccstats import dca, roc
from hccstats.calibration import calibration_curve
from hccstats.plots import calibration_curves, decision_curves, performance_panels
from hccstats.study import DecisionCurves


def _render(fig: Figure):
    canvas = FigureCanvasAgg(fig)
    fig.savefig(io.BytesIO(), format="png", dpi=100)  # the final layout
    return canvas.get_renderer()


def _legend_clear(ax, renderer) -> str:
    """ "inside" or "below"; fails when a drawn line passes through the legend's box."""
    leg = ax.get_legend()
    assert leg is not None
    box = leg.get_window_extent(renderer)
    frame = ax.get_window_extent(renderer)
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        inside_axes = (
            (xy[:, 0] >= frame.x0)
            & (xy[:, 0] <= frame.x1)
            & (xy[:, 1] >= frame.y0)
            & (xy[:, 1] <= frame.y1)
        )
        # one sample per pixel along each segment
        pts = [xy[:1]]
        for a, b in zip(xy[:-1], xy[1:]):
            k = max(1, int(np.ceil(np.hypot(*(b - a)))))
            pts.append(a + np.linspace(0, 1, k + 1)[1:, None] * (b - a))
        pts = np.concatenate(pts)
        pts = pts[
            (pts[:, 0] >= frame.x0)
            & (pts[:, 0] <= frame.x1)
            & (pts[:, 1] >= frame.y0)
            & (pts[:, 1] <= frame.y1)
        ]
        hit = (
            (pts[:, 0] >= box.x0)
            & (pts[:, 0] <= box.x1)
            & (pts[:, 1] >= box.y0)
            & (pts[:, 1] <= box.y1)
        )
        assert not hit.any(), (line.get_label(), pts[hit][:3], box)
        assert inside_axes.any() or len(xy) == 0
    return "below" if box.y1 <= frame.y0 else "inside"


def _cal(p, f):
    return pd.DataFrame({"predicted": p, "apparent": f(p) ** 0.95, "bias_corrected": f(p)})


@pytest.mark.parametrize(
    "shape",
    [
        lambda p: p,  # on the diagonal
        lambda p: p**1.6,  # over-prediction: curves sag into the lower right
        lambda p: p**0.6,  # under-prediction: curves bulge into the upper left
        lambda p: np.clip(0.5 + 2.5 * (p - 0.5), 0, 1),  # too steep: both corners taken
    ],
)
def test_calibration_legend_covers_no_curve_against_drawn_lines(shape):
    p = np.linspace(0.02, 0.98, 50)
    fig = calibration_curves(
        {"Clinical model": _cal(p, shape), "DL model": _cal(p, lambda q: shape(q) ** 1.1)}
    )
    renderer = _render(fig)
    where = _legend_clear(fig.axes[0], renderer)
    assert where in ("inside", "below")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == "Ideal" and "Clinical model (bias-corrected)" in texts


def _study(seed=3, n=300):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-1.0 + 1.2 * x1 + 0.8 * x2)))).astype(float)
    clinical = 1 / (1 + np.exp(-(-1.0 + 1.2 * x1)))
    full = 1 / (1 + np.exp(-(-1.0 + 1.2 * x1 + 0.8 * x2)))
    return y, {"Clinical model": clinical, "DL model": full}


def test_performance_panels_share_one_square_frame_and_clear_legends():
    thresholds = DecisionCurves().thresholds
    rocs, cis, cals, dcas = {}, {}, {}, {}
    for k, part in enumerate(("training", "validation")):
        y, risks = _study(seed=k)
        rocs[part] = {m: roc(y, r, direction="<") for m, r in risks.items()}
        cis[part] = {m: (r.auc - 0.05, min(r.auc + 0.05, 1.0)) for m, r in rocs[part].items()}
        cals[part] = {m: calibration_curve(y, r) for m, r in risks.items()}
        dcas[part] = dca(y, risks, thresholds=thresholds)
    fig = performance_panels(rocs, cis, cals, dcas)
    renderer = _render(fig)
    axes = fig.axes
    assert len(axes) == 6
    boxes = [ax.get_window_extent(renderer) for ax in axes]
    widths = np.array([b.width for b in boxes])
    heights = np.array([b.height for b in boxes])
    # one square frame for all six panels, to a pixel at 100 dpi
    assert np.ptp(widths) <= 1.0 and np.ptp(heights) <= 1.0, (widths, heights)
    np.testing.assert_allclose(widths, heights, atol=1.0)
    # panels of a column start at the same x (A, C, E and B, D, F)
    for col in (axes[0::2], axes[1::2]):
        x0 = [ax.get_window_extent(renderer).x0 for ax in col]
        assert np.ptp(x0) <= 1.0, x0
    # decision curves over 0-0.6
    for ax in axes[4:]:
        assert ax.get_xlim() == (0.0, 0.6)
        assert ax.get_title(loc="left").split()[0] in ("E", "F")
    for ax in axes:
        assert _legend_clear(ax, renderer) in ("inside", "below")
    # panels do not overlap one another (titles, labels and legends included)
    tight = [ax.get_tightbbox(renderer) for ax in axes]
    for i in range(len(tight)):
        for j in range(i + 1, len(tight)):
            a, b = tight[i], tight[j]
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_w <= 1 or overlap_h <= 1, (i, j)


def test_report_dca_thresholds_default_zero_to_point_six_against_r_seq():
    # R: seq(0, 0.6, by = 0.01) has 61 values, 0 first and 0.6 last
    grid = DecisionCurves().thresholds
    assert len(grid) == 61 and grid[0] == 0.0 and grid[-1] == 0.6
    np.testing.assert_allclose(np.diff(grid), 0.01, atol=1e-12)
    custom = DecisionCurves(range=(0.05, 0.5, 0.05)).thresholds
    np.testing.assert_allclose(custom, np.arange(1, 11) * 0.05, atol=1e-12)


def test_decision_curves_square_frame_and_legend_clear():
    y, risks = _study(seed=5)
    fig = decision_curves(dca(y, risks, thresholds=DecisionCurves().thresholds))
    renderer = _render(fig)
    ax = fig.axes[0]
    box = ax.get_window_extent(renderer)
    assert abs(box.width - box.height) <= 1.0
    assert _legend_clear(ax, renderer) == "inside"


def test_polyline_densified_at_once_as_segment_by_segment_linspace():
    # the overlap test samples every segment at linspace(0, 1, k + 1)[1:]; the vectorised
    # sampling must give the same points, bit for bit
    from hccstats.plots import _legend

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 400):
        xy = np.cumsum(rng.random((n, 2)) * 0.03, axis=0)
        steps = np.maximum(1, np.ceil(np.hypot(*np.diff(xy, axis=0).T) / 0.005)).astype(int)
        expected = np.concatenate(
            [xy[:1]]
            + [
                a + np.linspace(0, 1, k + 1)[1:, None] * (b - a)
                for a, b, k in zip(xy, xy[1:], steps)
            ]
        )
        np.testing.assert_array_equal(_legend._densified(xy), expected)
