"""Spanning model headers and wide tables, read back from the rendered report: the HTML's
header rows, Word's merged header cells, and the page laid out by headless Chromium at the
width of a laptop screen (1280 px) and of a narrow window (800 px)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _chromium import CHROMIUM, assert_no_clipped_column, table_layout
from docx import Document
from docx.oxml.ns import qn

from reports import Report, render_all
from reports import formatting as F
from reports.layout import header_groups

MODELS = ("Clinical model (n = 1926)", "DL model (n = 1926)")


def _report() -> Report:
    rep = Report("Spanning headers")
    sec = rep.section("Results")
    t3 = pd.DataFrame(
        {
            "label": ["Intercept", "Age (per 10 years)", "Nodes"],
            "b1": [-1.83124, 0.0413, 0.0912],
            "or1": [np.nan, 1.51, 1.10],
            "lo1": [np.nan, 1.20, 1.05],
            "hi1": [np.nan, 1.90, 1.15],
            "p1": [0.2, 0.0004, 2e-6],
        }
    )
    formats = {"Variable": F.col("label", "text")}
    for m in MODELS:
        formats[f"{m}: β"] = F.col("b1", "3f")
        formats[f"{m}: OR (95% CI)"] = F.or_ci("or1", "lo1", "hi1")
        formats[f"{m}: p value"] = F.col("p1", "p*")
    sec.table("table3", t3, caption="Table 3 Multivariable logistic regression", formats=formats)
    pct = pd.DataFrame(
        {
            "model": ["Clinical model", "DL model"] * 2,
            "set": ["Training set"] * 2 + ["Validation set"] * 2,
            "auc": [0.751, 0.949, 0.715, 0.909],
            "p": [0.764, 0.907, 0.565, 0.826],
            "pv": [1e-5, np.nan, 0.002, np.nan],
        }
    )
    ci = lambda k: lambda r: f"{F.fmt_pct(r[k])} ({F.fmt_pct(r[k] - 0.1)}–{F.fmt_pct(r[k] + 0.08)})"  # noqa: E731
    sec.table(
        "discrimination",
        pct,
        caption="Table 4 Discrimination of the models in the training and validation sets",
        formats={
            "Model": F.col("model", "text"),
            "Set": F.col("set", "text"),
            "AUC (95% CI)": F.est_ci("auc", "auc", "auc"),
            "Cut-off": F.col("auc", "3f"),
            "Sensitivity, % (95% CI)": ci("p"),
            "Specificity, % (95% CI)": ci("p"),
            "Accuracy, % (95% CI)": ci("p"),
            "PPV, % (95% CI)": ci("p"),
            "NPV, % (95% CI)": ci("p"),
            "p value (DeLong)": F.col("pv", "p*"),
        },
    )
    return rep


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("spanning")
    render_all(_report(), out)
    return out


def test_header_groups_need_two_adjacent_columns_sharing_a_model_name():
    cols = ["Variable", "A: β", "A: p", "B: β", "Note: free text", "C: x", "C: y"]
    assert header_groups(cols) == [
        (None, "Variable"),
        ("A", "β"),
        ("A", "p"),
        (None, "B: β"),  # alone: printed whole
        (None, "Note: free text"),
        ("C", "x"),
        ("C", "y"),
    ]


def test_html_model_names_span_their_columns(rendered):
    page = (rendered / "report.html").read_text(encoding="utf-8")
    head = re.search(r'id="table3".*?<thead>(.*?)</thead>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", head, re.S)
    assert len(rows) == 2
    assert re.findall(r'<th colspan="3" class="span">([^<]*)</th>', rows[0]) == list(MODELS)
    assert '<th rowspan="2">Variable</th>' in rows[0]
    assert re.findall(r"<th[^>]*>([^<]*)</th>", rows[1]) == ["β", "OR (95% CI)", "p value"] * 2
    assert "(n = 1926): β" not in page  # never repeated in every header cell


def test_docx_model_names_are_merged_header_cells_repeated_on_each_page(rendered):
    doc = Document(str(rendered / "report.docx"))
    table = next(t for t in doc.tables if t.rows[0].cells[1].text == MODELS[0])
    top, sub = table.rows[0], table.rows[1]
    for row in (top, sub):
        assert row._tr.find(qn("w:trPr") + "/" + qn("w:tblHeader")) is not None
    spans = [tc.find(qn("w:tcPr") + "/" + qn("w:gridSpan")) for tc in top._tr.findall(qn("w:tc"))]
    assert [int(s.get(qn("w:val"))) if s is not None else 1 for s in spans] == [1, 3, 3]
    assert [c.text for c in sub.cells][1:] == ["β", "OR (95% CI)", "p value"] * 2
    assert sub.cells[0].text == "Variable"  # merged down from the first row
    body = [c.text for c in table.rows[2].cells]
    assert body[1] == "\u22121.831"  # a true minus sign


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`'s bootstrap")
@pytest.mark.parametrize("width", [1280, 800])
def test_html_wide_tables_use_the_screen_and_never_clip(rendered, tmp_path, width):
    layout = table_layout(rendered / "report.html", tmp_path, width)
    assert_no_clipped_column(layout)
    if width == 1280:  # every column in view, NPV and p included: nothing behind a scroll bar
        for t in layout["tables"]:
            assert t["table_width"] <= t["box_client"] + 1, t["id"]
            assert t["box_left"] >= 0 and t["box_right"] <= t["vw"]
