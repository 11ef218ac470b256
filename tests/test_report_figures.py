"""Every figure of a report run read back: the PDF's page is the declared width (one column
8.5 cm, two columns 17.5 cm), its smallest text ≥ 7 pt and thinnest line ≥ 0.5 pt, the PNG the
same width at 300 dpi, and the DOCX's picture exactly that width (EMU)."""

from __future__ import annotations

import hashlib
import re
import zipfile

import pytest
from _pdf import read_pdf_figure
from docx.shared import Cm

from reports.figures import png_width_in, printed_width_cm

#: the width each figure of the report declares (multi-panel figures: two columns)
DECLARED = {
    "fig_flow": "double",
    "fig_signature_search": "double",
    "fig_model_performance": "double",
    "fig_km_training": "single",
    "fig_km_validation": "single",
    "fig_survival_calibration_dca": "double",
}
CM = {"single": 8.5, "double": 17.5}
PAGE_TOL_PT = 0.5  # R's pdf() writes the page size in whole points


def declared(name: str) -> str:
    return "double" if name.startswith("fig_nomogram") else DECLARED[name]


@pytest.fixture(scope="module")
def report(demo_clinical_report):
    """The output folder of the session's demo report run (tests/conftest.py)."""
    return demo_clinical_report[1]


@pytest.mark.slow
def test_every_report_figure_at_its_declared_width_with_7pt_text(report):
    pdfs = sorted((report / "figures").glob("*.pdf"))
    names = {p.stem for p in pdfs}
    assert {"fig_flow", "fig_model_performance", "fig_km_training"} <= names, names
    assert any(n.startswith("fig_nomogram") for n in names)
    for pdf in pdfs:
        width = CM[declared(pdf.stem)]
        fig = read_pdf_figure(pdf)
        assert fig.width_pt == pytest.approx(width / 2.54 * 72, abs=PAGE_TOL_PT), pdf.stem
        assert min(fig.font_sizes) >= 7.0 - 1e-9, (pdf.stem, sorted(set(fig.font_sizes))[:4])
        assert min(fig.line_widths) >= 0.5 - 1e-9, (pdf.stem, sorted(set(fig.line_widths))[:4])
        assert printed_width_cm(png_width_in(pdf.with_suffix(".png"))) == width, pdf.stem


@pytest.mark.slow
def test_docx_pictures_are_the_declared_widths_unscaled(report):
    by_hash = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.stem
        for p in (report / "figures").glob("*.png")
    }
    with zipfile.ZipFile(report / "report.docx") as z:
        xml = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        target = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="(media/[^"]+)"', rels))
        pictures = re.findall(
            r'<wp:extent cx="(\d+)" cy="\d+"/>.*?r:embed="(rId\d+)"', xml, flags=re.S
        )
        seen = []
        for cx, rid in pictures:
            name = by_hash[hashlib.sha256(z.read(f"word/{target[rid]}")).hexdigest()]
            assert int(cx) == Cm(CM[declared(name)]), (name, int(cx) / 360000)
            seen.append(name)
    assert sorted(seen) == sorted(by_hash.values())  # every figure is in the DOCX, once
