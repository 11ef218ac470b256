"""The size rule, read back from the files: every figure is drawn at its printed width (one
column 8.5 cm, two columns 17.5 cm), its PDF page has that width, its smallest text is at least
7 pt and its thinnest line at least 0.5 pt as printed, nothing is cut off at the page's edge, and
the DOCX inserts it at exactly that width (never scaled)."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from _pdf import read_pdf_figure
from docx.shared import Cm, Inches
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import hccstats as hs
from hccstats.calibration import calibration_curve
from hccstats.demo import example_cohort
from hccstats.plots import (
    calibration_curves,
    decision_curves,
    forest_plot,
    performance_panels,
    printed_width_cm,
    roc_curves,
    save_figure,
    signature_comparison,
)
from reports import Report
from reports.docx import render_docx
from reports.figures import png_width_in, save_figures

CM = {"single": 8.5, "double": 17.5}
#: R's pdf() writes the page size in whole points; matplotlib to 1e-10 pt
PAGE_TOL_PT = 0.5


def assert_printed(pdf, width: str) -> None:
    """The PDF's page is ``width`` wide, its text ≥ 7 pt and its lines ≥ 0.5 pt."""
    fig = read_pdf_figure(pdf)
    assert fig.width_pt == pytest.approx(CM[width] / 2.54 * 72, abs=PAGE_TOL_PT), pdf
    assert fig.font_sizes, f"{pdf}: no text read"
    assert min(fig.font_sizes) >= 7.0 - 1e-9, (pdf, sorted(set(fig.font_sizes))[:5])
    assert fig.line_widths and min(fig.line_widths) >= 0.5 - 1e-9, (
        pdf,
        sorted(set(fig.line_widths))[:5],
    )


def assert_inside(fig: Figure) -> None:
    """Nothing drawn reaches past the figure's edge: saved at its size, nothing is cut off."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # the final layout (constrained layout runs at draw time)
    box = fig.get_tightbbox(canvas.get_renderer())  # inches
    w, h = fig.get_size_inches()
    assert box.x0 >= -0.01 and box.y0 >= -0.01, box
    assert box.x1 <= w + 0.01 and box.y1 <= h + 0.01, (box, w, h)


# ---------------------------------------------------------------- the reader itself


def test_pdf_reader_against_known_drawing(tmp_path):
    # a drawing whose sizes are known: 5.5-pt text, a 0.3-pt line, 2 x 1 in
    fig = Figure(figsize=(2, 1))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, "small", fontsize=5.5)
    ax.text(0.1, 0.1, "big", fontsize=12, rotation=90)
    ax.plot([0, 1], [0, 1], lw=0.3)
    fig.savefig(tmp_path / "k.pdf")
    got = read_pdf_figure(tmp_path / "k.pdf")
    assert (got.width_pt, got.height_pt) == (pytest.approx(144), pytest.approx(72))
    assert sorted(got.font_sizes) == pytest.approx([5.5, 12.0])
    assert min(got.line_widths) == pytest.approx(0.3)


# ---------------------------------------------------------------- each figure function


@pytest.fixture(scope="module")
def cohort():
    d = example_cohort()
    fit = hs.lrm("recurrence ~ age + mvi", d)
    age = hs.lrm("recurrence ~ age", d)
    return d, fit, {"Age": age.predict_risk(), "Nomogram": fit.predict_risk()}


def _figures(cohort):
    d, fit, risks = cohort
    y = d["recurrence"].to_numpy(float)
    rocs = {m: hs.roc(y, r, direction="<") for m, r in risks.items()}
    cis = {m: hs.ci_auc(r) for m, r in rocs.items()}
    cals = {m: calibration_curve(y, r) for m, r in risks.items()}
    dcas = hs.dca(y, risks, thresholds=np.arange(0, 0.61, 0.01))
    search = pd.DataFrame(
        [
            (ph, s, c, 0.6 + 0.01 * i + 0.02 * j, 0.03)
            for ph in ("AP", "PVP", "HBP")
            for i, s in enumerate(("ANOVA", "RFE", "ReliefF"))
            for j, c in enumerate(("RF", "SVM", "LASSO", "AdaBoost", "GP"))
        ],
        columns=["phase", "selector", "classifier", "mean_auc", "sd_auc"],
    )
    t, e, g = np.arange(1.0, 41.0), np.tile([1, 0], 20), np.repeat(["Low risk", "High risk"], 20)
    km = hs.survfit(t, e, group=g)
    return {
        "roc": ("single", roc_curves(rocs, cis=cis)),
        "calibration": ("single", calibration_curves(cals)),
        "decision": ("single", decision_curves(dcas)),
        "panels": (
            "double",
            performance_panels(
                {"training": rocs, "validation": rocs},
                {"training": cis, "validation": cis},
                {"training": cals, "validation": cals},
                {"training": dcas, "validation": dcas},
            ),
        ),
        "signature": ("double", signature_comparison(search)),
        "forest": ("double", forest_plot(fit.odds_ratios())),
        "km": ("single", hs.km_plot(km, logrank=hs.survdiff(t, e, g), title="Training set")),
        "nomogram": ("double", hs.nomogram(fit, engine="python").figure),
    }


def test_every_figure_is_printed_at_its_column_width_with_7pt_text(tmp_path, cohort):
    for name, (width, fig) in _figures(cohort).items():
        assert fig.get_figwidth() * 2.54 == pytest.approx(CM[width]), name
        assert_inside(fig)
        png, pdf = save_figure(fig, tmp_path / name, formats=("png", "pdf"))
        assert_printed(pdf, width)
        assert printed_width_cm(png_width_in(png)) == CM[width], name


@pytest.mark.r
def test_rms_nomogram_drawn_at_the_printed_width_with_7pt_text_and_same_bytes(tmp_path, cohort):
    _, fit, _ = cohort
    files = []
    for k in range(2):
        nom = hs.nomogram(fit, engine="r")
        files.append(nom.save(tmp_path / f"rms{k}", formats=("png", "pdf")))
    assert_printed(files[0][1], "double")
    assert printed_width_cm(png_width_in(files[0][0])) == 17.5
    for a, b in zip(*files):
        assert a.read_bytes() == b.read_bytes(), a.suffix  # no dates in the files


def test_rms_nomogram_refuses_text_under_7pt():
    from hccstats.rbridge.nomogram import rms_nomogram

    with pytest.raises(hs.InputError, match="pointsize"):
        rms_nomogram("low ~ age", pd.DataFrame({"low": [0, 1], "age": [1.0, 2.0]}), pointsize=7)


# ---------------------------------------------------------------- the DOCX


def _extents(docx_path) -> list[int]:
    import re

    with zipfile.ZipFile(docx_path) as z:
        xml = z.read("word/document.xml").decode()
    return [int(cx) for cx in re.findall(r'<wp:extent cx="(\d+)"', xml)]


def test_docx_inserts_each_figure_at_its_drawn_width(tmp_path):
    rep = Report("Sizes")
    sec = rep.section("Figures")
    for name, w in (("one", 8.5 / 2.54), ("two", 17.5 / 2.54), ("odd", 4.0)):
        fig = Figure(figsize=(w, 2))
        fig.add_subplot().plot([0, 1])
        sec.figure(name, fig, caption=f"Figure {name}")
    pngs = {n: png for n, (png, _) in save_figures(rep, tmp_path / "figures").items()}
    out = render_docx(rep, tmp_path / "r.docx", pngs)
    # one column, two columns (into both margins: 17.5 cm on a 17-cm text width), 4 in unscaled
    assert _extents(out) == [Cm(8.5), Cm(17.5), Inches(4.0)]


# ---------------------------------------------------------------- the risk distribution


def test_calibration_risk_distribution_counts_patients_per_bin(cohort):
    d, fit, risks = cohort
    y = d["recurrence"].to_numpy(float)
    cal = calibration_curve(y, risks["Nomogram"])
    fig = calibration_curves({"Nomogram": cal})
    (spikes,) = fig.axes[0].collections
    counts = np.histogram(np.clip(risks["Nomogram"], 0, 1), np.linspace(0, 1, 101))[0]
    heights = np.array([seg[1][1] - seg[0][1] for seg in spikes.get_segments()])
    # one spike per non-empty bin, heights proportional to the counts, the tallest 0.08
    assert len(heights) == (counts > 0).sum()
    np.testing.assert_allclose(heights, 0.08 * counts[counts > 0] / counts.max())


def test_calibration_risk_distribution_events_up_non_events_down(cohort):
    d, _, risks = cohort
    y = d["recurrence"].to_numpy(float)
    r = risks["Nomogram"]
    fig = calibration_curves({"Nomogram": calibration_curve(y, r)}, outcomes={"Nomogram": y})
    up, down = fig.axes[0].collections
    edges = np.linspace(0, 1, 101)
    ev, non = np.histogram(r[y == 1], edges)[0], np.histogram(r[y == 0], edges)[0]
    top = max(ev.max(), non.max())
    seg_up = np.array([s[1][1] - s[0][1] for s in up.get_segments()])
    seg_down = np.array([s[1][1] - s[0][1] for s in down.get_segments()])
    np.testing.assert_allclose(seg_up, 0.08 * ev[ev > 0] / top)
    np.testing.assert_allclose(seg_down, -0.08 * non[non > 0] / top)


def test_cox_calibration_drawn_with_groups_and_predicted_distribution():
    from types import SimpleNamespace as NS

    table = pd.DataFrame({"predicted": [0.3, 0.5, 0.7], "observed": [0.32, 0.5, 0.66]}).assign(
        observed_corrected=lambda t: t["observed"] - 0.02
    )
    predicted = np.linspace(0.2, 0.8, 90)
    fig = calibration_curves({"Cox model": NS(table=table, predicted=predicted)})
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels == ["Ideal", "Cox model (bias-corrected)", "Cox model (apparent)"]
    assert ax.get_lines()[1].get_marker() == "o"
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), table["observed_corrected"])
    assert sum(len(c.get_segments()) for c in ax.collections) == len(
        np.unique(np.floor(predicted * 100))
    )


def test_calibration_without_distribution_and_bad_outcomes(cohort):
    d, _, risks = cohort
    y = d["recurrence"].to_numpy(float)
    cal = calibration_curve(y, risks["Nomogram"])
    assert not calibration_curves({"N": cal}, show_distribution=False).axes[0].collections
    with pytest.raises(hs.InputError, match="outcomes"):
        calibration_curves({"N": cal}, outcomes={"N": y[:10]})


def test_report_panels_and_cox_calibration_carry_the_risk_distribution(cohort):
    d, _, risks = cohort
    y = d["recurrence"].to_numpy(float)
    r = risks["Nomogram"]
    cal = {"Nomogram": calibration_curve(y, r)}
    roc = {"Nomogram": hs.roc(y, r, direction="<")}
    dcas = hs.dca(y, {"Nomogram": r}, thresholds=np.arange(0, 0.61, 0.01))
    two = ("training", "validation")
    fig = performance_panels(
        {p: roc for p in two},
        {p: {"Nomogram": (0.6, 0.8)} for p in two},
        {p: cal for p in two},
        {p: dcas for p in two},
    )
    bins = (np.histogram(r, np.linspace(0, 1, 101))[0] > 0).sum()
    for ax in fig.axes[2:4]:  # C, D: calibration
        assert sum(len(c.get_segments()) for c in ax.collections) == bins
    # the Cox calibration at a horizon (survival.calibrate): spikes of the predicted survival
    from _survival_data import PBC_FORMULA, PBC_HORIZON, pbc

    fit = hs.coxph(PBC_FORMULA, pbc())
    cox = hs.survival.calibrate(fit, PBC_HORIZON, B=5, m=50, seed=1)
    ax = calibration_curves({"Cox model": cox}).axes[0]
    surv_bins = (np.histogram(cox.predicted, np.linspace(0, 1, 101))[0] > 0).sum()
    assert sum(len(c.get_segments()) for c in ax.collections) == surv_bins
