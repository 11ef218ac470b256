"""Journal layout of the rendered report, read back: DOCX through python-docx and its XML, HTML
laid out by headless Chromium at 800 px.

Oracles: Word's own markup (w:tblHeader, w:jc, w:pgSz, SEQ fields in the Caption style), the
published Adobe Times-Roman glyph widths for the widths a number needs, and the browser's
measured layout.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _chromium import CHROMIUM, assert_no_clipped_column, table_layout
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from reports import Report, render_all
from reports import formatting as F
from reports.layout import numeric_columns

# Adobe Times-Roman AFM advance widths (1/1000 em), the metrics of Times New Roman's glyphs
TIMES_AFM = {
    **dict.fromkeys("0123456789", 500),
    ".": 250,
    ",": 250,
    " ": 250,
    "(": 333,
    ")": 333,
    "\u2013": 500,
    "<": 564,
    "*": 500,
    "%": 833,
    "\u00d7": 564,
    "-": 333,
}
SUPERSCRIPT = 500 * 0.6  # a superscript digit is set at about 60% (bounded above by a full digit)


def _times_cm(text: str, size_pt: float) -> float:
    em = sum(TIMES_AFM.get(c, SUPERSCRIPT if c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻" else 1000) for c in text)
    return em / 1000 * size_pt * 2.54 / 72


def _report() -> Report:
    rng = np.random.default_rng(7)
    rep = Report("Layout report")
    sec = rep.section("Results")
    perf = pd.DataFrame(
        {
            "model": ["Clinical model", "DL model"],
            "auc": [0.7512, 0.94912],
            "lo": [0.674, 0.91876],
            "hi": [0.827, 0.98004],
            "p": [2e-5, np.nan],
            "events": [54, 120],
            "n": [195, 285],
            "or": [1.6e15, 3.07],
        }
    )
    sec.table(
        "table4",
        perf,
        caption="Table 4 Predictive performance of the models",
        formats={
            "Model": F.col("model", "text"),
            "AUC (95% CI)": F.est_ci("auc", "lo", "hi"),
            "p value": F.col("p", "p*"),
            "Events": lambda r: F.fmt_n_pct(r["events"], r["n"]),
            "OR": F.col("or", "or"),
        },
        footnote="AUC, area under the curve.",
    )
    long = pd.DataFrame(
        {
            "variable": [f"Laboratory value number {i}" for i in range(90)],
            "median": rng.normal(50, 10, 90),
            "p": rng.uniform(0, 1, 90),
        }
    )
    sec.table(
        "supp_long",
        long,
        caption="Supplementary Table 1 Ninety variables (more than one page)",
        formats={
            "Variable": F.col("variable", "text"),
            "Median": F.col("median", "1f"),
            "p value": F.col("p", "p"),
        },
    )
    feats = ["Arterial phase hyperenhancement", "Non-peripheral washout", "Enhancing capsule"]
    agree = pd.DataFrame(
        {
            "label": feats,
            "distribution": [
                "absent 120 (42.1%); present 165 (57.9%); indeterminate 0 (0.0%)",
                "absent 98 (34.4%); present 187 (65.6%); indeterminate 0 (0.0%)",
                "absent 201 (70.5%); present 84 (29.5%); indeterminate 0 (0.0%)",
            ],
            "k1": [0.81, 0.72, 0.64],
            "k1lo": [0.74, 0.63, 0.55],
            "k1hi": [0.88, 0.81, 0.73],
            "k2": [0.77, 0.69, 0.58],
            "k2lo": [0.70, 0.60, 0.49],
            "k2hi": [0.84, 0.78, 0.67],
        }
    )
    sec.table(
        "agreement",
        agree,
        caption="Supplementary Table 2 Intra- and inter-reader agreement of the qualitative MR "
        "features",
        formats={
            "Feature": F.col("label", "text"),
            "Distribution (first reading)": F.col("distribution", "text"),
            "Intra-reader κ (95% CI)": F.est_ci("k1", "k1lo", "k1hi", 2),
            "Intra-reader agreement": lambda r: "excellent" if r["k1"] > 0.8 else "good",
            "Inter-reader κ (95% CI)": F.est_ci("k2", "k2lo", "k2hi", 2),
            "Inter-reader agreement": lambda r: "good" if r["k2"] > 0.6 else "moderate",
        },
    )
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    sec.figure("fig_roc", fig, caption="Fig. 2 ROC curves")
    sec.figure("fig_nom_r", fig, caption="Fig. 3a Nomogram drawn by rms")
    sec.figure("fig_nom_py", fig, caption="Fig. 3b Nomogram drawn natively")
    plt.close(fig)
    sec.table(
        "table5",
        perf.iloc[:1],
        caption="Table 5 After the figure",
        formats={"Model": F.col("model", "text"), "AUC": F.col("auc", "3f")},
    )
    return rep


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    rep = _report()
    render_all(rep, out)
    return rep, out


def _section_of(doc, tbl_element):
    """The w:sectPr that governs a body element: the next paragraph-level one, or the body's."""
    el = tbl_element.getnext()
    while el is not None:
        sp = el.find(qn("w:pPr") + "/" + qn("w:sectPr")) if el.tag == qn("w:p") else None
        if sp is not None:
            return sp
        el = el.getnext()
    return doc.element.body.find(qn("w:sectPr"))


def _page(sect):
    sz = sect.find(qn("w:pgSz"))
    mar = sect.find(qn("w:pgMar"))
    w, h = int(sz.get(qn("w:w"))), int(sz.get(qn("w:h")))
    text = w - int(mar.get(qn("w:left"))) - int(mar.get(qn("w:right")))
    return w, h, sz.get(qn("w:orient")), text


def test_docx_numbers_right_aligned_and_header_repeats_against_word_markup(rendered):
    rep, out = rendered
    doc = Document(str(out / "report.docx"))
    assert len(doc.tables) == len(rep.tables()) == 4
    for table, spec in zip(doc.tables, rep.tables()):
        disp = spec.display()
        numeric = numeric_columns(disp)
        rows = table.rows
        # header: w:tblHeader on the first row only (Word repeats it on every page)
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in rows[1:])
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        for j, is_num in enumerate(numeric):
            want = WD_ALIGN_PARAGRAPH.RIGHT if is_num else None
            for r in rows:
                assert r.cells[j].paragraphs[0].alignment == want, (spec.name, j, r.cells[j].text)
    perf = doc.tables[0]
    assert [c.text for c in perf.rows[0].cells] == [
        "Model",
        "AUC (95% CI)",
        "p value",
        "Events",
        "OR",
    ]
    assert numeric_columns(rep.tables()[0].display()) == [False, True, True, True, True]


def test_docx_captions_caption_style_with_seq_fields_against_word_markup(rendered):
    rep, out = rendered
    doc = Document(str(out / "report.docx"))
    caps = [p for p in doc.paragraphs if p.style.name == "Caption"]
    texts = [p.text for p in caps]
    # every table and figure caption, in order, reads as written (field results included)
    want = [b.caption for s in rep.sections for b in s.blocks if hasattr(b, "caption")]
    assert texts == want
    seqs = []
    counters: dict[str, int] = {}
    offset = {"Table": 3, "Figure": 1}  # the test report starts at Table 4 and Fig. 2
    for p in caps:
        instr = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        m = re.fullmatch(r" SEQ (\w+) (\\c )?\\\* ARABIC ", instr)
        assert m, instr
        seqs.append(m.group(1))
        # Word's SEQ: each field counts up in its sequence, "\c" repeats the last number; after
        # Word updates the fields, every caption must still show its own number
        counters[m.group(1)] = counters.get(m.group(1), 0) + (0 if m.group(2) else 1)
        shown = re.match(r"(?:Supplementary )?(?:Table|Fig\.) (\d+)", p.text).group(1)
        assert int(shown) == counters[m.group(1)] + offset.get(m.group(1), 0), p.text
        kinds = [f.get(qn("w:fldCharType")) for f in p._p.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"]
        # a bookmark around label and number: what Word's cross-reference points to
        starts = p._p.findall(qn("w:bookmarkStart"))
        ends = p._p.findall(qn("w:bookmarkEnd"))
        assert len(starts) == len(ends) == 1
        assert starts[0].get(qn("w:id")) == ends[0].get(qn("w:id"))
    assert seqs == [
        "Table",
        "SupplementaryTable",
        "SupplementaryTable",
        "Figure",
        "Figure",
        "Figure",
        "Table",
    ]
    names = [p._p.find(qn("w:bookmarkStart")).get(qn("w:name")) for p in caps]
    assert len(set(names)) == len(names) and all(len(n) <= 40 and n[0].isalpha() for n in names)
    ids = [p._p.find(qn("w:bookmarkStart")).get(qn("w:id")) for p in caps]
    assert len(set(ids)) == len(ids)
    # SEQ counts: Word numbers "Table" 4 then 5 only if these are the 4th and 5th; the result
    # shown is the caption's own number
    assert caps[0].text.startswith("Table 4") and caps[-1].text.startswith("Table 5")


def test_docx_wide_table_on_landscape_section_widths_fit_content_against_times_metrics(rendered):
    rep, out = rendered
    doc = Document(str(out / "report.docx"))
    body = doc.element.body
    for table, spec in zip(doc.tables, rep.tables()):
        w, h, orient, text_w = _page(_section_of(doc, table._tbl))
        if spec.name == "agreement":
            assert orient == "landscape" and w > h
        else:
            assert orient in (None, "portrait") and w < h, spec.name
        grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert sum(grid) <= text_w + 1, spec.name
        disp = spec.display()
        size = 9 if len(disp.columns) <= 6 else 8
        for j, is_num in enumerate(numeric_columns(disp)):
            width_cm = grid[j] / 1440 * 2.54 - 0.38  # less Word's default cell margins
            if is_num:  # a number never wraps: the column holds its widest cell in Times
                need = max(_times_cm(str(v), size) for v in disp.iloc[:, j])
                assert width_cm >= need, (spec.name, disp.columns[j], width_cm, need)
        # fitted to content, not equal shares: the long text column is the widest
        if spec.name == "agreement":
            assert grid[1] == max(grid) and grid[1] > 1.5 * min(grid)
    # the landscape section is only the wide table's: the figure after it is on a portrait page
    pics = body.findall(".//" + qn("w:drawing"))
    assert len(pics) == 3
    for para in pics:
        while para.tag != qn("w:p"):
            para = para.getparent()
        w, h, orient, _ = _page(_section_of(doc, para))
        assert w < h


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`'s bootstrap")
def test_html_no_column_clipped_at_800px_in_headless_chromium(rendered, tmp_path):
    _, out = rendered
    layout = table_layout(out / "report.html", tmp_path, 800)
    assert 780 <= layout["vw"] <= 800
    assert len(layout["tables"]) == 4
    assert_no_clipped_column(layout)
    by_id = {t["id"]: t for t in layout["tables"]}
    # text columns wrap: the four-column tables fit 800 px without scrolling
    for name in ("table4", "supp_long", "table5"):
        assert by_id[name]["table_width"] <= by_id[name]["box_client"] + 1, name


@pytest.mark.parametrize(
    "raw, shown",
    [
        (">=500", "≥500"),  # HBV-DNA level as typed in a study file
        ("<=3 cm", "≤3 cm"),
        ("Neutrophil count (10^9/L)", "Neutrophil count (×10⁹/L)"),
        ("Platelets (x10^9/L)", "Platelets (×10⁹/L)"),
        ("Platelets (x 10^9/L)", "Platelets (×10⁹/L)"),
        ("2x10^9", "2×10⁹"),
        ("p < 10^(-3)", "p < 10⁻³"),
        ("exp(10^2)", "exp(10²)"),
        ("mean +/- SD", "mean ± SD"),
        ("box10^9", "box10^9"),  # not a power of ten
        ("Tumour size ≥ 5 cm", "Tumour size ≥ 5 cm"),
    ],
)
def test_typeset_against_si_brochure_notation(raw, shown):
    # SI Brochure (BIPM, 9th ed., 5.4.4): "×" for multiplication, exponents as superscripts
    assert F.typeset(raw) == shown


def test_typography_in_rendered_docx_and_html(tmp_path):
    rep = Report("Typography")
    sec = rep.section("Baseline")
    data = pd.DataFrame(
        {"variable": ["HBV-DNA >=500 IU/mL", "Neutrophil count (10^9/L)"], "n": [3, 4]}
    )
    sec.table(
        "t1",
        data,
        caption="Table 1 Patients with AFP >= 400 ng/mL",
        formats={"Variable (x10^9/L)": F.col("variable", "text"), "n": "int"},
        footnote="Counts of patients with values >= the cut-off.",
    )
    sec.text("Platelets in x10^9/L.")
    render_all(rep, tmp_path)
    doc = Document(str(tmp_path / "report.docx"))
    body = "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    for text in (body, page):
        assert ">=" not in text.replace("&gt;=", ">=") and "&gt;=" not in text
        assert "10^" not in text and "x10" not in text
        for shown in (
            "HBV-DNA ≥500 IU/mL",
            "Neutrophil count (×10⁹/L)",
            "Variable (×10⁹/L)",
            "AFP ≥ 400 ng/mL",
            "values ≥ the cut-off",
            "Platelets in ×10⁹/L.",
        ):
            assert shown in text, shown
    # the CSV keeps the data as given
    assert ">=500" in (tmp_path / "tables" / "t1.csv").read_text(encoding="utf-8")
