"""The report's tables on a clinical-only study with missing values: R's survival::colon (recurrence).

The colon recurrence records (etype 1, 929 patients) miss ``nodes`` (18) and ``differ`` (23), so
forward selection over all candidates drops patients listwise. Oracles: R (live, through
hccstats.rbridge: glm, prop.test, rms::val.prob, wilcox.test), the library's own functions for
the bootstrap numbers, and the rendered report.html (parsed with html.parser).
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report_pipeline import finish, started_report

ROOT = Path(__file__).resolve().parents[1]

COLON_YAML = """\
name: Colon cancer recurrence (survival::colon)
seed: 11
clinical: {file: clinical.csv, id: patient_id}
outcome: {column: status, positive: 1, label: Recurrence}
split: {method: random, ratio: 0.7, stratify: true, seed: 11}
variables:
  rx: {type: categorical, levels: [Obs, Lev, Lev+5FU], label: Treatment}
  sex: {type: binary, levels: [female, male], label: Sex}
  age: {type: continuous, label: Age, unit: years}
  obstruct: {type: binary, levels: ["no", "yes"], label: Obstruction}
  perfor: {type: binary, levels: ["no", "yes"], label: Perforation}
  adhere: {type: binary, levels: ["no", "yes"], label: Adherence}
  nodes: {type: continuous, label: Positive lymph nodes}
  differ: {type: ordinal, levels: [well, moderate, poor], label: Differentiation}
  extent: {type: ordinal, levels: [submucosa, muscle, serosa, contiguous], label: Local spread}
  surg: {type: binary, levels: [short, long], label: Time to registration}
analysis:
  alpha: 0.2
  bootstrap: {B: 100}
"""
CANDIDATES = [
    "rx",
    "sex",
    "age",
    "obstruct",
    "perfor",
    "adhere",
    "nodes",
    "differ",
    "extent",
    "surg",
]


def _colon() -> pd.DataFrame:
    """survival::colon, recurrence records, exported through rpy2 with the study's level names."""
    from hccstats.rbridge import r_available, run

    if not r_available("survival"):
        pytest.skip("R with survival is needed to build the colon study")
    c = run("survival::colon[survival::colon$etype == 1, ]")
    out = pd.DataFrame({"patient_id": [f"C{int(i):04d}" for i in c["id"]]})
    out["rx"] = c["rx"].astype(str).to_numpy()
    out["sex"] = c["sex"].map({0: "female", 1: "male"}).to_numpy()
    out["age"] = c["age"].to_numpy()
    for k in ("obstruct", "perfor", "adhere"):
        out[k] = c[k].map({0: "no", 1: "yes"}).to_numpy()
    out["nodes"] = c["nodes"].to_numpy()
    out["differ"] = c["differ"].map({1: "well", 2: "moderate", 3: "poor"}).to_numpy()
    spread = {1: "submucosa", 2: "muscle", 3: "serosa", 4: "contiguous"}
    out["extent"] = c["extent"].map(spread).to_numpy()
    out["surg"] = c["surg"].map({0: "short", 1: "long"}).to_numpy()
    out["status"] = c["status"].astype(int).to_numpy()
    return out


@pytest.fixture(scope="module")
def colon_study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("colon")
    _colon().to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(COLON_YAML)
    return folder / "study.yaml"


def _report(study: Path, out: Path) -> Path:
    """``python -m hccstats.report --config study --out out`` (with R), which must succeed."""
    proc = subprocess.run(
        [sys.executable, "-m", "hccstats.report", "--config", str(study), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def colon(colon_study, prespecified_run, tmp_path_factory) -> Path:
    """The colon study's report (the prespecified study's run started beside it)."""
    return _report(colon_study, tmp_path_factory.mktemp("colon-report") / "report")


class _Tables(HTMLParser):
    """Every <table> of report.html as (header cells, body rows); a header cell is (text,
    colspan, rowspan), so a model name spanning its columns reads back as "Model: β"."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[list, list]] = []
        self._row, self._cell, self._span, self._in_head = None, None, (1, 1), False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            self._span = (int(a.get("colspan", 1)), int(a.get("rowspan", 1)))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("".join(self._cell).strip(), *self._span))
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr" and self._row is not None:
            head, body = self.tables[-1]
            if self._in_head:
                head.append(self._row)
            else:
                body.append([c[0] for c in self._row])
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _columns(head: list) -> list[str]:
    if len(head) == 1:
        return [c[0] for c in head[0]]
    subs = iter(c[0] for c in head[1])
    out = []
    for text, colspan, rowspan in head[0]:
        out += [text] if rowspan == 2 else [f"{text}: {next(subs)}" for _ in range(colspan)]
    return out


def html_tables(report: Path) -> list[pd.DataFrame]:
    page = _Tables()
    html = (report / "report.html").read_text(encoding="utf-8")
    page.feed(html)
    return [pd.DataFrame(body, columns=_columns(head)) for head, body in page.tables if head]


def html_table(report: Path, first_column: str, must_have: str) -> pd.DataFrame:
    for t in html_tables(report):
        if t.columns[0] == first_column and any(must_have in c for c in t.columns):
            return t
    raise AssertionError(f"no table with columns {first_column!r} … {must_have!r}")


def _study_data(colon_study):
    from hccstats.study import load

    return load(colon_study).data


@pytest.mark.r
def test_every_number_on_the_fitted_patients_agrees_with_r_glm_on_colon(colon, colon_study):
    """Listwise deletion over the candidates: Table 3, Table 4, calibration, DCA and R use one n."""
    from hccstats.rbridge import run

    res = json.loads((colon / "results.json").read_text())
    check = pd.read_csv(colon / "r_check.csv")
    assert check["agree"].all(), check.loc[~check["agree"], ["quantity", "hccstats", "r"]]
    assert res["r_check"]["all_agree"] is True and len(check) > 80
    model = res["models"]["Clinical model"]
    n_fit = model["n"]
    data = _study_data(colon_study)
    train, valid = data[data["split"] == "training"], data[data["split"] == "validation"]
    cands = res["univariate"]["significant"]
    assert "differ" in cands and "differ" not in model["terms"]  # the candidate that costs patients
    assert sorted(model["terms"]) == ["extent", "nodes", "rx"]
    # R: complete cases over every candidate of the training set, then glm on them
    frame = pd.DataFrame(
        {
            c: (train[c].cat.codes.replace(-1, np.nan) + 1).astype(float)
            if isinstance(train[c].dtype, pd.CategoricalDtype)
            else train[c].astype(float)
            for c in CANDIDATES
        }
    )
    frame["rx"] = train["rx"].astype(str).to_numpy()
    frame["y"] = train["status"].to_numpy(float)
    r = run(
        "d <- d[complete.cases(d[, cands]), ]; d$rx <- factor(d$rx, levels = c('Obs', 'Lev', "
        "'Lev+5FU')); f <- glm(y ~ nodes + rx + extent, data = d, family = binomial, "
        "control = glm.control(epsilon = 1e-14)); c(nrow(d), coef(f)[1])",
        d=frame,
        cands=np.array(cands, dtype=object),
    )
    r = np.asarray(r, float)
    assert n_fit == int(r[0]) < len(train)  # 623 of 650: what glm sees after complete.cases
    assert sorted(model["patients"]) == sorted(train.dropna(subset=cands).index)
    # intercept as R has it (relative 1e-6: R's glm at epsilon 1e-14 against Newton at 1e-10)
    assert model["coef"]["Intercept"] == pytest.approx(float(r[1]), rel=1e-6)
    n_valid = len(valid.dropna(subset=model["terms"]))
    perf = pd.DataFrame(res["performance"]["table"]).set_index("set")
    cal = pd.DataFrame(res["performance"]["calibration_table"]).set_index("set")
    assert perf.loc["training", "n"] == cal.loc["training", "n"] == n_fit
    assert perf.loc["validation", "n"] == cal.loc["validation", "n"] == n_valid
    assert res["performance"]["dca_n"] == {"training": n_fit, "validation": n_valid}
    assert res["performance"]["calibration"]["Clinical model|training"]["n"] == n_fit
    t3 = html_table(colon, "Variable", "β")
    assert any(f"(n = {n_fit})" in c for c in t3.columns)
    t4 = html_table(colon, "Model", "AUC (95% CI)")
    assert list(t4["n (events)"].str.split(" ").str[0].astype(int)) == [n_fit, n_valid]


def test_table3_intercept_and_reference_rows_against_fit_on_colon(colon):
    res = json.loads((colon / "results.json").read_text())
    coef = res["models"]["Clinical model"]["coef"]
    t3 = html_table(colon, "Variable", "β")
    beta = next(c for c in t3.columns if c.endswith(": β"))
    orc = next(c for c in t3.columns if c.endswith(": OR (95% CI)"))
    assert t3.iloc[0]["Variable"] == "Intercept"
    assert float(t3.iloc[0][beta].replace("−", "-")) == pytest.approx(coef["Intercept"], abs=5e-4)
    labels = list(t3["Variable"])
    i = labels.index("Treatment")  # a three-level factor: header, reference, levels
    assert labels[i + 1 : i + 4] == ["Obs", "Lev", "Lev+5FU"]
    assert t3.iloc[i + 1][orc] == "Ref" and t3.iloc[i][orc] == ""
    assert "NA" not in t3.to_numpy().ravel().tolist()


@pytest.mark.r
def test_performance_cis_and_calibration_against_r_prop_test_and_val_prob_on_colon(colon):
    check = pd.read_csv(colon / "r_check.csv")
    for what in ("sensitivity", "specificity", "accuracy", "ppv", "npv"):
        rows = check[check["quantity"].str.startswith(f"{what} 95% CI")]
        assert len(rows) == 4 and rows["agree"].all(), what  # low/high × training/validation
    for r_name in ("Intercept", "Slope", "Brier", "Emax", "S:p"):
        rows = check[check["quantity"].str.startswith(f"val.prob {r_name}, ")]
        assert len(rows) >= 1 and rows["agree"].all(), r_name
    for what in ("Hosmer-Lemeshow p", "le Cessie-van Houwelingen p", "calibration slope 95% CI"):
        assert check["quantity"].str.startswith(what).any(), what
    t4 = html_table(colon, "Model", "AUC (95% CI)")
    for col in ("Sensitivity", "Specificity", "Accuracy", "PPV", "NPV"):
        assert f"{col}, % (95% CI)" in t4.columns
    cal = html_table(colon, "Model", "Calibration slope (95% CI)")
    valid = cal[cal["Set"] == "Validation"].iloc[0]
    assert (
        "–" in valid["Calibration slope (95% CI)"] or " to " in valid["Calibration slope (95% CI)"]
    ) and valid["Hosmer–Lemeshow p"] != "NA"


def test_single_model_has_no_delong_column_or_footnote_on_colon(colon):
    t4 = html_table(colon, "Model", "AUC (95% CI)")
    assert "p value" not in t4.columns and "NA" not in t4.to_numpy().ravel().tolist()
    html = (colon / "report.html").read_text(encoding="utf-8")
    assert "DeLong test against" not in html
    assert "Wilson score 95% CIs" in html


def test_internal_validation_against_hccstats_validate_on_colon(colon, colon_study):
    """The optimism-corrected indices are hs.validate's with the forward selection repeated in
    every resample (same B, seed), and the footnote says so."""
    import hccstats as hs
    from hccstats.study import load

    res = json.loads((colon / "results.json").read_text())
    model = res["models"]["Clinical model"]
    study = load(colon_study)
    d = study.data[study.data["split"] == "training"].copy()
    for c in ("differ", "extent"):  # ordinal as scores, as the report
        d[c] = d[c].cat.codes.replace(-1, np.nan).astype(float) + 1
    sw = hs.forward_lr(d, "status", res["univariate"]["significant"], nan_policy="omit")
    fit = sw.fit
    assert list(fit.data.index) == model["patients"]
    iv = pd.DataFrame(res["performance"]["internal_validation"]).set_index("index")
    vs = hs.validate(sw, B=int(iv["B"].iloc[0]), seed=study.analysis.bootstrap.seed)
    v = vs.table
    assert iv["selection_repeated"].all()
    freq = res["performance"]["selection_frequency"]["Clinical model"]
    assert freq == pytest.approx(vs.selection_frequency.to_dict(), rel=1e-12)
    # the plain refit of the final model differs: the selection's optimism is included
    plain = hs.validate(fit, B=int(iv["B"].iloc[0]), seed=study.analysis.bootstrap.seed).table
    assert iv.loc["Calibration slope (shrinkage factor)", "corrected"] != pytest.approx(
        plain.loc["Slope", "index_corrected"], rel=1e-9
    )
    html = (colon / "report.html").read_text(encoding="utf-8")
    assert "selection (same candidates, entry and removal p) was repeated in every resample" in html
    assert "not repeated in the resamples" not in html
    assert iv.loc["Calibration slope (shrinkage factor)", "corrected"] == pytest.approx(
        v.loc["Slope", "index_corrected"], rel=1e-9
    )
    assert iv.loc["C statistic (AUC)", "corrected"] == pytest.approx(
        0.5 + v.loc["Dxy", "index_corrected"] / 2, rel=1e-9
    )
    assert iv.loc["Brier score", "corrected"] == pytest.approx(
        v.loc["B", "index_corrected"], rel=1e-9
    )


def test_tripod_checklist_holds_against_the_rendered_report_on_colon(colon):
    tripod = html_table(colon, "TRIPOD+AI item", "Status").set_index("TRIPOD+AI item")["Status"]
    t3 = html_table(colon, "Variable", "β")
    cal = html_table(colon, "Model", "Calibration slope (95% CI)")
    evidence = {
        "22": "Intercept" in set(t3["Variable"]),
        "23a": cal["Calibration intercept (95% CI)"].str.contains("–| to ").any()
        and cal["Calibration slope (95% CI)"].str.contains("–| to ").any(),
    }
    for item, present in evidence.items():
        assert tripod[item].startswith("reported (") == present, item
    t4 = html_table(colon, "Model", "AUC (95% CI)")
    assert tripod["21"].startswith("reported (") == ("n (events)" in t4.columns)
    assert tripod["22"].startswith("reported (Table") and tripod["23a"].startswith("reported (")
    # no survival section, no images: the items only the authors can write stay theirs
    for item in ("1", "3a", "4", "5a", "6a", "6b", "8a", "10", "17", "18a", "19", "25", "26"):
        assert tripod[item] == "for the authors", item


def test_tripod_item_not_reported_when_the_table_lacks_it_against_report_model():
    from hccstats.report._tripod import tripod_status
    from reports import Report

    class _Ctx:  # the one attribute tripod_status reads: the Report about to be rendered
        report = Report("r")

    sec = _Ctx.report.section("Models")
    sec.table(
        "table3_multivariable",
        pd.DataFrame({"label": ["Age"], "b": [0.1]}),
        caption="Table 3 Multivariable models",
        formats={"Variable": lambda r: r["label"], "Clinical model: β": lambda r: str(r["b"])},
    )
    assert tripod_status(_Ctx, "22", "ok") == "not reported"
    assert tripod_status(_Ctx, "23a", "ok") == "not reported"
    assert tripod_status(_Ctx, "23a", "failed") == "failed"
    assert tripod_status(_Ctx, "21", "ok") == "not reported"
    assert tripod_status(_Ctx, "12b", "ok") == "not reported"  # no methods sentence on it
    assert tripod_status(_Ctx, "4", None) == "for the authors"
    _Ctx.report = Report("r")  # the same table with its intercept: reported, and where
    _Ctx.report.section("Models").table(
        "table3_multivariable",
        pd.DataFrame({"label": ["Intercept", "Age"], "b": [-1.0, 0.1]}),
        caption="Table 3 Multivariable models",
        formats={"Variable": lambda r: r["label"], "Clinical model: β": lambda r: str(r["b"])},
    )
    assert tripod_status(_Ctx, "22", "ok") == "reported (Table 3)"


@pytest.mark.r
def test_ordinal_baseline_p_against_r_wilcox_on_scores_on_colon(colon, colon_study):
    from hccstats.rbridge import run

    data = _study_data(colon_study)
    scores = data["differ"].cat.codes.replace(-1, np.nan).astype(float) + 1
    p_r = run(
        "wilcox.test(x ~ g)$p.value",
        x=scores[scores.notna()].to_numpy(),
        g=data.loc[scores.notna(), "split"].astype(str).to_numpy(),
    )
    res = json.loads((colon / "results.json").read_text())
    tests = pd.DataFrame(res["baseline"]["split"]["tests"]).set_index("variable")
    # deterministic algebra on both sides: relative 1e-9
    assert tests.loc["differ", "p_value"] == pytest.approx(float(p_r), rel=1e-9)
    t = html_table(colon, "Characteristic", "Training set")
    row = t[t["Characteristic"].str.startswith("Differentiation")].iloc[0]
    assert row["Test"] == "Mann–Whitney U (scores)"
    nodes = t[t["Characteristic"].str.startswith("Positive lymph nodes")].iloc[0]
    assert nodes.iloc[1] == "2 (1, 4)"  # integer counts print as integers
    html = (colon / "report.html").read_text(encoding="utf-8")
    assert "Mann–Whitney U test on their scores" in html


def test_or_digits_separate_ci_limits_against_printed_values():
    """An OR per unit of a fine scale (AFP, ng/mL) never prints as 1.00 (1.00–1.00)."""
    from reports.formatting import fmt_or_ci

    assert fmt_or_ci(1.00043, 1.00012, 1.00074) == "1.0004 (1.0001–1.0007)"
    assert fmt_or_ci(3.0712, 1.52, 6.22) == "3.07 (1.52–6.22)"  # the study's style, unchanged
    assert fmt_or_ci(1.0187, 1.0112, 1.0191) == "1.02 (1.01–1.02)"  # limits apart: 2 decimals
    assert fmt_or_ci(0.99987, 0.99979, 0.99995) == "0.9999 (0.9998–1.0000)"


PRESPECIFIED_B = 50  # the study file's bootstrap size, read back from the report
PRESPECIFIED = f"""\
analysis:
  alpha: 0.2
  selection: backward_lr
  models:
    Prespecified: [age, nodes, rx, obstruct]
    Terms: ["rcs(age, 4)", "log(nodes + 1)", "rx * sex", extent]
  bootstrap: {{B: {PRESPECIFIED_B}, seed: 5}}
  dca_thresholds: {{from: 0, to: 0.5, by: 0.05}}
  per: {{age: 10}}
"""


@pytest.fixture(scope="module")
def prespecified_run(colon_study, tmp_path_factory):
    """The prespecified study's report run, started and not waited for (on two cores its
    single-threaded stages overlap with the colon study's run): (output folder, process)."""
    folder = tmp_path_factory.mktemp("colon-prespecified")
    (folder / "clinical.csv").write_bytes((colon_study.parent / "clinical.csv").read_bytes())
    text = COLON_YAML.split("analysis:")[0] + PRESPECIFIED
    (folder / "study.yaml").write_text(text)
    out = folder / "report"
    with started_report("--config", str(folder / "study.yaml"), "--out", str(out)) as proc:
        yield out, proc


@pytest.fixture(scope="module")
def prespecified(prespecified_run) -> Path:
    out, started = prespecified_run
    proc = finish(started)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.r
def test_prespecified_model_against_r_glm_per_10_years_on_colon(prespecified, colon_study):
    """analysis: {models: ...} beside backward selection: every variable kept, R agrees."""
    from hccstats.rbridge import run

    res = json.loads((prespecified / "results.json").read_text())
    check = pd.read_csv(prespecified / "r_check.csv")
    assert check["agree"].all(), check.loc[~check["agree"], ["quantity", "hccstats", "r"]]
    assert list(res["models"]) == ["Clinical model", "Prespecified", "Terms"]
    model = res["models"]["Prespecified"]
    assert model["selection"] == "prespecified" and model["steps"] is None
    # methods.md names the seed the bootstrap used, and where it came from
    methods = (prespecified / "methods.md").read_text(encoding="utf-8")
    assert (
        f"the bootstrap of the calibration and the internal validation, B = {PRESPECIFIED_B} "
        "(from the study "
        "file, analysis.bootstrap.B), seed 5 (from the study file, analysis.bootstrap.seed)"
    ) in methods
    assert sorted(model["terms"]) == ["age", "nodes", "obstruct", "rx"]
    data = _study_data(colon_study)
    train = data[data["split"] == "training"]
    assert model["n"] == len(train.dropna(subset=["age", "nodes", "rx", "obstruct"]))
    # R: OR per 10 years of age = exp(10 * coef) with its Wald CI (deterministic: 1e-6 relative)
    r = np.asarray(
        run(
            "d$rx <- factor(d$rx, levels = c('Obs', 'Lev', 'Lev+5FU')); "
            "f <- glm(y ~ age + nodes + rx + obstruct, data = d, family = binomial, "
            "control = glm.control(epsilon = 1e-14)); c(exp(10 * coef(f)['age']), "
            "exp(10 * confint.default(f)['age', ]))",
            d=pd.DataFrame(
                {
                    "y": train["status"].to_numpy(float),
                    "age": train["age"].to_numpy(float),
                    "nodes": train["nodes"].to_numpy(float),
                    "rx": train["rx"].astype(str).to_numpy(),
                    "obstruct": train["obstruct"].astype(str).to_numpy(),
                }
            ),
        ),
        float,
    )
    ors = pd.DataFrame(model["odds_ratios"]).set_index("term")
    got = ors.loc["age", ["estimate", "ci_low", "ci_high"]].to_numpy(float)
    np.testing.assert_allclose(got, r, rtol=1e-6)
    assert ors.loc["age", "per"] == 10
    t3 = html_table(prespecified, "Variable", "β")
    assert "Age (years) (per 10)" in set(t3["Variable"])
    assert "Obstruction: yes vs no" in set(t3["Variable"])
    # β on the OR's row is per the same 10 years (OR = exp(β)), to enough digits to rebuild it
    beta = next(c for c in t3.columns if c.startswith("Prespecified") and c.endswith(": β"))
    age_beta = t3.loc[t3["Variable"] == "Age (years) (per 10)", beta].iloc[0]
    assert float(age_beta.replace("\u2212", "-")) == pytest.approx(
        np.log(ors.loc["age", "estimate"]), abs=5e-4
    )
    assert "0.000" not in set(t3[beta])
    dca = pd.DataFrame(res["performance"]["dca"]["validation"])
    np.testing.assert_allclose(sorted(dca["threshold"].unique()), np.arange(11) * 0.05)
    iv = pd.DataFrame(res["performance"]["internal_validation"])
    assert (iv["B"] == PRESPECIFIED_B).all()
    # backward selection is not repeated in the resamples: plain refits, and the footnote says so
    assert not iv["selection_repeated"].any() and res["performance"]["selection_frequency"] == {}
    html = (prespecified / "report.html").read_text(encoding="utf-8")
    assert "Clinical model: the backward LR selection is not repeated in the resamples" in html
    # two models: a DeLong column, on the patients both have
    t4 = html_table(prespecified, "Model", "AUC (95% CI)")
    assert "p value" in t4.columns and "Ref" in set(t4["p value"])
    delong = check.loc[check["quantity"].str.startswith("DeLong p, "), "quantity"]
    assert delong.str.contains("Prespecified", regex=False).any()


def test_backward_selection_in_the_report_against_backward_lr_on_colon(prespecified, colon_study):
    """analysis: {selection: backward_lr}: the clinical model is hs.backward_lr's."""
    import hccstats as hs

    res = json.loads((prespecified / "results.json").read_text())
    data = _study_data(colon_study)
    train = data[data["split"] == "training"].copy()
    for c in ("differ", "extent"):  # ordinal as scores, as the report
        train[c] = train[c].cat.codes.replace(-1, np.nan).astype(float) + 1
    cands = res["univariate"]["significant"]
    sw = hs.backward_lr(train, "status", cands, nan_policy="omit")
    model = res["models"]["Clinical model"]
    assert model["selection"] == "backward_lr" and model["terms"] == list(sw.fit.terms)
    assert [s["term"] for s in model["steps"]] == list(sw.steps["term"])
    assert model["coef"] == pytest.approx(sw.fit.coef.to_dict(), rel=1e-12)
    html = (prespecified / "report.html").read_text(encoding="utf-8")
    assert "Backward LR selection steps" in html and "SPSS Backward: LR" in html


@pytest.mark.r
def test_methods_name_procedures_properly_and_only_the_software_used(colon):
    """A clinical-only study: SPSS's procedure keeps its name, and the methods list no torch
    (nothing was extracted from images) but R and rpy2 (the cross-check ran)."""
    text = (colon / "methods.md").read_text()
    assert "SPSS Backward: LR" in text or "SPSS Forward: LR" in text
    assert "spss" not in text
    assert "torch" not in text and "rpy2" in text


@pytest.mark.r
def test_model_with_terms_in_the_report_against_lrm_anova_and_rms(prespecified, colon_study):
    """analysis.models with rcs, log and an interaction: the fit is hs.lrm's on the model's
    patients, its anova() in results.json is hs.anova's, and the R cross-check (rms::lrm and
    anova() on the same patients) agrees on every coefficient and Wald statistic."""
    import hccstats as hs

    res = json.loads((prespecified / "results.json").read_text())
    model = res["models"]["Terms"]
    assert model["formula"] == "status ~ rcs(age, 4) + log(nodes + 1) + rx * sex + extent"
    data = _study_data(colon_study)
    train = data[data["split"] == "training"].copy()
    train["extent"] = train["extent"].cat.codes.replace(-1, np.nan).astype(float) + 1
    fit = hs.lrm(model["formula"], train, nan_policy="omit")
    assert model["coef"] == pytest.approx(fit.coef.to_dict(), rel=1e-10)
    got = pd.DataFrame(model["anova"])
    ref = hs.anova(fit).to_frame()
    assert got["row"].tolist() == ref["row"].tolist()
    np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=1e-10)
    check = pd.read_csv(prespecified / "r_check.csv")
    mine = check[check["quantity"].str.startswith("Terms: ")]
    assert (
        mine["quantity"].str.contains("anova χ², TOTAL NONLINEAR + INTERACTION", regex=False).any()
    )
    assert mine["quantity"].str.contains("β, age''", regex=False).any()
    assert mine["agree"].all(), mine.loc[~mine["agree"], ["quantity", "hccstats", "r"]]
    t3 = set(html_table(prespecified, "Variable", "β")["Variable"])
    assert {"Age (years) (restricted cubic spline, 4 knots)", "Age (years)''"} <= {
        v.strip() for v in t3
    }
    assert "log(Positive lymph nodes + 1)" in t3 and "Treatment × Sex" in t3
    anova_table = html_table(prespecified, "Factor", "χ²")
    assert {"Treatment (with its interactions)", "Treatment × Sex", "TOTAL"} <= set(
        anova_table["Factor"]
    )


R_LRM_TERMS = (
    "suppressMessages(library(rms)); d$rx <- factor(d$rx, levels = c('Obs', 'Lev', 'Lev+5FU')); "
    "d$sex <- factor(d$sex, levels = c('female', 'male')); "
    "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); "
    "f <- lrm(status ~ rcs(age, 4) + log(nodes + 1) + rx * sex + extent, data = d, "
    "tol = 1e-14, eps = 1e-12, maxit = 50); a <- anova(f); "
    "p <- as.data.frame(Predict(f, age = v, ref.zero = TRUE, fun = exp)); "
    "q <- as.data.frame(Predict(f, rx = c('Obs', 'Lev', 'Lev+5FU'), ref.zero = TRUE, fun = exp)); "
    "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); "
    "list(names = names(coef(f)), coef = unname(coef(f)), rows = rownames(a), "
    "chisq = unname(a[, 1]), df = unname(a[, 2]), age = p[, c('yhat', 'lower', 'upper')], "
    "rx = q[, c('yhat', 'lower', 'upper')])"
)


@pytest.mark.r
def test_model_with_terms_and_its_partial_effects_against_rms_live(prespecified, colon_study):
    """The report's coefficients and anova table (results.json) against rms::lrm and anova() on
    the model's patients, and its partial-effect curves against rms Predict (R code written
    here, not the report's own check), all to 1e-6 relative; the figure is supplementary, at a
    journal's width with text of at least 7 pt."""
    import re

    from _pdf import read_pdf_figure

    import hccstats as hs
    from hccstats._names import term_label
    from hccstats.logistic import rms_column_names
    from hccstats.rbridge import run

    res = json.loads((prespecified / "results.json").read_text())
    model = res["models"]["Terms"]
    data = _study_data(colon_study)
    train = data[data["split"] == "training"].copy()
    train["extent"] = train["extent"].cat.codes.replace(-1, np.nan).astype(float) + 1
    fit = hs.lrm(model["formula"], train, nan_policy="omit")
    cols = ["status", "age", "nodes", "rx", "sex", "extent"]
    d = fit.data[cols].assign(rx=fit.data["rx"].astype(str), sex=fit.data["sex"].astype(str))
    v = np.asarray([40.0, 55.0, 70.0])
    r = run(R_LRM_TERMS, d=d, v=v)
    names = rms_column_names(fit.design_info, fit.data.columns)
    r_coef = pd.Series(np.asarray(r["coef"], float), index=list(r["names"]))
    assert len(model["coef"]) == len(r_coef)
    for col in fit.coef.index:
        got = model["coef"][term_label(col)]
        assert got == pytest.approx(r_coef[names.get(col, col)], rel=1e-6, abs=1e-9), col
    anova = pd.DataFrame(model["anova"])
    assert [re.sub(r"\s+", " ", x.strip()) for x in anova["row"]] == [
        re.sub(r"\s+", " ", x.strip()) for x in r["rows"]
    ]
    np.testing.assert_allclose(anova["statistic"], np.asarray(r["chisq"], float), rtol=1e-6)
    effects = model["partial_effects"]
    assert sorted(effects) == ["age", "nodes", "rx", "sex"]  # results.json sorts keys
    for v_name in effects:
        mine = pd.DataFrame(effects[v_name]["curve"])
        lib = hs.partial_effect(fit, v_name).to_frame()
        np.testing.assert_allclose(mine["estimate"], lib["estimate"], rtol=1e-9)
    assert effects["age"]["reference"] == pytest.approx(float(fit.data["age"].median()))
    for name, at in (("age", v), ("rx", ["Obs", "Lev", "Lev+5FU"])):
        curve = hs.partial_effect(fit, name, list(at)).to_frame()
        ref = r[name]
        for mine, theirs in (("estimate", "yhat"), ("ci_low", "lower"), ("ci_high", "upper")):
            np.testing.assert_allclose(curve[mine], ref[theirs].to_numpy(float), rtol=1e-6)
    check = pd.read_csv(prespecified / "r_check.csv")
    partial = check[check["quantity"].str.startswith("Terms: partial ")]
    assert partial["quantity"].str.contains("partial OR, age = ", regex=False).any()
    assert partial["quantity"].str.contains("partial CI low, rx = Lev+5FU", regex=False).any()
    assert len(partial) and partial["agree"].all()
    pdf = read_pdf_figure(prespecified / "figures" / "supp_fig_partial_terms.pdf")
    assert pdf.width_pt == pytest.approx(17.5 / 2.54 * 72, abs=0.5)
    assert min(pdf.font_sizes) >= 7.0 - 1e-9 and min(pdf.line_widths) >= 0.5 - 1e-9
    page = (prespecified / "report.html").read_text(encoding="utf-8")
    assert re.search(r"<b>Supplementary Fig\. \d+</b> Partial effects in the Terms: the odds", page)
    # the models without a nonlinear term or an interaction have no partial-effect figure
    assert res["models"]["Prespecified"]["partial_effects"] is None
    assert not (prespecified / "figures" / "supp_fig_partial_prespecified.png").exists()


def test_clinical_only_study_numbers_the_baseline_table_first(colon):
    """No images: Table 1 is the training-vs-validation table, the multivariable table comes
    after it (a manuscript's order); the table by outcome stays supplementary."""
    import re

    page = (colon / "report.html").read_text(encoding="utf-8")
    mains = re.findall(r"<b>Table (\d+)</b> ([^<]*)", page)
    assert mains[0][0] == "1"
    assert mains[0][1].startswith("Baseline characteristics of the training and validation sets")
    assert [int(n) for n, _ in mains] == list(range(1, len(mains) + 1))
    assert mains[1][1].startswith("Multivariable logistic regression")
    assert re.search(r"<b>Supplementary Table \d+</b> Baseline characteristics by outcome", page)
