"""The study file's ``report:`` section on a real run (R's MASS::birthwt, clinical only): the
sections in the chosen order, unlisted ones and those the study has no data for left out,
main and supplementary numbering in the rendered order, both nomogram engines, the R-check
table back in report.docx; and bad ``report:`` values refused at load (exit 2, one line).

Oracles: report.html and report.docx read back (html.parser, python-docx), r_check.csv and
results.json of the same run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from _docx import columns as docx_columns
from docx import Document
from test_report_pipeline import STUDY_YAML, _birthwt, _run
from test_report_tables import html_table

from hccstats import InputError

LAYOUT = """\
analysis: {B: 20}
report:
  sections: [models, performance, flow, univariate, agreement, rcheck, methods]
  supplementary: [flow, univariate, rcheck, methods]
  nomogram: both
  r_check_in_docx: true
"""
_LABEL = re.compile(r"^(Supplementary Table|Supplementary Fig\.|Table|Fig\.) (\d+)([a-z]?) ")


def _study(folder: Path, extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _birthwt().to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(STUDY_YAML + extra, encoding="utf-8")
    return folder / "study.yaml"


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("layout")
    out = folder / "report"
    proc = _run("--config", str(_study(folder / "study", LAYOUT)), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def _paragraphs(out: Path) -> list[str]:
    return [p.text for p in Document(str(out / "report.docx")).paragraphs]


def _captions(paras: list[str]) -> list[tuple[str, int, str, str]]:
    """(label, number, panel, caption) of every numbered caption, in document order."""
    out = []
    for p in paras:
        m = _LABEL.match(p)
        if m:
            out.append((m.group(1), int(m.group(2)), m.group(3), p))
    return out


@pytest.mark.r
def test_sections_rendered_in_the_chosen_order_and_only_those(laid_out):
    paras = _paragraphs(laid_out)
    headings = [p for p in paras if re.match(r"\d+\. ", p)]
    assert headings == [
        "1. Multivariable models and nomograms",
        "2. Model performance",
        "3. Patient flow",
        "4. Univariable analysis and collinearity",
        "5. R cross-check",
        "6. Methods and TRIPOD+AI checklist",
    ]
    page = (laid_out / "report.html").read_text(encoding="utf-8")
    toc = re.findall(r'<a href="#sec-\d+">\d+\. ([^<]+)</a>', page)
    assert toc == [h.split(". ", 1)[1] for h in headings]
    # baseline is not listed: not rendered (no heading, no table), yet computed (results.json
    # holds its numbers; the methods still say how they were computed)
    assert not any(
        p.startswith(("Table", "Supplementary Table")) and "Baseline" in p for p in paras
    )
    assert "Baseline characteristics of" not in page
    assert not (laid_out / "tables" / "supp_baseline_split.csv").exists()
    res = json.loads((laid_out / "results.json").read_text())
    assert res["stages"]["baseline"] == "ok" and res["baseline"]
    # agreement is listed but the study has no readers: left out, named in the methods
    assert res["stages"]["agreement"] == "not available"
    assert "not available" not in page
    methods = (laid_out / "methods.md").read_text(encoding="utf-8")
    assert "Not part of this study: reader agreement (no readers)" in methods


@pytest.mark.r
def test_main_and_supplementary_numbers_follow_the_rendered_order(laid_out):
    paras = _paragraphs(laid_out)
    caps = _captions(paras)
    for label in ("Table", "Supplementary Table", "Fig.", "Supplementary Fig."):
        numbers = list(dict.fromkeys(n for lab, n, _, _ in caps if lab == label))
        assert numbers == list(range(1, len(numbers) + 1)), (label, numbers)
    # the multivariable table comes first; the models' selection steps (supplementary by
    # default) are main here, as their section is not listed under supplementary
    assert caps[0][3].startswith("Table 1 Multivariable logistic regression")
    steps = next(c for c in caps if "selection steps" in c[3])
    assert steps[0] == "Table"
    flow = [c for c in caps if "Patient flow" in c[3] or "Flowchart" in c[3]]
    assert [(c[0], c[1]) for c in flow] == [("Supplementary Table", 1), ("Supplementary Fig.", 1)]
    # the references to tables follow the new numbers: the checklist's "reported (...)"
    perf = next(c for c in caps if "Predictive performance of the models" in c[3])
    tripod = html_table(laid_out, "TRIPOD+AI item", "Status").set_index("TRIPOD+AI item")
    assert tripod.loc["15", "Status"] == f"reported ({perf[0]} {perf[1]})"
    res = json.loads((laid_out / "results.json").read_text())
    item = next(r for r in res["methods"]["tripod"] if r["item"] == "15")
    assert item["status"] == f"reported ({perf[0]} {perf[1]})"
    csv = pd.read_csv(laid_out / "tables" / "tripod.csv", dtype=str).set_index("item")
    assert csv.loc["15", "status"] == f"reported ({perf[0]} {perf[1]})"
    # the baseline tables are not rendered: the checklist does not point to them
    assert tripod.loc["20b", "Status"] == "not reported"
    # the HTML shows the same captions as the DOCX, and every reference is to one of them
    page = (laid_out / "report.html").read_text(encoding="utf-8")
    shown = re.findall(r"<b>((?:Supplementary )?(?:Table|Fig\.) \d+[a-z]?)</b>", page)
    assert shown == [f"{lab} {n}{panel}" for lab, n, panel, _ in caps]
    labels = {f"{lab} {n}" for lab, n, _, _ in caps}
    cited = set(re.findall(r"(?:Supplementary )?(?:Table|Fig\.) \d+", page))
    assert cited <= labels, cited - labels


@pytest.mark.r
def test_both_nomogram_engines_as_panels(laid_out):
    caps = [c for c in _captions(_paragraphs(laid_out)) if "Clinical nomogram" in c[3]]
    assert [(c[0], c[1], c[2]) for c in caps] == [("Fig.", 1, "a"), ("Fig.", 1, "b")]
    assert "drawn by rms" in caps[0][3] and "drawn natively by hccstats" in caps[1][3]
    for stem in ("fig_nomogram_clinical_rms", "fig_nomogram_clinical"):
        assert (laid_out / "figures" / f"{stem}.png").stat().st_size > 10_000, stem
    res = json.loads((laid_out / "results.json").read_text())
    assert res["models"]["Clinical model"]["nomogram"]["engines"] == ["r", "python"]
    methods = (laid_out / "methods.md").read_text(encoding="utf-8")
    assert "by rms::nomogram and natively by hccstats (the same points table)." in methods


@pytest.mark.r
def test_r_check_table_in_the_docx_when_asked(laid_out):
    doc = Document(str(laid_out / "report.docx"))
    check = pd.read_csv(laid_out / "r_check.csv")
    table = next(t for t in doc.tables if docx_columns(t)[:2] == ["Stage", "Quantity"])
    assert len(table.rows) - 1 == len(check) > 20
    assert not any("rows of this table are in report.html" in p.text for p in doc.paragraphs)


def _load_error(tmp_path: Path, report: str) -> str:
    from hccstats.study import load

    with pytest.raises(InputError) as err:
        load(_study(tmp_path, f"report: {report}\n"))
    return str(err.value)


@pytest.mark.parametrize(
    "report, says",
    [
        ("{sectoins: [flow]}", "report: unknown key 'sectoins'; did you mean 'sections'?"),
        ("{sections: [flow, tables]}", "report.sections: unknown section 'tables'"),
        ("{sections: [flow, flow]}", "report.sections: section(s) listed twice: ['flow']"),
        ("{sections: []}", "report.sections: expected at least one section"),
        ("{sections: {flow: 1}}", "report.sections: expected a list of section names"),
        ("{supplementary: [univariat]}", "unknown section 'univariat'; did you mean 'univariate'?"),
        ("{nomogram: R}", "report.nomogram: expected one of rms, native, both, got 'R'"),
        ("{r_check_in_docx: maybe}", "report.r_check_in_docx: expected true or false"),
        ("[flow]", "report: expected a mapping, got list"),
    ],
)
def test_bad_report_values_are_refused_at_load_naming_the_key(tmp_path, report, says):
    line = _load_error(tmp_path, report)
    assert says in line and line.startswith("study.yaml: report") and "\n" not in line, line


def test_bad_report_value_exits_2_with_one_line_before_any_stage(tmp_path):
    cfg = _study(tmp_path / "s", "report: {nomogram: rms-and-native}\n")
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: study.yaml: report.nomogram: expected one of"), lines
    assert not (tmp_path / "out").exists()


def test_every_stage_is_a_section_key():
    from hccstats.report import STAGES
    from hccstats.study import SECTION_KEYS, layout_defaults

    assert tuple(m[3:] for m, _ in STAGES) == SECTION_KEYS
    assert layout_defaults()["sections"] == SECTION_KEYS
    assert layout_defaults()["nomogram"] == "rms" and not layout_defaults()["r_check_in_docx"]


@pytest.mark.r
@pytest.mark.parametrize(
    "engine, use_r, drawn",
    [
        ("native", True, ["python"]),
        ("rms", True, ["r"]),
        ("both", True, ["r", "python"]),
        ("rms", False, ["python"]),  # --no-r: the native drawing instead
        ("both", False, ["python"]),
    ],
)
def test_nomogram_engines_drawn_per_report_nomogram(tmp_path, engine, use_r, drawn):
    from hccstats import lrm
    from hccstats.report import _s_models
    from hccstats.report._context import Context, Options
    from hccstats.study import load
    from reports import Report

    study = load(_study(tmp_path / "s", f"report: {{nomogram: {engine}}}\n"))
    ctx = Context(
        study,
        Options(use_r=use_r),
        tmp_path,
        tmp_path,
        Report("r"),
        labels=dict(study.labels),
    )
    fit = lrm("low ~ lwt + ht + ui", study.data)
    out, error = _s_models._nomograms(ctx, fit, "fig_nomogram_x", {})
    assert [e for e, _, _ in out] == drawn and error == ""
    stems = {s for _, _, s in out}
    assert stems == (
        {"fig_nomogram_x_rms", "fig_nomogram_x"} if len(drawn) == 2 else {"fig_nomogram_x"}
    )
    for s in stems:
        assert (tmp_path / f"{s}.png").stat().st_size > 10_000, s
