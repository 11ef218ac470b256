"""reports/ renderers: DOCX read back with python-docx, HTML parsed, CSV/JSON bytes, atomic output."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from docx import Document

from reports import OutputExistsError, Report, atomic_dir, csv_text, json_text, render_all
from reports import formatting as F


def _report() -> Report:
    rep = Report("Test report", subtitle="A study\nseed 1")
    sec = rep.section("Discrimination")
    data = pd.DataFrame(
        {
            "model": ["Clinical", "DL nomogram"],
            "auc": [0.7512, 0.94912],
            "ci_low": [0.674, 0.91876],
            "ci_high": [0.827, 0.98004],
            "p_value": [2e-5, np.nan],
        }
    )
    sec.table(
        "table4",
        data,
        caption="Table 4 Predictive performance",
        formats={
            "Model": lambda r: r["model"],
            "AUC (95% CI)": F.est_ci("auc", "ci_low", "ci_high"),
            "p value": F.col("p_value", "p*"),
        },
        footnote="AUC, area under the curve.",
    )
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    sec.figure("fig6a", fig, caption="Fig. 6A ROC curves")
    sec.text("Some text.")
    bad = rep.section("Signature")
    bad.status, bad.message = "failed", "no feature passed the Spearman filter"
    return rep


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.imgs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])
        if tag in ("link", "script"):
            src = dict(attrs).get("src") or dict(attrs).get("href")
            assert src is None, f"external resource {src}"

    def handle_data(self, data):
        self.text.append(data)


def test_render_all_writes_docx_html_csv_png_pdf(tmp_path):
    rep = _report()
    written = render_all(rep, tmp_path)
    assert set(written) == {"tables/table4.csv", "report.html", "report.docx"}
    png, pdf = tmp_path / "figures/fig6a.png", tmp_path / "figures/fig6a.pdf"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.read_bytes()[:4] == b"%PDF"
    from PIL import Image  # matplotlib's dependency

    assert round(Image.open(png).info["dpi"][0]) == 300

    # DOCX read back: the table with its header and formatted cells, captions, the figure, the failed stage
    doc = Document(str(tmp_path / "report.docx"))
    assert len(doc.tables) == 1
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == ["Model", "AUC (95% CI)", "p value"]
    assert [c.text for c in t.rows[2].cells] == ["DL nomogram", "0.949 (0.919\u20130.980)", "NA"]
    assert t.rows[1].cells[2].text == "< 0.001*"
    paras = [p.text for p in doc.paragraphs]
    assert "Table 4 Predictive performance" in paras and "Fig. 6A ROC curves" in paras
    assert any("no feature passed the Spearman filter" in p for p in paras)
    assert any("(failed)" in p for p in paras)
    assert len(doc.inline_shapes) == 1
    # three-line table: top and bottom rules on the table, a rule under the header, no vertical lines
    xml = t._tbl.xml
    assert (
        'w:top w:val="single"' in xml
        and 'w:bottom w:val="single"' in xml
        and 'w:insideV w:val="nil"' in xml
    )

    # HTML: parses, self-contained (figure inline as a PNG), the same cells
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    assert parser.tags.count("table") == 1 and parser.tags.count("img") == 1
    assert parser.imgs[0].startswith("data:image/png;base64,")
    assert base64.b64decode(parser.imgs[0].split(",", 1)[1])[:4] == b"\x89PNG"
    text = " ".join(parser.text)
    assert "0.949 (0.919\u20130.980)" in text and "< 0.001*" in text and "failed" in text

    # CSV keeps raw unrounded numbers
    csv = pd.read_csv(tmp_path / "tables/table4.csv")
    assert csv["auc"].tolist() == [0.7512, 0.94912]


def test_csv_and_json_are_deterministic_and_unrounded():
    df = pd.DataFrame({"b": [1 / 3, np.nan], "a": pd.Categorical(["x", "y"])})
    assert csv_text(df) == csv_text(df.copy()) == "b,a\n0.3333333333333333,x\nNA,y\n"
    obj = {"z": 1 / 3, "a": [np.float64(np.nan), np.int64(2)], "df": df}
    text = json_text(obj)
    back = json.loads(text)
    assert list(back) == ["a", "df", "z"] and back["z"] == 1 / 3 and back["a"] == [None, 2]
    assert back["df"][0] == {"a": "x", "b": 1 / 3}


def test_atomic_dir_refuses_nonempty_out_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputExistsError, match="--force"):
        with atomic_dir(out):
            pass
    assert (out / "keep.txt").read_text() == "x"
    with pytest.raises(OutputExistsError, match="not a folder written by a previous report"):
        with atomic_dir(out, force=True):  # --force replaces only what a report wrote
            pass
    assert (out / "keep.txt").read_text() == "x"
    (out / "keep.txt").unlink()
    with atomic_dir(out) as tmp:
        (tmp / "old.txt").write_text("x")
    with atomic_dir(out, force=True) as tmp:
        (tmp / "new.txt").write_text("y")
    assert sorted(p.name for p in out.iterdir()) == [".hccstats-report", "new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_atomic_dir_failure_leaves_previous_output(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_dir(out, force=True) as tmp:
            (tmp / "a.txt").write_text("half")
            raise RuntimeError("stage crashed")
    assert (out / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_dir_never_replaces_a_folder_holding_inputs(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.yaml").write_text("name: x\n")
    with pytest.raises(OutputExistsError, match="holds the input"):
        with atomic_dir(tmp_path, force=True, protect=[study / "study.yaml"]):
            pass
    assert (study / "study.yaml").exists()


def test_atomic_dir_empty_existing_out_is_allowed_and_stale_partials_cleaned(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = tmp_path / ".out.partial-999999999-abc"  # a SIGKILLed run's leftover (pid not alive)
    stale.mkdir()
    with atomic_dir(out) as tmp:
        (tmp / "x").write_text("1")
    assert (out / "x").exists() and not stale.exists()
