"""`python -m hccstats.report` end to end on a clinical-only study built from R's MASS::birthwt.

Oracles: the library functions themselves (results.json must hold exactly their numbers), R through the
report's own cross-check (r_check.csv), python-docx and html.parser reading the outputs back, and
headless Chromium rendering report.html.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _docx import body as docx_body
from _docx import columns as docx_columns
from docx import Document

from hccstats.report import STAGES

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

STUDY_YAML = """\
name: Low birth weight (MASS::birthwt)
seed: 7
clinical: {file: clinical.csv, id: patient_id}
outcome: {column: low, positive: 1, label: Low birth weight}
split: {method: random, ratio: 0.7, stratify: true, seed: 7}
variables:
  age: {type: continuous, label: Mother's age, unit: years}
  lwt: {type: continuous, label: Mother's weight, unit: lb}
  race: {type: categorical, levels: [white, black, other], label: Race}
  smoke: {type: binary, levels: ["no", "yes"], label: Smoking}
  ptl: {type: ordinal, levels: [0, 1, 2, 3], label: Previous premature labours}
  ht: {type: binary, levels: ["no", "yes"], label: Hypertension}
  ui: {type: binary, levels: ["no", "yes"], label: Uterine irritability}
  ftv: {type: continuous, label: Physician visits, unit: first trimester}
"""


def _birthwt() -> pd.DataFrame:
    """MASS::birthwt through rpy2 (R ships it); stored beside the test if R is absent is not allowed: skip."""
    rbridge = pytest.importorskip("hccstats.rbridge")
    if not rbridge.r_available("MASS"):
        pytest.skip("R with MASS is needed to build the birthwt study")
    bw = rbridge.run("MASS::birthwt")
    out = pd.DataFrame({"patient_id": [f"BW{i:03d}" for i in range(1, len(bw) + 1)]})
    out["age"] = bw["age"].to_numpy()
    out["lwt"] = bw["lwt"].to_numpy()
    out["race"] = bw["race"].map({1: "white", 2: "black", 3: "other"}).to_numpy()
    yn = {0: "no", 1: "yes"}
    for c in ("smoke", "ht", "ui"):
        out[c] = bw[c].map(yn).to_numpy()
    out["ptl"] = bw["ptl"].to_numpy()
    out["ftv"] = bw["ftv"].to_numpy()
    out["low"] = bw["low"].to_numpy()
    return out


@pytest.fixture(scope="module")
def birthwt_study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("birthwt")
    _birthwt().to_csv(folder / "clinical.csv", index=False)
    # 50 resamples: no test of the whole run reads a number that depends on how many
    (folder / "study.yaml").write_text(STUDY_YAML + "analysis: {B: 50}\n")
    return folder / "study.yaml"


def _run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "hccstats.report", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_report(*args: str, env: dict | None = None) -> subprocess.Popen:
    """``python -m hccstats.report *args``, started and not waited for."""
    return subprocess.Popen(
        [PY, "-m", "hccstats.report", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def started_report(*args: str, env: dict | None = None):
    """start_report's process, killed on leaving the block if it still runs."""
    proc = start_report(*args, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def finish(proc: subprocess.Popen, timeout: int = 600) -> subprocess.CompletedProcess:
    """A started run waited for, as subprocess.run returns it."""
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def again(birthwt_study, tmp_path_factory):
    """A second, quiet run of the same study for the determinism test, started before the first
    (on two cores their single-threaded stages overlap): (output folder, process)."""
    out = tmp_path_factory.mktemp("again") / "again"
    with started_report("--config", str(birthwt_study), "--out", str(out), "--quiet") as proc:
        yield out, proc


@pytest.fixture(scope="module")
def report(birthwt_study, again, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "report"
    proc = _run("--config", str(birthwt_study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (
        f"[1/{len(STAGES)}] Patient flow" in proc.stderr and " s" in proc.stderr
    )  # progress with times
    return out


def test_outputs_exist_and_stages_report_their_status(report):
    for name in ("report.html", "report.docx", "results.json", "methods.md"):
        assert (report / name).stat().st_size > 0
    res = json.loads((report / "results.json").read_text())
    st = res["stages"]
    assert (
        st["flow"]
        == st["baseline"]
        == st["univariate"]
        == st["models"]
        == st["performance"]
        == "ok"
    )
    # clinical-only: no readers, no images -> "not available" stages, never a crash (and left
    # out of the report: test_sections_the_study_has_no_data_for_are_named_in_the_methods)
    assert st["agreement"] == "not available" and st["features"] == "not available"
    assert (report / "figures" / "fig_model_performance.png").exists()
    assert (report / "figures" / "fig_model_performance.pdf").exists()
    from PIL import Image

    assert round(Image.open(report / "figures" / "fig_model_performance.png").info["dpi"][0]) == 300


@pytest.mark.r
def test_every_headline_number_agrees_with_r(report):
    check = pd.read_csv(report / "r_check.csv")
    assert len(check) > 20
    assert check["agree"].all(), check.loc[~check["agree"], ["quantity", "hccstats", "r"]]
    res = json.loads((report / "results.json").read_text())
    assert res["r_check"]["all_agree"] is True and "All" in res["r_check"]["verdict"]


def test_results_json_equals_library_outputs_against_hccstats(report, birthwt_study):
    """The numbers in results.json are exactly what the public functions return on the same data."""
    import hccstats as hs
    from hccstats.study import load

    res = json.loads((report / "results.json").read_text())
    study = load(birthwt_study)
    data = study.data.copy()
    data["ptl"] = data["ptl"].cat.codes.astype(float)  # ordinal as scores, as the report documents
    train = data[data["split"] == "training"]
    uni = hs.univariate(
        train, "low", ["age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv"], nan_policy="omit"
    ).to_frame()
    got = pd.DataFrame(res["univariate"]["table"])
    np.testing.assert_array_equal(got["estimate"].to_numpy(), uni["estimate"].to_numpy())
    np.testing.assert_array_equal(got["p_value"].to_numpy(), uni["p_value"].to_numpy())
    sig = res["univariate"]["significant"]
    sw = hs.forward_lr(train, "low", sig, nan_policy="omit")
    model = res["models"]["Clinical model"]
    assert model["terms"] == list(sw.fit.terms)
    assert [r["estimate"] for r in model["odds_ratios"]] == sw.fit.odds_ratios()[
        "estimate"
    ].tolist()
    perf = pd.DataFrame(res["performance"]["table"])
    row = perf[(perf["model"] == "Clinical model") & (perf["set"] == "validation")].iloc[0]
    valid = data[data["split"] == "validation"].dropna(subset=list(sw.fit.terms))
    r = hs.roc(valid["low"].to_numpy(float), sw.fit.predict_risk(valid), direction="<")
    ci = hs.ci_auc(r)
    assert (row["auc"], row["ci_low"], row["ci_high"]) == (ci.auc, ci.low, ci.high)
    flow = res["flow"]
    assert flow["n_included"] == 189 and flow["events"] == 59


def test_docx_reads_back_with_tables_and_captions(report):
    doc = Document(str(report / "report.docx"))
    paras = [p.text for p in doc.paragraphs]
    captions = [p for p in paras if p.startswith(("Table ", "Supplementary Table ", "Fig. "))]
    assert any("Multivariable logistic regression" in c for c in captions)
    assert any("Predictive performance of the models" in c for c in captions)
    assert len(doc.tables) >= 6
    headers = [docx_columns(t) for t in doc.tables]
    # one model: no DeLong column (nothing to compare against)
    assert [
        "Model",
        "Set",
        "n (events)",
        "AUC (95% CI)",
        "Sensitivity, % (95% CI)",
        "Specificity, % (95% CI)",
        "Accuracy, % (95% CI)",
        "PPV, % (95% CI)",
        "NPV, % (95% CI)",
    ] in headers
    assert len(doc.inline_shapes) >= 2  # flowchart, nomogram and Fig. 6


def test_sections_the_study_has_no_data_for_are_named_in_the_methods(report):
    # no readers, no images, no survival: no "not available" section in either output, and one
    # sentence of the methods names them; the stages the study asks for all have their section
    paras = [p.text for p in Document(str(report / "report.docx")).paragraphs]
    headings = [p for p in paras if re.match(r"\d+\. ", p)]
    assert not any("not available" in p for p in paras), headings
    assert not any(
        t in h for h in headings for t in ("Reader agreement", "signatures", "Time to the event")
    )
    assert len(headings) == len(STAGES) - 4, headings  # and no Cox section (a binary outcome)
    said = (
        "Not part of this study: reader agreement (no readers), deep-learning signatures "
        "(no images or features), time to the event (no survival)."
    )
    assert said in (report / "methods.md").read_text(encoding="utf-8")
    assert any(said in p for p in paras)


@pytest.mark.r
def test_one_nomogram_per_model_drawn_by_rms_by_default(report):
    # without report.nomogram: rms's nomogram only (the native one is for --no-r or an rms
    # failure, or report.nomogram: native / both), captioned by engine and model name
    assert (report / "figures" / "fig_nomogram_clinical.png").stat().st_size > 10_000
    assert (report / "figures" / "fig_nomogram_clinical.pdf").exists()
    assert not list((report / "figures").glob("fig_nomogram_clinical_rms.*"))
    paras = [q.text for q in Document(str(report / "report.docx")).paragraphs]
    caps = [q for q in paras if q.startswith("Fig. ") and "nomogram" in q.lower()]
    assert len(caps) == 1, caps
    assert re.match(r"Fig\. \d+ Clinical nomogram \(", caps[0]) and "drawn by rms" in caps[0]
    assert not any("Nomogram of the" in q or "clinical model (" in q for q in paras)
    assert not any("drawn natively" in q for q in paras)
    res = json.loads((report / "results.json").read_text())
    assert res["models"]["Clinical model"]["nomogram"]["engines"] == ["r"]
    methods = (report / "methods.md").read_text(encoding="utf-8")
    assert "Nomograms were drawn from the final models by rms::nomogram." in methods


@pytest.mark.r
def test_r_check_table_is_out_of_the_docx_by_default(report):
    # the verdict and the numbered caption stay in report.docx with a note where the rows are;
    # the rows are in report.html and r_check.csv
    doc = Document(str(report / "report.docx"))
    paras = [p.text for p in doc.paragraphs]
    check = pd.read_csv(report / "r_check.csv")
    cap = next(p for p in paras if "R cross-check of the headline numbers" in p)
    assert cap.startswith("Supplementary Table ")
    assert any(f"The {len(check)} rows of this table are in report.html" in p for p in paras)
    assert json.loads((report / "results.json").read_text())["r_check"]["verdict"] in paras
    assert not any(docx_columns(t)[:2] == ["Stage", "Quantity"] for t in doc.tables)
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "R cross-check of the headline numbers" in page and "rows of this table" not in page


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.imgs, self.external, self.text = 0, [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tables += tag == "table"
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag in ("script", "link") and (a.get("src") or a.get("href")):
            self.external.append(a)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_formatted(report):
    page = _Page()
    page.feed((report / "report.html").read_text(encoding="utf-8"))
    assert page.tables >= 6 and not page.external
    assert page.imgs and all(src.startswith("data:image/png;base64,") for src in page.imgs)
    text = " ".join(page.text)
    assert "(95% CI)" in text and "\u2013" in text and "not available" not in text


def test_same_study_and_seed_give_identical_bytes(report, again):
    out2, started = again
    proc = finish(started)
    assert proc.returncode == 0 and proc.stdout == ""
    # --quiet: no progress; only the statistical warnings, each one of results.json's alerts
    alerts = json.loads((out2 / "results.json").read_text())["alerts"]
    assert proc.stderr.splitlines() == ["warning: " + " ".join(a.split()) for a in alerts]
    # every file, byte for byte: report.docx (core-properties times, zip entry dates) and
    # rms's nomogram PDFs (R's CreationDate) included
    files = sorted(p.relative_to(report) for p in report.rglob("*") if p.is_file())
    assert {Path("results.json"), Path("report.docx"), Path("report.html")} <= set(files)
    assert Path("figures/fig_nomogram_clinical.pdf") in files and len(files) > 20
    assert sorted(p.relative_to(out2) for p in out2.rglob("*") if p.is_file()) == files
    for rel in files:
        assert (report / rel).read_bytes() == (out2 / rel).read_bytes(), rel


def test_bad_study_exits_2_with_one_line(birthwt_study, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(birthwt_study.parent, bad)
    csv = pd.read_csv(bad / "clinical.csv")
    csv.loc[3, "low"] = 2  # outcome not binary
    csv.to_csv(bad / "clinical.csv", index=False)
    proc = _run("--config", str(bad / "study.yaml"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "clinical.csv" in lines[0] and "low" in lines[0]
    assert not (tmp_path / "out").exists()
    proc = _run("--config", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_existing_out_refused_without_force_and_inputs_protected(birthwt_study, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    proc = _run("--config", str(birthwt_study), "--out", str(out), "--no-r", "--quiet")
    assert (
        proc.returncode == 2
        and "--force" in proc.stderr
        and (out / "mine.txt").read_text() == "keep"
    )
    # the study folder itself is never replaced, even with --force
    before = sorted(p.name for p in birthwt_study.parent.iterdir())
    proc = _run(
        "--config", str(birthwt_study), "--out", str(birthwt_study.parent), "--force", "--quiet"
    )
    assert proc.returncode == 2 and "input" in proc.stderr
    assert sorted(p.name for p in birthwt_study.parent.iterdir()) == before


def test_no_r_says_so(birthwt_study, tmp_path):
    out = tmp_path / "nor"
    proc = _run("--config", str(birthwt_study), "--out", str(out), "--no-r")
    assert proc.returncode == 0
    assert "R cross-check" in proc.stderr and "--no-r" in proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["rcheck"] == "not available" and res["r_check"]["skipped"] is True
    # without R only the native nomogram, with a note saying why
    figures = {f.stem for f in (out / "figures").glob("fig_nomogram_*.png")}
    assert figures == {"fig_nomogram_clinical"}
    paras = [q.text for q in Document(str(out / "report.docx")).paragraphs]
    assert any(
        q.startswith("Fig. ") and "Clinical nomogram" in q and "drawn natively by hccstats" in q
        for q in paras
    )
    assert any("drawn natively by hccstats only" in q and "--no-r" in q for q in paras)
    assert res["models"]["Clinical model"]["nomogram"]["engines"] == ["python"]
    # the R check is not asked for: no section of it, named once in the methods
    assert not any(re.match(r"\d+\. R cross-check", q) for q in paras)
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "R cross-check (--no-r)" in methods
    assert "drawn from the final models natively by hccstats (rms's points arithmetic)" in methods


def test_killed_run_leaves_no_half_report(birthwt_study, tmp_path):
    out = tmp_path / "killed"
    proc = start_report("--config", str(birthwt_study), "--out", str(out))
    # wait until the run is inside its stages (the temporary folder exists), then kill it
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".killed.partial-*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".killed.partial-*")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not out.exists()
    assert not list(tmp_path.glob(".killed.partial-*"))  # SIGTERM: temporary folder removed too
    # SIGKILL cannot clean up: out is still absent, and the next run removes the leftover
    proc = start_report("--config", str(birthwt_study), "--out", str(out), "--no-r")
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".killed.partial-*")):
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)
    assert not out.exists()
    proc = _run("--config", str(birthwt_study), "--out", str(out), "--no-r", "--quiet")
    assert proc.returncode == 0 and (out / "report.html").exists()
    assert not list(tmp_path.glob(".killed.partial-*"))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`'s bootstrap")
def test_report_html_renders_in_headless_chromium(report, tmp_path):
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            "--enable-logging=stderr",
            "--v=0",
            (report / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert shot.exists(), proc.stderr[-2000:]
    assert (
        "Uncaught" not in proc.stderr and "CONSOLE(" not in proc.stderr
    )  # no console errors from the page
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape == (2000, 1280)
    dark = (img < 128).mean()
    assert 0.005 < dark < 0.5 and img.std() > 10  # text and figures drawn, not a blank page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by `make test`'s bootstrap")
def test_report_layout_read_back_against_word_markup_and_chromium(report, tmp_path):
    from _chromium import assert_no_clipped_column, table_layout
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    # decision curves over threshold probabilities 0-0.6 by 0.01 (R: seq(0, 0.6, 0.01))
    res = json.loads((report / "results.json").read_text())
    for part, rows in res["performance"]["dca"].items():
        th = np.unique([r["threshold"] for r in rows])
        assert len(th) == 61 and th[0] == 0 and abs(th[-1] - 0.6) < 1e-12, part
    # DOCX: captions in Word's Caption style with SEQ fields, header rows repeated, p values
    # right-aligned
    doc = Document(str(report / "report.docx"))
    caps = [p for p in doc.paragraphs if p.style.name == "Caption"]
    assert len(caps) >= len(doc.tables) > 0
    assert all("SEQ" in "".join(t.text for t in p._p.iter(qn("w:instrText"))) for p in caps)
    for t in doc.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        head = docx_columns(t)
        if "p value" in head:
            j = head.index("p value")
            assert all(
                r.cells[j].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT for r in t.rows
            )
    # typography: the words and signs a reader sees (tags and attributes stripped)
    page = (report / "report.html").read_text(encoding="utf-8")
    shown = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    body = "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )
    for text in (shown, body):
        assert "univariate" not in text.lower() and "univariable" in text.lower()
        assert "&gt;=" not in text and ">=" not in text and "10^" not in text
    # HTML at 800 px: no column clipped
    layout = table_layout(report / "report.html", tmp_path, 800)
    # the R-check rows are in report.html only (report.docx keeps its caption and verdict)
    assert len([t for t in layout["tables"] if t["id"] != "r_check"]) == len(doc.tables)
    assert_no_clipped_column(layout)


EXTERNAL_YAML = """\
name: birthwt with feature tables made elsewhere
seed: 11
clinical: {file: clinical.csv, id: patient_id}
outcome: {column: low, positive: 1, label: Low birth weight}
split: {column: cohort, training: dev, validation: test}
variables:
  lwt: {type: continuous, label: Mother's weight, unit: lb}
  smoke: {type: binary, levels: ["no", "yes"], label: Smoking}
  ht: {type: binary, levels: ["no", "yes"], label: Hypertension}
features: {dir: feats, phases: [T2, DWI]}
analysis: {signature_preset: fast, B: 50}
"""


@pytest.mark.slow
def test_feature_tables_made_elsewhere_single_centre_given_split(tmp_path):
    """No images and no centre: the signature stage reads features/<phase>.parquet; the split is a column."""
    clin = _birthwt()
    rng = np.random.default_rng(3)
    clin["cohort"] = np.where(rng.random(len(clin)) < 0.7, "dev", "test")
    clin.to_csv(tmp_path / "clinical.csv", index=False)
    (tmp_path / "feats").mkdir()
    y = clin["low"].to_numpy(float)
    for phase, strength in (("T2", 1.2), ("DWI", 0.8)):
        feats = pd.DataFrame(rng.normal(size=(len(clin), 40)), columns=[f"f{i}" for i in range(40)])
        for j in range(4):  # a few informative features, like a radiomics table
            feats[f"f{j}"] += strength * y
        feats.insert(0, "patient_id", clin["patient_id"])
        feats.to_parquet(tmp_path / "feats" / f"{phase}.parquet")
    (tmp_path / "study.yaml").write_text(EXTERNAL_YAML)
    out = tmp_path / "out"
    proc = _run("--config", str(tmp_path / "study.yaml"), "--out", str(out), "--no-r")
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["features"] == "ok" and res["stages"]["models"] == "ok"
    assert res["signatures"]["phases"] == ["T2", "DWI"]
    perf = pd.DataFrame(res["signatures"]["performance"])
    assert set(perf["model"]) == {"T2", "DWI", "mp-MR"}
    assert (perf[perf["set"] == "training"]["n"] == (clin["cohort"] == "dev").sum()).all()
    # signature odds ratios per 0.1 increase, in Table 1, the univariable table and Table 3
    t1 = pd.read_csv(out / "tables" / "table1_signatures.csv")
    assert (t1["per"] == 0.1).all()
    uni = pd.read_csv(out / "tables" / "supp_univariate.csv")
    sig_rows = uni["predictor"].str.startswith("sig_")
    assert (
        sig_rows.sum() == 3
        and (uni.loc[sig_rows, "per"] == 0.1).all()
        and uni.loc[~sig_rows, "per"].fillna(1).eq(1).all()
    )
    # same model, same scaling: Table 1 and the univariable table give the same OR
    np.testing.assert_allclose(
        np.sort(t1["estimate"]), np.sort(uni.loc[sig_rows, "estimate"]), rtol=1e-12
    )
    dl = res["models"].get("DL model")
    if dl is not None:  # oracle: the definition, OR per 0.1 = exp(0.1 * coefficient)
        ors = {r["term"]: r for r in dl["odds_ratios"]}
        sig = next(t for t in dl["terms"] if t.startswith("sig_"))
        assert ors[sig]["estimate"] == pytest.approx(np.exp(0.1 * dl["coef"][sig]), rel=1e-12)
        others = [t for t in ors if t != sig]
        for t in others:
            assert ors[t]["estimate"] == pytest.approx(np.exp(dl["coef"][t]), rel=1e-12)
    paras = [q.text for q in Document(str(out / "report.docx")).paragraphs]
    assert sum("per 0.1 increase of the signature" in q for q in paras) >= 2 + (dl is not None)
    flow = pd.read_csv(out / "tables" / "flow.csv")
    assert list(flow.columns) == ["step", "All"]  # one centre: no per-centre columns
    assert not any((tmp_path / "feats").glob("*.tmp")) and sorted(
        p.name for p in (tmp_path / "feats").iterdir()
    ) == ["DWI.parquet", "T2.parquet"]  # inputs untouched


def test_table3_binary_terms_labelled_as_in_univariable_table_against_univariate(report):
    """Table 3 names a binary term "Label: level vs reference", as the univariable table does."""
    tables = Document(str(report / "report.docx")).tables
    heads = [docx_columns(t) for t in tables]
    t3 = tables[next(i for i, h in enumerate(heads) if any(x.endswith(": β") for x in h))]
    uni = tables[next(i for i, h in enumerate(heads) if h[:3] == ["Variable", "n", "Events"])]
    t3_labels = [r.cells[0].text for r in docx_body(t3)]
    uni_labels = {r.cells[0].text for r in docx_body(uni)}
    assert t3_labels[0] == "Intercept"
    binary = [lab for lab in t3_labels if " vs " in lab]
    assert binary and set(binary) <= uni_labels
