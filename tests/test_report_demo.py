"""`python -m hccstats.report --demo` end to end: synthetic cohort, extraction on CPU, signatures, R check.

One full run (about 1.5–3 minutes on the 2-core reference machine) shared by the tests of this module, and a
second one at the same time for determinism.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from _docx import body as docx_body
from _docx import columns as docx_columns
from docx import Document

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _demo_command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "hccstats.report", "--demo", "--out", str(out), *extra]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two demo runs at once (the second, quiet, for the determinism test): on two cores their
    single-threaded stages overlap, so both take less time than one after the other."""
    base = tmp_path_factory.mktemp("demo")
    second = subprocess.Popen(
        _demo_command(base / "again", "--quiet"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out = base / "demo-report"
        t0 = time.perf_counter()
        proc = subprocess.run(
            _demo_command(out), cwd=ROOT, capture_output=True, text=True, timeout=1200
        )
        yield (out, proc, time.perf_counter() - t0), (base / "again", second)
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate()


@pytest.fixture(scope="module")
def demo(runs):
    (out, proc, seconds), _ = runs
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stderr, seconds  # the progress lines go to stderr


def test_demo_runs_every_stage(demo):
    out, log, seconds = demo
    res = json.loads((out / "results.json").read_text())
    # every stage ran, but the Cox-model stage, which belongs to a study with no binary outcome
    stages = dict(res["stages"])
    assert stages.pop("cox") == "not available" and set(stages.values()) == {"ok"}, res["stages"]
    assert not res["failed_stages"]
    from hccstats.report import STAGES

    n = len(STAGES)
    for i in range(1, n + 1):
        assert f"[{i}/{n}]" in log
    assert "feature extraction" in log and "signature search" in log
    print(f"demo report: {seconds:.1f} s")


@pytest.mark.r
def test_demo_r_check_all_agree_against_r(demo):
    out, _, _ = demo
    check = pd.read_csv(out / "r_check.csv")
    assert check["agree"].all(), check.loc[~check["agree"], ["quantity", "hccstats", "r"]]
    stages = set(check["stage"])
    assert {"baseline", "agreement", "signatures", "univariate", "models", "performance"} <= stages
    res = json.loads((out / "results.json").read_text())
    assert res["r_check"]["all_agree"] is True
    # signature ORs per 0.1 increase, recomputed in R with the same scaling (exp(0.1 * coef))
    per = check[check["quantity"].str.contains("OR per 0.1")]
    assert {"signatures", "univariate", "models"} <= set(per["stage"]) and per["agree"].all()
    assert (per["hccstats"] < 50).all()  # per 1 unit these read as 1e3-1e15


def test_demo_reproduces_the_studys_tables_and_figures(demo):
    out, _, _ = demo
    doc = Document(str(out / "report.docx"))
    captions = [p.text for p in doc.paragraphs]
    for start in ("Table 1 ", "Table 2 ", "Table 3 ", "Table 4 "):
        assert any(c.startswith(start) for c in captions), start
    assert len(doc.tables) >= 12
    figures = {p.stem for p in (out / "figures").glob("*.png")}
    assert {
        "fig_flow",
        "fig_signature_search",
        "fig_nomogram_dl",
        "fig_model_performance",
    } <= figures
    assert all((out / "figures" / f"{f}.pdf").exists() for f in figures)
    methods = (out / "methods.md").read_text()
    for word in (
        "Mann–Whitney",
        "Cohen",
        "Fleiss",
        "forward",
        "DeLong",
        "bootstrap",
        "decision curve",
        "seed",
        "VGG19",
        "R 4",
        "pROC",
    ):
        assert word in methods, word
    res = json.loads((out / "results.json").read_text())
    terms = res["models"]["DL model"]["terms"]
    assert "sig_mp_MR" in terms  # the mp-MR signature enters the DL model, as in the study


@pytest.mark.r
def test_demo_nomograms_drawn_by_rms_one_per_model(demo):
    # the clinical and the DL nomogram, each drawn once, by rms (report.nomogram's default)
    out, _, _ = demo
    for model in ("clinical", "dl"):
        stem = f"fig_nomogram_{model}"
        assert (out / "figures" / f"{stem}.png").stat().st_size > 10_000, stem
        assert not (out / "figures" / f"{stem}_rms.png").exists(), stem
    captions = [
        p.text for p in Document(str(out / "report.docx")).paragraphs if p.text.startswith("Fig. ")
    ]
    for display in ("Clinical nomogram", "DL nomogram"):
        mine = [c for c in captions if f" {display} (" in c]
        assert len(mine) == 1 and "drawn by rms" in mine[0], mine
    assert not any("Nomogram of the" in c for c in captions)
    res = json.loads((out / "results.json").read_text())
    assert res["models"]["DL model"]["nomogram"]["engines"] == ["r"]


def test_demo_nomogram_shows_ordinal_levels(demo):
    # BCLC stage (levels 0/A/B) enters the models as scores 1/2/3: the nomogram's ticks read 0, A, B
    out, _, _ = demo
    res = json.loads((out / "results.json").read_text())
    for model in res["models"].values():
        rows = [r for r in model["nomogram"]["points"] if r["variable"] == "bclc"]
        if rows:
            assert {r["x"]: r["value"] for r in rows} == {1.0: "0", 2.0: "A", 3.0: "B"}
            break
    else:
        pytest.skip("BCLC stage entered no model")


def test_demo_twice_gives_identical_bytes(demo, runs):
    """Extraction, signature search, bootstrap calibration: the same seed gives the same files, byte for byte."""
    out, _, _ = demo
    again, second = runs[1]
    _, err = second.communicate(timeout=1200)
    assert second.returncode == 0, err[-3000:]
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert len(files) > 15 and Path("report.docx") in files  # every file: DOCX and PDFs too
    assert sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file()) == files
    for rel in files:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def _docx_table(out: Path, first: str, header_part: str) -> pd.DataFrame:
    for t in Document(str(out / "report.docx")).tables:
        head = docx_columns(t)
        if head[0] == first and any(header_part in h for h in head):
            return pd.DataFrame([[c.text for c in r.cells] for r in docx_body(t)], columns=head)
    raise AssertionError(f"no table {first!r} … {header_part!r}")


def test_demo_two_models_dash_for_absent_and_delong_column_against_results(demo):
    """Two models: Table 3 shows "—" where a model lacks a variable, Table 4 a DeLong column."""
    out, _, _ = demo
    res = json.loads((out / "results.json").read_text())
    t3 = _docx_table(out, "Variable", ": β")
    assert t3.iloc[0]["Variable"] == "Intercept"
    clinical_or = next(c for c in t3.columns if c.startswith("Clinical model (n = "))
    sig = t3[t3["Variable"].str.contains("DL signature")].iloc[0]
    assert sig[clinical_or] == "—" and "NA" not in t3.to_numpy().ravel().tolist()
    for name in ("Clinical model", "DL model"):  # each model's n in its header: the fitted n
        n = res["models"][name]["n"]
        assert any(c.startswith(f"{name} (n = {n})") for c in t3.columns), name
    t4 = _docx_table(out, "Model", "AUC (95% CI)")
    assert "p value" in t4.columns and "Ref" in set(t4["p value"])
    assert "NA" not in t4.to_numpy().ravel().tolist()


def test_demo_delong_of_nested_scores_is_an_alert_with_the_lr_test(demo):
    """The signature alone is a one-term model inside the DL model: Table 4's DeLong test of
    the pair is invalid, so the report alerts and gives the LR test (checked in R)."""
    out, _, _ = demo
    res = json.loads((out / "results.json").read_text())
    coefs = {n: set(m["coef"]) - {"Intercept"} for n, m in res["models"].items()}
    lrt = pd.DataFrame(res["performance"]["nested_lrt"])
    expected = (
        {("Clinical model", "DL model")} if coefs["Clinical model"] < coefs["DL model"] else set()
    )
    sig = [r for _, r in lrt.iterrows() if r["smaller"] not in coefs]
    assert len(sig) == 1 and sig[0]["larger"] == "DL model"
    assert int(sig[0]["df"]) == len(coefs["DL model"]) - 1
    assert {
        (r["smaller"], r["larger"]) for _, r in lrt.iterrows() if r["smaller"] in coefs
    } == expected
    for _, r in lrt.iterrows():
        says = f"DeLong test of nested models: the {r['smaller']}'s terms are a subset of the"
        assert any(a.startswith(says) for a in res["alerts"]), r["smaller"]
    checks = pd.read_csv(out / "r_check.csv")
    rows = checks[checks["quantity"].str.startswith("LR test")]
    assert len(rows) == 2 * len(lrt) and rows["agree"].all()
