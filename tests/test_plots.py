"""Publication figures: content of each figure, the journal style, and files read back.

The figure functions are duck-typed: they are tested with small hand-made result objects and
DataFrames (SimpleNamespace with the attributes of Roc / Calibration / DecisionCurve).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace as NS

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from hccstats import InputError
from hccstats.plots import (
    OKABE_ITO,
    auc_legend,
    calibration_curves,
    decision_curves,
    forest_plot,
    format_or,
    format_p,
    roc_curves,
    save_figure,
    signature_comparison,
)


def make_roc(shift: float, seed: int = 0) -> NS:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(60), np.ones(40)]
    s = rng.normal(size=100) + shift * y
    th = np.r_[-np.inf, np.sort(s), np.inf]
    sens = np.array([(s[y == 1] >= t).mean() for t in th])
    spec = np.array([(s[y == 0] < t).mean() for t in th])
    auc = np.mean([(a > b) + 0.5 * (a == b) for a in s[y == 1] for b in s[y == 0]])
    return NS(sensitivities=sens, specificities=spec, auc=auc)


@pytest.fixture
def rocs():
    return {"Clinical nomogram": make_roc(0.8, 1), "DL nomogram": make_roc(2.5, 2)}


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_auc_legend_against_published_text():
    # Yan et al. 2023, Results: "an AUC of 0.949 (95% CI: 0.919-0.980)"
    assert (
        auc_legend("DL nomogram", 0.9493, 0.9191, 0.9798)
        == "DL nomogram: AUC 0.949 (0.919\u20130.980)"
    )
    assert auc_legend("Clinical", 0.7514) == "Clinical: AUC 0.751"
    assert format_p(0.0004) == "< 0.001" and format_p(0.0312) == "0.031"
    assert format_or(2.314, 1.2, 4.449) == "2.31 (1.20\u20134.45)"


def test_roc_curves_lines_and_legend(rocs):
    fig = roc_curves(
        rocs, cis={"Clinical nomogram": (0.674, 0.827), "DL nomogram": NS(low=0.919, high=0.98)}
    )
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3  # chance diagonal + one per model
    texts = [
        t.replace("\nAUC", ": AUC") for t in legend_texts(fig)
    ]  # long entries may wrap after the name
    assert texts[0] == auc_legend("Clinical nomogram", rocs["Clinical nomogram"].auc, 0.674, 0.827)
    assert texts[1].endswith("(0.919\u20130.980)")
    # each curve runs from (0, 0) to (1, 1) in 1 - specificity
    x, y = ax.get_lines()[1].get_data()
    assert (x[0], y[0]) == (0.0, 0.0) and (x[-1], y[-1]) == (1.0, 1.0)
    assert np.all(np.diff(x) >= 0)
    # Okabe-Ito colours in order
    assert mcolors.to_hex(ax.get_lines()[1].get_color()).upper() == OKABE_ITO["blue"]
    assert mcolors.to_hex(ax.get_lines()[2].get_color()).upper() == OKABE_ITO["vermillion"]


def _legend_clear_of_curves(ax, rocs) -> str:
    """Where the legend is ("inside" / "below"); fails if it covers a curve or the diagonal.

    Oracle independent of the placement code: ROC curves are monotone, so a box in the lower right
    is clear of a curve iff the curve's sensitivity at the box's left edge is above the box's top;
    the diagonal likewise (y = x at the left edge).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = FigureCanvasAgg(fig)
    fig.savefig(io.BytesIO(), format="png", dpi=100)  # final layout
    leg = ax.get_legend()
    box = leg.get_window_extent(canvas.get_renderer()).transformed(ax.transAxes.inverted())
    if box.y1 <= 0:  # below the axes: then it is clear of the curves by construction
        return "below"
    assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= 1 and box.y1 <= 1, box
    (x0, _), (_, y1) = ax.transLimits.inverted().transform([[box.x0, box.y0], [box.x1, box.y1]])
    assert y1 < x0, (x0, y1)  # below the diagonal
    for r in rocs.values():
        fpr, sens = 1 - np.asarray(r.specificities), np.asarray(r.sensitivities)
        assert sens[fpr <= x0].max() > y1, (x0, y1)
    frame = leg.get_frame()
    assert (
        leg.get_frame_on()
        and mcolors.to_hex(frame.get_facecolor()[:3]) == "#ffffff"
        and 0.5 <= frame.get_alpha() < 1
    )
    assert all(t.get_fontsize() <= 7 for t in leg.get_texts())
    return "inside"


def test_roc_legend_clear_of_curves_single_column_against_monotone_bound(rocs):
    fig = roc_curves(rocs, cis={"Clinical nomogram": (0.674, 0.827), "DL nomogram": (0.919, 0.98)})
    assert _legend_clear_of_curves(fig.axes[0], rocs) == "inside"


def test_roc_legend_clear_of_curves_in_report_layout_against_monotone_bound():
    # the report's Fig. 6 panel (3 x 2 grid, 7.2 x 9.6 in), three models with long names, steep curves
    three = {
        "Clinical model": make_roc(1.6, 3),
        "mp-MR DL signature": make_roc(1.7, 4),
        "DL model": make_roc(2.2, 5),
    }
    cis = {n: (r.auc - 0.05, min(r.auc + 0.05, 1)) for n, r in three.items()}
    fig = Figure(figsize=(7.2, 9.6))
    axes = fig.subplots(3, 2)
    roc_curves(three, cis=cis, ax=axes[0, 0])
    fig.tight_layout()
    assert _legend_clear_of_curves(axes[0, 0], three) in ("inside", "below")
    # a curve through the lower right corner leaves no room inside: the legend goes below the axes
    flat = {
        "Odd model": NS(
            sensitivities=np.r_[0.0, 0.05, 1.0], specificities=np.r_[1.0, 0.0, 0.0], auc=0.5
        )
    }
    fig2 = roc_curves(flat, cis={"Odd model": (0.4, 0.6)})
    assert _legend_clear_of_curves(fig2.axes[0], flat) == "below"


def test_roc_curves_into_given_axes(rocs):
    fig = Figure()
    axes = fig.subplots(1, 2)
    out = roc_curves(rocs, ax=axes[1])
    assert out is fig and len(axes[1].get_lines()) == 3 and len(axes[0].get_lines()) == 0


def test_calibration_curves_content():
    p = np.linspace(0.05, 0.95, 30)
    boot = NS(table=pd.DataFrame({"predicted": p, "apparent": p**1.1, "bias_corrected": p**1.2}))
    external = pd.DataFrame({"predicted": p, "apparent": p**0.9, "bias_corrected": np.nan})
    fig = calibration_curves({"Clinical": boot, "DL": external})
    ax = fig.axes[0]
    # ideal + (bias-corrected + apparent) for Clinical + apparent only for DL
    assert len(ax.get_lines()) == 4
    assert legend_texts(fig) == ["Ideal", "Clinical (bias-corrected)", "Clinical (apparent)", "DL"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), p**1.2)
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)


def dca_table() -> pd.DataFrame:
    th = np.linspace(0.01, 0.99, 99)
    prev = 0.3
    rows = []
    for m, k in (("Clinical", 0.5), ("DL", 0.8)):
        rows += [(m, t, prev * k - (1 - prev) * (1 - k) * 0.4 * t / (1 - t)) for t in th]
    rows += [("Treat all", t, prev - (1 - prev) * t / (1 - t)) for t in th]
    rows += [("Treat none", t, 0.0) for t in th]
    return pd.DataFrame(rows, columns=["model", "threshold", "net_benefit"])


def test_decision_curves_content():
    t = dca_table()
    fig = decision_curves(NS(table=t))
    ax = fig.axes[0]
    assert legend_texts(fig) == ["Clinical", "DL", "Treat all", "Treat none"]
    colors = [mcolors.to_hex(line.get_color()).upper() for line in ax.get_lines()]
    assert colors[:2] == [OKABE_ITO["blue"], OKABE_ITO["vermillion"]]
    assert colors[3] == "#000000"  # treat none: black, as in the study's Fig 6
    # default y-range: treat-all's steep negative tail is cut, the models' maximum is shown
    lo, hi = ax.get_ylim()
    assert lo < 0 < hi and hi >= t["net_benefit"].max() and lo > t["net_benefit"].min()


def sig_table() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = [
        (ph, sel, cl, rng.uniform(0.45, 0.9), rng.uniform(0.01, 0.08))
        for ph in ("AP", "PVP", "HBP")
        for sel in ("RFE", "Relief", "LASSO")
        for cl in ("GP", "SVM", "RF", "AdaBoost")
    ]
    return pd.DataFrame(rows, columns=["phase", "selector", "classifier", "mean_auc", "sd_auc"])


def test_signature_comparison_content():
    t = sig_table()
    fig = signature_comparison(t)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 3 and len(fig.axes) == 4  # + colour bar
    assert [ax.get_title(loc="left") for ax in panels] == ["A  AP", "B  PVP", "C  HBP"]
    for ax, phase in zip(panels, ("AP", "PVP", "HBP")):
        sub = t[t["phase"] == phase]
        texts = [x.get_text() for x in ax.texts]
        assert len(texts) == 12
        best = sub.loc[sub["mean_auc"].idxmax()]
        assert f"{best['mean_auc']:.2f}\n({best['sd_auc']:.2f})" in texts
        grid = ax.get_images()[0].get_array()
        assert grid.shape == (3, 4)
        assert len(ax.patches) == 1  # the best cell framed


def test_forest_plot_content():
    t = pd.DataFrame(
        {
            "term": ["Intercept", "MVI", "Tumour number", "DL signature"],
            "estimate": [0.1, 3.2, 4.1, 12.5],
            "ci_low": [0.05, 1.4, 1.9, 5.2],
            "ci_high": [0.3, 7.3, 8.8, 30.1],
            "p_value": [1e-5, 0.006, 0.0003, 1e-7],
        }
    )
    fig = forest_plot(t, labels={"MVI": "MVI (present)"})
    ax, tx = fig.axes
    assert [x.get_text() for x in ax.get_yticklabels()] == [
        "MVI (present)",
        "Tumour number",
        "DL signature",
    ]
    assert ax.get_xscale() == "log"
    texts = [x.get_text() for x in tx.texts]
    assert "3.20 (1.40\u20137.30)" in texts and "< 0.001" in texts and "0.006" in texts
    assert len(texts) == 2 + 2 * 3


def test_forest_plot_names_patsy_columns():
    t = pd.DataFrame(
        {
            "term": ["race[T.black]", "C(stage)[T.III]", "C(grade, Treatment('1'))[T.2]", "age"],
            "estimate": [2.0, 3.0, 1.5, 0.98],
            "ci_low": [1.1, 1.2, 0.9, 0.95],
            "ci_high": [3.6, 7.5, 2.5, 1.01],
            "p_value": [0.02, 0.01, 0.1, 0.2],
        }
    )
    fig = forest_plot(t, labels={"race": "Race", "age": "Age (years)"})
    names = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert names == ["Race (black)", "stage (III)", "grade (2)", "Age (years)"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: roc_curves({}),
        lambda: roc_curves({"a": NS(auc=0.5)}),
        lambda: calibration_curves({"a": pd.DataFrame()}),
        lambda: decision_curves(pd.DataFrame({"model": []})),
        lambda: roc_curves({"a": make_roc(1.0)}, width="triple"),
        lambda: signature_comparison(pd.DataFrame({"phase": ["AP"]})),
        lambda: forest_plot(
            pd.DataFrame(
                {
                    "term": ["a"],
                    "estimate": [-1.0],
                    "ci_low": [0.5],
                    "ci_high": [2.0],
                    "p_value": [0.5],
                }
            )
        ),
    ],
)
def test_bad_input_raises_input_error(call):
    with pytest.raises(InputError):
        call()


def test_no_pyplot_figures_are_opened(rocs):
    before = plt.get_fignums()
    roc_curves(rocs)
    decision_curves(dca_table())
    signature_comparison(sig_table())
    assert plt.get_fignums() == before


@pytest.mark.parametrize("width, inches", [("single", 8.5 / 2.54), ("double", 17.5 / 2.54)])
def test_save_figure_files_read_back(tmp_path, rocs, width, inches):
    from PIL import Image

    fig = roc_curves(rocs, width=width)
    paths = save_figure(fig, tmp_path / "sub" / "roc", formats=("png", "pdf", "svg"))
    assert [p.name for p in paths] == ["roc.png", "roc.pdf", "roc.svg"]
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [
        "roc.pdf",
        "roc.png",
        "roc.svg",
    ]  # no temp files
    with Image.open(paths[0]) as im:
        assert abs(im.size[0] - inches * 300) < 1 and im.size[0] == im.size[1]  # whole pixels
        assert abs(im.info["dpi"][0] - 300) < 1
        arr = np.asarray(im.convert("RGB"), float)
    assert arr.std() > 10
    # the model colours are in the raster
    blue = np.array(mcolors.to_rgb(OKABE_ITO["blue"])) * 255
    assert (np.abs(arr - blue).sum(axis=2) < 30).sum() > 100
    raw = paths[1].read_bytes()
    assert raw.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", raw)) == 1
    assert b"/FontFile2" in raw  # TrueType fonts embedded (pdf.fonttype 42)
    root = ET.parse(paths[2]).getroot()
    assert root.tag.endswith("svg") and float(root.get("width").rstrip("pt")) == pytest.approx(
        inches * 72
    )
    assert any(el.tag.endswith("text") for el in root.iter())  # editable text (svg.fonttype none)


def test_save_figure_is_deterministic(tmp_path, rocs):
    # the same inputs give the same bytes (no dates or software versions in the files)
    a = save_figure(roc_curves(rocs), tmp_path / "a", formats=("pdf", "svg", "png"))
    b = save_figure(roc_curves(rocs), tmp_path / "b", formats=("pdf", "svg", "png"))
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.suffix


def test_save_figure_rejects_unknown_format(tmp_path, rocs):
    with pytest.raises(InputError, match="tiff"):
        save_figure(roc_curves(rocs), tmp_path / "x", formats=("tiff",))
