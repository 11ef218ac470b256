"""`python -m hccstats.report` on broken inputs and under faults: no input ever deleted, no
silent wrong result, an exit code that tells the truth (docs/reliability.md lists each case).

Real runs of the command line on real files (R's MASS::birthwt with added columns), a real
tmpfs for a full disk and a read-only folder, real signals for a killed run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_report_pipeline import STUDY_YAML, _birthwt, _run

from reports import MARKER, OutputExistsError, atomic_dir

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
FAST = "analysis: {B: 20}\n"


def _one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope="module")
def birthwt() -> pd.DataFrame:
    return _birthwt()


def _study(folder: Path, table: pd.DataFrame, yaml_text: str = STUDY_YAML + FAST) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(yaml_text, encoding="utf-8")
    return folder / "study.yaml"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- --force never deletes inputs ------------------------------------------------------------


def test_force_never_replaces_inputs_or_folders_no_report_wrote(birthwt, tmp_path):
    data = tmp_path / "data"  # the clinical table lives outside the study folder
    data.mkdir()
    birthwt.to_csv(data / "clinical.csv", index=False)
    study = tmp_path / "study"
    images = study / "images"
    for pid in birthwt["patient_id"]:
        (images / pid).mkdir(parents=True)
        (images / pid / "AP.nii.gz").write_bytes(b"not read before --out is checked")
        (images / pid / "mask.nii.gz").write_bytes(b"mask")
    (study / "features").mkdir()
    (study / "features" / "AP.parquet").write_bytes(b"feature table")
    text = STUDY_YAML.replace("clinical.csv", "../data/clinical.csv") + (
        "images: {phases: {AP: 'images/{patient_id}/AP.nii.gz'}, "
        "mask: 'images/{patient_id}/mask.nii.gz'}\nfeatures: {dir: features}\n"
    )
    (study / "study.yaml").write_text(text)
    before = {**_tree(study), **_tree(data)}
    cases = {
        images: "holds the input",  # every MRI
        study / "features": "holds the input",  # the feature tables
        data: "holds the input",  # the clinical table outside the study folder
        images / "BW001": "holds the input",  # one patient's folder
        study: "holds the input",
    }
    for out, says in cases.items():
        proc = _run("--config", str(study / "study.yaml"), "--out", str(out), "--force")
        assert proc.returncode == 2 and says in _one_line(proc), (out, proc.stderr)
    # a folder inside an input folder is refused too (even when it does not exist yet)
    proc = _run("--config", str(study / "study.yaml"), "--out", str(images / "report"), "--force")
    assert proc.returncode == 2 and "lies inside the input folder" in _one_line(proc)
    assert {**_tree(study), **_tree(data)} == before
    # a user's folder that no report wrote: --force refuses it, nothing deleted
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("keep")
    proc = _run("--config", str(study / "study.yaml"), "--out", str(mine), "--force")
    assert proc.returncode == 2 and MARKER in _one_line(proc)
    assert (mine / "thesis.docx").read_text() == "keep"


def test_force_replaces_only_a_folder_a_report_wrote(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "report.html").write_text("first")
    assert (out / MARKER).is_file()  # written last, after the outputs
    with atomic_dir(out, force=True) as tmp:
        (tmp / "report.html").write_text("second")
    assert (out / "report.html").read_text() == "second"
    (out / MARKER).unlink()
    with pytest.raises(OutputExistsError, match="not a folder written by a previous report"):
        with atomic_dir(out, force=True):
            pass
    assert (out / "report.html").read_text() == "second"


# --- the study file: analysis schema, name, templates ------------------------------------------


@pytest.mark.parametrize(
    ("analysis", "says"),
    [
        ("{b: 200}", "analysis: unknown key 'b'; did you mean 'B'?"),
        (
            "{signature_presett: fast}",
            "unknown key 'signature_presett'; did you mean 'signature_preset'?",
        ),
        ("{B: many}", "analysis.B: expected an integer ≥ 10 and ≤ 100000, got 'many'"),
        ("{alpha: 5}", "analysis.alpha: expected a number > 0 and < 1, got 5"),
        ("{firth: yes please}", "analysis.firth: expected true or false"),
        ("{ordinal_as: ranks}", "analysis.ordinal_as: expected one of numeric, factor"),
        (
            "{clinical_candidates: [age, weight]}",
            "analysis.clinical_candidates: 'weight' is not declared under variables:",
        ),
        (
            "{models: {M: [age, 'log(weight + 1)']}}",
            "analysis.models: model 'M': term 'log(weight + 1)': 'weight' is not declared",
        ),
    ],
)
def test_bad_analysis_keys_exit_2_with_one_line(birthwt, tmp_path, analysis, says):
    cfg = _study(tmp_path / "s", birthwt, STUDY_YAML + f"analysis: {analysis}\n")
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"))
    line = _one_line(proc)
    assert proc.returncode == 2 and says in line and line.startswith("error: study.yaml:"), line
    assert not (tmp_path / "out").exists()


def test_docs_list_every_analysis_key_of_the_schema_table():
    from hccstats.study import Analysis
    from hccstats.study._analysis import ANALYSIS_KEYS, analysis_keys_markdown
    from hccstats.study._tree import TREE_PATHS

    doc = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    assert analysis_keys_markdown() in doc
    assert set(TREE_PATHS) | {"bootstrap"} == {k.name for k in ANALYSIS_KEYS}  # a path per key
    tree = Analysis()
    for key in ANALYSIS_KEYS:  # the tree's defaults are the table's
        if key.default is not None and key.kind != "range":
            assert tree.value(TREE_PATHS[key.name]) == key.default, key.name


def test_long_name_and_unknown_template_placeholder_exit_2_before_the_run(birthwt, tmp_path):
    cfg = _study(tmp_path / "s", birthwt, STUDY_YAML.replace("name: Low", "name: " + "L" * 240))
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "name: expected one line of 1 to 230 characters" in _one_line(
        proc
    )
    text = (
        STUDY_YAML + "images: {phases: {AP: 'images/{patient_id}/{phase}.nii.gz'}, mask: m.nii}\n"
    )
    cfg = _study(tmp_path / "t", birthwt, text)
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"))
    line = _one_line(proc)
    assert proc.returncode == 2 and "images.phases.AP" in line and "{phase}" in line, line
    assert not (tmp_path / "out").exists()


# --- study-file mistakes found at load, never mid-run -----------------------------------------

RANDOM_SPLIT = "split: {method: random, ratio: 0.7, stratify: true, seed: 7}"
SURVIVAL = "survival: {time: months, event: event, horizon: 12}\n"
MONTHS = "  months: {type: continuous, label: Follow-up, unit: months}\n"


def _with_survival(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(months=1.0 + np.arange(len(d)) % 40, event=d["low"])


def _write_cp1252(folder: Path) -> None:
    """The clinical table as a spreadsheet program on Windows saves it (Windows-1252)."""
    path = folder / "clinical.csv"
    text = path.read_text(encoding="utf-8").replace(",other,", ",autre é,")
    path.write_bytes(text.encode("cp1252"))


#: (change of the study file's text, change of the clinical table, file change, the message)
LOAD_MISTAKES = {
    "a model given twice": (
        lambda t: (
            t + "analysis:\n  models:\n    Prespecified: [age, lwt]\n    Prespecified: [smoke]\n"
        ),
        None,
        None,
        "study.yaml: analysis.models.Prespecified: key 'Prespecified' given twice (lines 17 "
        "and 18)",  # STUDY_YAML has 14 lines, then analysis: and models:
    ),
    "entry above removal": (
        lambda t: t + "analysis: {B: 20, entry: 0.2, removal: 0.1}\n",
        None,
        None,
        "study.yaml: analysis.entry: entry p 0.2 is above removal p 0.1",
    ),
    "a model named like a stepwise one": (
        lambda t: t + "analysis: {B: 20, models: {Clinical model: [age, lwt]}}\n",
        None,
        None,
        "study.yaml: analysis.models: 'Clinical model' is the report's name of its stepwise",
    ),
    "a grid of 60,001 thresholds": (
        lambda t: t + "analysis: {B: 20, dca_thresholds: {by: 0.00001}}\n",
        None,
        None,
        "study.yaml: analysis.dca_thresholds: by 1e-05 gives 60,001 thresholds from 0 to 0.6;"
        " at most 1,000",
    ),
    "a negative seed": (
        lambda t: t.replace("seed: 7\n", "seed: -2\n"),
        None,
        None,
        "study.yaml: seed: expected an integer >= 0",
    ),
    "a horizon beyond follow-up": (
        lambda t: t + SURVIVAL.replace("12", "60"),
        _with_survival,
        None,
        "clinical.csv: survival.horizon 60 lies beyond the last follow-up time of the "
        "training set (40 in column 'months')",
    ),
    "the survival time as a candidate": (
        lambda t: t + MONTHS + SURVIVAL + "analysis: {B: 20, clinical_candidates: [age, months]}\n",
        _with_survival,
        None,
        "study.yaml: analysis.clinical_candidates: 'months' is the survival time",
    ),
    "a validation set without events": (
        lambda t: t.replace(RANDOM_SPLIT, "split: {column: cohort, training: a, validation: b}"),
        lambda d: d.assign(cohort=np.where((d["low"] == 0) & (d.index % 3 == 0), "b", "a")),
        None,
        "clinical.csv: column 'low': the validation set (",
    ),
    "a Windows-1252 table": (None, None, _write_cp1252, "clinical.csv: line "),
    "two columns of one name": (
        None,
        lambda d: d.rename(columns={"lwt": "age"}),
        None,
        "clinical.csv: column 'age' appears twice in the header (columns 2 and 3)",
    ),
    "a header without rows": (
        None,
        lambda d: d.iloc[:0],
        None,
        "clinical.csv: the clinical table has a header but no rows",
    ),
}


@pytest.mark.parametrize("case", list(LOAD_MISTAKES))
def test_study_file_mistakes_exit_2_at_load(birthwt, tmp_path, case):
    """Each a one-line error and exit 2 before --out is made: never a partial report (3)."""
    edit_text, edit_table, edit_file, says = LOAD_MISTAKES[case]
    text = edit_text(STUDY_YAML) if edit_text else STUDY_YAML + FAST
    cfg = _study(tmp_path / "s", edit_table(birthwt) if edit_table else birthwt, text)
    if edit_file:
        edit_file(cfg.parent)
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"), "--no-r", "--quiet")
    line = _one_line(proc)
    assert proc.returncode == 2 and line.startswith("error: " + says), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed", ["-1", "1.5", "abc"])
def test_a_negative_or_non_integer_seed_flag_exits_2_with_one_line(birthwt, tmp_path, seed):
    cfg = _study(tmp_path / "s", birthwt)
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"), "--seed", seed)
    line = _one_line(proc)
    assert proc.returncode == 2 and line.startswith("error: --seed: expected an integer >= 0")
    assert line.endswith(f"got {seed if seed == '-1' else repr(seed)}"), line
    assert not (tmp_path / "out").exists()


# --- --out that cannot be written ------------------------------------------------------------


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    return proc.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


def test_out_in_a_file_or_read_only_folder_exit_2_with_one_line(birthwt, tmp_path):
    cfg = _study(tmp_path / "s", birthwt)
    (tmp_path / "afile").write_text("x")
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "afile" / "report"))
    assert proc.returncode == 2 and "is a file" in _one_line(proc)
    ro = tmp_path / "ro"
    if _mount_tmpfs(ro, "size=1m,ro"):  # root ignores permission bits: a read-only mount
        try:
            proc = _run("--config", str(cfg), "--out", str(ro / "report"))
        finally:
            _umount(ro)
    else:
        ro.chmod(0o555)
        proc = _run("--config", str(cfg), "--out", str(ro / "report"))
        ro.chmod(0o755)
    line = _one_line(proc)
    assert proc.returncode == 2 and "cannot write in" in line, line
    assert "Read-only file system" in line or "Permission denied" in line, line


def test_full_disk_exit_1_with_one_line_and_nothing_left(birthwt, tmp_path):
    cfg = _study(tmp_path / "s", birthwt)
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "size=600k"):
        pytest.skip("a small tmpfs needs root and mount")
    try:
        proc = _run("--config", str(cfg), "--out", str(disk / "report"), "--quiet")
        left = sorted(p.name for p in disk.iterdir())
    finally:
        _umount(disk)
    line = _one_line(proc)
    assert proc.returncode == 1 and "No space left on device" in line, line
    assert "no report was written" in line and left == []  # no half report, no scratch


# --- a killed run leaks nothing ----------------------------------------------------------------


def test_killed_report_leaves_no_scratch_in_the_system_temp_folder(birthwt, tmp_path):
    cfg = _study(tmp_path / "s", birthwt)
    system_tmp = tmp_path / "systmp"
    system_tmp.mkdir()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [PY, "-m", "hccstats.report", "--config", str(cfg), "--out", str(out), "--no-r"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(system_tmp)},
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".out.partial-*/.scratch")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.partial-*/.scratch")), "scratch lives in the partial folder"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert not list(system_tmp.glob("hccstats-report-*"))
    assert not out.exists()


# --- seeds and the methods text ----------------------------------------------------------------


def test_seed_flag_changes_the_split_unless_the_study_gives_split_seed(birthwt, tmp_path):
    from hccstats.study import load

    text = STUDY_YAML.replace("split: {method: random, ratio: 0.7, stratify: true, seed: 7}", "")
    cfg = _study(tmp_path / "s", birthwt, text)
    a, b = load(cfg, {"seed": 7}).split, load(cfg, {"seed": 8}).split
    assert (a != b).any() and (a == load(cfg, {"seed": 7}).split).all()
    tree = load(cfg, {"seed": 8}).analysis
    assert tree.split_seed == 8 and tree.described("split_seed") == (
        "the run seed, from the command line, --seed"
    )
    fixed = _study(tmp_path / "t", birthwt)  # split.seed: 7 in the file wins over --seed
    assert (load(fixed, {"seed": 7}).split == load(fixed, {"seed": 8}).split).all()
    assert load(fixed, {"seed": 8}).analysis.provenance("split_seed") == "study file"
    assert load(fixed).config["split"]["stratify"] == ["outcome"]  # no centre column


# --- one run on a study with every kind of unestimable variable --------------------------------


# column names that are not identifiers: a Python keyword as the outcome (MASS::biopsy's
# `class`), a space, a hyphen, a quote, a backtick and a backslash, a non-ASCII letter
AWKWARD_NAMES = {
    "low": "class",
    "smoke": "biopsy result",
    "ht": "rfs-5y",
    "ui": "O'Brien score",
    "ftv": "a`b\\c",
}
NAMED_MODEL = ["biopsy result", "rfs-5y", "O'Brien score", "a`b\\c", "BCLC stage", "µmol"]


def _awkward(birthwt: pd.DataFrame) -> pd.DataFrame:
    d = birthwt.copy()
    k = np.arange(len(d))
    d["BCLC stage"] = d["lwt"] / 10 + k % 3  # a space in the name
    d["µmol"] = d["age"] * 1.5 + k % 5  # a non-ASCII name (Python folds µ to μ)
    d["const"] = 1.0  # a constant predictor
    d["lwt_kg"] = d["lwt"] * 0.4536  # exactly collinear with lwt
    d["sepx"] = d["low"] * 10 + (k % 7) / 10  # separates the outcome completely
    return d.rename(columns=AWKWARD_NAMES)


AWKWARD_YAML = (
    STUDY_YAML.replace("split: {method: random, ratio: 0.7, stratify: true, seed: 7}\n", "")
    .replace("levels: [white, black, other]", "levels: [white, black, other, asian]")
    .replace("column: low,", "column: class,")
    .replace("  smoke:", '  "biopsy result":')
    .replace(
        '  ht: {type: binary, levels: ["no", "yes"], label: Hypertension}',
        '  "rfs-5y": {type: binary, levels: ["no", "yes"]}',
    )
    .replace("  ui:", '  "O\'Brien score":')
    .replace("  ftv:", '  "a`b\\\\c":')
    + """\
  "BCLC stage": {type: continuous, label: BCLC score}
  "µmol": {type: continuous, label: Bilirubin, unit: µmol/L}
  const: {type: continuous, label: Constant}
  lwt_kg: {type: continuous, label: Weight in kg}
  sepx: {type: continuous, label: Separating marker}
analysis:
  B: 20
  models:
    Named: ["biopsy result", "rfs-5y", "O'Brien score", "a`b\\\\c", "BCLC stage", "µmol"]
"""
)


@pytest.fixture(scope="module")
def awkward(birthwt, tmp_path_factory):
    folder = tmp_path_factory.mktemp("awkward")
    cfg = _study(folder / "study", _awkward(birthwt), AWKWARD_YAML)
    out = folder / "report"
    proc = _run("--config", str(cfg), "--out", str(out), "--seed", "11")
    return out, proc


def test_unestimable_variables_are_rows_while_every_model_goes_on(awkward):
    out, proc = awkward
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert {k: res["stages"][k] for k in ("univariate", "models", "performance")} == dict.fromkeys(
        ("univariate", "models", "performance"), "ok"
    )
    uni = pd.read_csv(out / "tables" / "supp_univariate.csv", keep_default_na=False)
    note = dict(zip(uni["predictor"] + "|" + uni["level"].astype(str), uni["note"]))
    assert note["const|NA"].startswith("not estimable (predictor 'const' is constant")
    assert note["race|asian"] == "not estimable (no patient with this level in the training set)"
    assert note["sepx|NA"].startswith("not estimable (complete separation")
    assert "exactly collinear with lwt" in note["lwt_kg|NA"]
    assert note["BCLC stage|NA"] == note["µmol|NA"] == ""  # estimated like any other
    assert "lwt_kg" not in res["univariate"]["significant"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Bilirubin (µmol/L)" in html and "not estimable (predictor" in html


def test_any_column_name_is_estimated_labelled_and_r_checked(awkward, birthwt):
    """Outcome `class`, predictors with spaces, a hyphen, a quote, a backtick and a backslash, a
    non-ASCII letter: the model is fitted (the same numbers as with plain names), every R check
    runs with backticked names and agrees, and no table, figure or text shows patsy's Q()."""
    from hccstats import lrm

    out, proc = awkward
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert res["stages"]["models"] == res["stages"]["rcheck"] == "ok"
    named = res["models"]["Named"]
    assert named["terms"] == NAMED_MODEL
    # the same model with plain names, on the same patients: the same coefficients
    plain = {v: k for k, v in AWKWARD_NAMES.items()} | {"BCLC stage": "bclc", "µmol": "umol"}
    d = _awkward(birthwt).rename(columns=plain).set_index("patient_id").loc[named["patients"]]
    for c in ("smoke", "ht", "ui"):
        d[c] = pd.Categorical(d[c], ["no", "yes"])
    ref = lrm("low ~ smoke + ht + ui + ftv + bclc + umol", d).coef
    level = {f"{k}[T.yes]": f"{v}[T.yes]" for k, v in plain.items()}
    coef = pd.Series(named["coef"]).rename(lambda t: level.get(t, plain.get(t, t)))
    assert np.allclose(coef[ref.index], ref, rtol=1e-10, atol=0), (coef, ref)
    assert named["nomogram"]["engines"] == ["r"]  # one nomogram per model: rms's
    axes = {p["variable"]: p["axis"] for p in named["nomogram"]["points"] if p["variable"]}
    assert axes == {
        "biopsy result": "Smoking",
        "rfs-5y": "rfs-5y",
        "O'Brien score": "Uterine irritability",
        "a`b\\c": "Physician visits (first trimester)",
        "BCLC stage": "BCLC score",
        "µmol": "Bilirubin (µmol/L)",
    }
    # every R check of the model and of the univariable fits ran, with backticks, and agrees
    checks = pd.read_csv(out / "tables" / "r_check.csv", keep_default_na=False)
    mine = checks[checks["quantity"].str.startswith("Named: ")]
    assert len(mine) == 1 + 4 * 6 and (mine["agree"] == True).all(), mine  # noqa: E712
    assert (
        "glm(class ~ `biopsy result` + `rfs-5y` + `O'Brien score` + `a\\`b\\\\c`"
        in (mine["r_call"].iloc[0])
    )
    uni = checks[checks["quantity"].str.startswith("univariable OR, ")]
    for name in NAMED_MODEL:
        row = uni[uni["quantity"].str.startswith(f"univariable OR, {name}")]
        assert len(row) == 1 and row["agree"].iloc[0] == True, (name, uni)  # noqa: E712
    table3 = pd.read_csv(out / "tables" / "table3_multivariable.csv", keep_default_na=False)
    shown = table3[table3["Named|in_model"] == True].set_index("label")  # noqa: E712
    for label in (
        "Smoking: yes vs no",
        "rfs-5y: yes vs no",
        "Uterine irritability: yes vs no",
        "Physician visits (first trimester)",
        "BCLC score",
        "Bilirubin (µmol/L)",
    ):
        assert float(shown.loc[label, "Named|estimate"]) > 0, label
    texts = [out / "report.html", out / "methods.md", *(out / "tables").glob("*.csv")]
    assert not [p.name for p in texts if "Q(" in p.read_text(encoding="utf-8")]
    for model in res["models"].values():
        model.pop("formula")  # the patsy formula fitted, code and not a label
    assert "Q(" not in json.dumps(res)


def test_univariable_separation_on_stderr_atop_the_report_and_in_the_footnote(awkward):
    out, proc = awkward
    warn = [x for x in proc.stderr.splitlines() if x.startswith("warning: Separation")]
    assert warn and "firth: true" in warn[0]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.index('class="alert"') < html.index('<nav class="toc">')
    assert re.search(
        r"Separation \(Separating marker\): the maximum-likelihood odds ratio is infinite", html
    )
    assert "e+" not in (out / "tables" / "supp_univariate.csv").read_text().split("sepx")[1]


def test_methods_name_each_seed_and_the_stratification_done(awkward):
    out, _ = awkward
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "stratified by outcome (seed 11)" in methods and "center" not in methods
    assert (
        "the training/validation split, seed 11 (the run seed, from the command line, --seed)"
    ) in methods
    assert (
        "the bootstrap of the calibration and the internal validation, B = 20 (from the "
        "study file, analysis.B), seed 11 (the run seed, from the command line, --seed)"
    ) in methods
    assert "Every random step used the seed" not in methods
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "seed 11): the model refitted in each resample" in html  # the validation's seed


# --- separation in a multivariable model, and Firth ----------------------------------------------


def _separated_pair(birthwt: pd.DataFrame) -> pd.DataFrame:
    """x1 and x2 each overlap between the outcomes, x1 + x2 separates them completely."""
    d = birthwt.copy()
    rng = np.random.default_rng(3)
    s = 2 * d["low"] - 1
    noise = rng.normal(0, 1.2, len(d))
    d["x1"] = 0.9 * s + noise
    d["x2"] = s * (0.3 + rng.uniform(0, 1, len(d))) - noise
    return d


PAIR_YAML = (
    STUDY_YAML
    + "  x1: {type: continuous, label: Marker one}\n  x2: {type: continuous, label: Marker two}\n"
    + "analysis: {B: 20, clinical_candidates: [x1, x2]}\n"
)


@pytest.mark.slow
def test_model_separation_is_said_and_never_shown_as_odds_ratios(birthwt, tmp_path):
    cfg = _study(tmp_path / "s", _separated_pair(birthwt), PAIR_YAML)
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "ml"), "--no-r")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert any(
        "complete separation by Marker one, Marker two" in x for x in proc.stderr.splitlines()
    )
    html = (tmp_path / "ml" / "report.html").read_text(encoding="utf-8")
    assert html.index('class="alert"') < html.index('<nav class="toc">')
    table3 = pd.read_csv(tmp_path / "ml" / "tables" / "table3_multivariable.csv")
    assert table3.filter(like="|estimate").isna().all().all()  # no 1e58 presented as a result
    terms = table3[table3["kind"] == "term"]
    # the diverging β and p are not shown either (—), only the converging intercept
    assert terms.filter(regex=r"\|(coef|p_value)$").isna().all().all()
    assert not terms["Clinical model|estimable"].any()
    assert "so its β, odds ratio, CI and p value are not shown (—)" in html
    assert "not in the model or not estimable (separation)" in html
    # no nomogram of diverging coefficients, and the section says why
    assert not list((tmp_path / "ml" / "figures").glob("fig_nomogram_*"))
    assert (
        "Clinical nomogram: not drawn: the model separates the outcome; refit with "
        "analysis: {firth: true}." in html
    )
    cal = pd.read_csv(tmp_path / "ml" / "tables" / "supp_calibration.csv")
    failed = int(cal.loc[cal["set"] == "training", "n_failed"].iloc[0])
    assert "Bootstrap resamples (failed)" in html and f">20 ({failed})</td>" in html
    assert (
        f"Failed bootstrap refits (left out): Clinical model: {failed} of 20"
        in (tmp_path / "ml" / "methods.md").read_text()
    )
    # analysis: {firth: true}: finite Firth estimates, equal to brglm2's (the library's tests)
    cfg.write_text(PAIR_YAML.replace("analysis: {", "analysis: {firth: true, "))
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "firth"), "--no-r")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "firth" / "results.json").read_text())
    ors = res["models"]["Clinical model"]["odds_ratios"]
    assert ors and all(np.isfinite(r["estimate"]) and r["ci_high"] < 1e6 for r in ors)
    assert "Firth-penalised" in (tmp_path / "firth" / "methods.md").read_text()
    assert (tmp_path / "firth" / "figures" / "fig_nomogram_clinical.png").is_file()


def test_failed_bootstrap_refits_counted_and_warned_above_one_percent(birthwt):
    """A binary predictor of 3 patients: resamples without them give a singular fit (rms's
    lrm.fit fails too); the count is the library's, the warning the report's (above 1%)."""
    import hccstats as hs
    from hccstats.report._context import Context, Options
    from hccstats.report._separation import calibration_failures
    from reports import Report

    d = birthwt.assign(rare=0.0)
    d.loc[d.index[[0, 1, 130]], "rare"] = 1.0  # one event and two non-events: no separation
    assert d.loc[d["rare"] == 1, "low"].nunique() == 2
    fit = hs.lrm("low ~ lwt + rare", d)
    cal = hs.calibrate(fit, B=200, seed=1)
    assert 0.01 * 200 < cal.n_failed < 200  # about exp(-3) of the resamples lack the 3 patients
    ctx = Context(study=None, options=Options(), out=Path("."), work=Path("."), report=Report("x"))
    text = calibration_failures(ctx, {("Clinical model", "training"): cal})
    assert text == f" Failed bootstrap refits (left out): Clinical model: {cal.n_failed} of 200."
    assert ctx.alerts and f"{cal.n_failed} of 200 bootstrap refits failed" in ctx.alerts[0]
    ok = hs.calibrate(hs.lrm("low ~ lwt", d), B=50, seed=1)
    ctx.alerts.clear()
    calibration_failures(ctx, {("Clinical model", "training"): ok})
    assert ok.n_failed == 0 and ctx.alerts == []


# --- exit code 3: a stage the study asks for failed --------------------------------------------


def test_failed_stage_exits_3_listed_on_stderr_and_atop_the_report(birthwt, tmp_path):
    cfg = _study(
        tmp_path / "s", birthwt, STUDY_YAML + FAST + "features: {dir: features, phases: [AP]}\n"
    )
    (tmp_path / "s" / "features").mkdir()
    pd.DataFrame({"patient_id": birthwt["patient_id"][:10], "f1": np.arange(10.0)}).to_parquet(
        tmp_path / "s" / "features" / "AP.parquet"
    )  # lacks most patients: the signature stage fails
    out = tmp_path / "out"
    proc = _run("--config", str(cfg), "--out", str(out), "--no-r", "--quiet")
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "partial report written" in proc.stderr and "  features: " in proc.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    top = html[: html.index('<nav class="toc">')]
    assert "Incomplete report: Deep-learning signatures" in top
    from docx import Document

    paras = [q.text for q in Document(str(out / "report.docx")).paragraphs]
    first_section = next(i for i, t in enumerate(paras) if t.startswith("1. "))
    assert any(t.startswith("Warning: Incomplete report") for t in paras[:first_section])
    res = json.loads((out / "results.json").read_text())
    assert list(res["failed_stages"]) == ["features"] and res["stages"]["models"] == "ok"
    assert (out / MARKER).is_file()  # a partial report is still a report: --force may replace it


# --- progress -------------------------------------------------------------------------------------


def _drain(fd: int) -> str:
    time.sleep(0.1)
    chunks = []
    while True:
        try:
            chunks.append(os.read(fd, 65536))
        except BlockingIOError:
            return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_has_an_eta_on_a_terminal_and_quiet_is_silent(monkeypatch):
    import fcntl
    import pty
    import struct
    import termios

    from hccstats.report._context import Progress

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    term = os.fdopen(slave, "w", buffering=1)
    monkeypatch.setattr(sys, "stderr", term)  # a real terminal as stderr
    p = Progress(False, 3)
    for title in ("Patient flow", "Baseline characteristics"):
        p.start(title)
        time.sleep(0.15)  # past tqdm's refresh interval
        p.stage(title, 0.15, "ok")
    p.close()
    term.flush()
    os.set_blocking(master, False)
    text = _drain(master)
    assert "[1/3] Patient flow" in text and re.search(r"\d/3 \[\d\d:\d\d<\d\d:\d\d\]", text), text
    q = Progress(True, 3)
    q.start("x")
    q.stage("x", 0.1, "ok")
    q.say("nothing")
    q.close()
    term.flush()
    assert _drain(master) == ""
    term.close()
    os.close(master)


def test_yaml_schema_text_in_docs_parses():
    """The documented example of analysis: in docs/study-file.md is valid against the schema."""
    from hccstats.study._analysis import read_analysis

    doc = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    cfg = yaml.safe_load(block)
    assert read_analysis(cfg["analysis"], cfg["variables"], "study.yaml")


@pytest.mark.r
def test_firth_univariable_odds_ratios_against_brglm2(birthwt, tmp_path):
    """analysis: {firth: true}: the separated marker gets a finite OR, checked in R by brglm2."""
    text = AWKWARD_YAML.replace("\n  B: 20\n", "\n  B: 20\n  firth: true\n")
    assert "firth: true" in text
    cfg = _study(tmp_path / "s", _awkward(birthwt), text)
    proc = _run("--config", str(cfg), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    check = pd.read_csv(tmp_path / "out" / "r_check.csv")
    firth = check[check["quantity"].str.startswith("univariable Firth OR")]
    # brglm2 (type "AS_mean") to 1e-14 and hccstats's Newton steps on Firth's score: 1e-6
    assert len(firth) >= 10 and firth["agree"].all(), firth[["quantity", "hccstats", "r"]]
    sepx = firth[firth["quantity"] == "univariable Firth OR, sepx"].iloc[0]
    assert np.isfinite(sepx["hccstats"]) and sepx["hccstats"] < 100
    assert "Separation in the univariable" not in proc.stderr
