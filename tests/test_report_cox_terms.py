"""Model terms in a survival-only study (``survival:`` without ``outcome:``) on survival::pbc's
trial patients: a prespecified Cox model with ``rcs(age, 4)``, ``log(bili + 1)`` and
``albumin * sex``, and stepwise candidates written as terms. Oracles: R live (rms::cph,
anova() and Predict() on the model's patients, written out here, not the report's own check
code), the library (``hs.coxph``, ``hs.anova``, ``hs.forward_cox``, ``hs.partial_effect``)
and the report's files read back (results.json, r_check.csv, report.html, the figure's PDF).
One report run shared by the tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _pdf import read_pdf_figure
from test_report_cox import STUDY, write_study

import hccstats as hs
from hccstats.logistic import rms_column_names

TERMS = ["rcs(age, 4)", "log(bili + 1)", "albumin * sex", "edema"]
FORMULA = "Surv(years, death) ~ rcs(age, 4) + log(bili + 1) + albumin * sex + edema"
CANDIDATES = ["rcs(age, 4)", "bili", "albumin", "edema", "protime", "sex"]
YAML = STUDY.split("analysis:")[0] + (
    "analysis:\n"
    f"  clinical_candidates: [{', '.join(repr(c) for c in CANDIDATES)}]\n"
    f"  models:\n    Terms: [{', '.join(repr(t) for t in TERMS)}]\n"
    "  bootstrap: {B: 40, seed: 5}\n"  # no test here reads the resamples' numbers
)
COLUMNS = ["years", "death", "age", "bili", "albumin", "sex", "edema"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("cox-terms")
    path = write_study(root / "study", YAML)
    out = root / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "hccstats.report", "--config", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return path, out


def _train(path, columns=COLUMNS) -> pd.DataFrame:
    from hccstats.study import load

    data = load(path).data
    return data[data["split"] == "training"].dropna(subset=columns)


def _results(out) -> dict:
    return json.loads((out / "results.json").read_text())


R_CPH = (
    "suppressMessages(library(rms)); d$sex <- factor(d$sex, levels = c('m', 'f')); "
    "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); "
    "f <- cph(Surv(years, death) ~ rcs(age, 4) + log(bili + 1) + albumin * sex + edema, "
    "data = d, eps = 1e-12, tol = 1e-13, iter.max = 100); a <- anova(f); "
    "p <- as.data.frame(Predict(f, age = v, ref.zero = TRUE, fun = exp)); "
    "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); "
    "list(names = names(coef(f)), coef = unname(coef(f)), rows = rownames(a), "
    "chisq = unname(a[, 1]), df = unname(a[, 2]), yhat = p$yhat, lower = p$lower, "
    "upper = p$upper)"
)


@pytest.mark.r
@pytest.mark.slow
def test_cox_model_with_terms_equals_rms_cph_and_anova(report):
    """The report's hazard ratios and anova table (results.json) against rms::cph and anova()
    on the model's training patients, to 1e-6 relative (both fits converge to rounding)."""
    from hccstats.rbridge import run

    path, out = report
    res = _results(out)["cox"]
    assert res["models"]["Terms"] == ["sex", "rcs(age, 4)", "log(bili + 1)", "albumin"] + [
        "albumin:sex",
        "edema",
    ]
    train = _train(path)
    fit = hs.coxph(FORMULA, train)
    v = np.asarray([40.0, 50.0, 65.0])
    r = run(R_CPH, d=train[COLUMNS].assign(sex=train["sex"].astype(str)), v=v)
    r_coef = pd.Series(np.asarray(r["coef"], float), index=list(r["names"]))
    names = rms_column_names(fit.design_info, fit.data.columns)
    hrs = pd.DataFrame(res["hazard_ratios"])
    hrs = hrs[hrs["model"] == "Terms"].set_index("term")
    from hccstats._names import term_label

    assert len(hrs) == len(r_coef) == len(fit.coef)
    for col in fit.coef.index:
        got = np.log(hrs.loc[term_label(col), "estimate"])
        assert got == pytest.approx(r_coef[names[col]], rel=1e-6, abs=1e-9), col
    anova = pd.DataFrame(res["anova"]["Terms"])
    assert anova["row"].str.strip().str.replace(r"\s+", " ", regex=True).tolist() == [
        re.sub(r"\s+", " ", x.strip()) for x in r["rows"]
    ]
    np.testing.assert_allclose(anova["statistic"], np.asarray(r["chisq"], float), rtol=1e-6)
    np.testing.assert_array_equal(anova["df"], np.asarray(r["df"], float))
    # the partial effect of age (albumin, sex, bilirubin, edema at their adjust-to values)
    curve = hs.partial_effect(fit, "age", v).to_frame()
    for mine, theirs in (("estimate", "yhat"), ("ci_low", "lower"), ("ci_high", "upper")):
        np.testing.assert_allclose(curve[mine], np.asarray(r[theirs], float), rtol=1e-6)


@pytest.mark.r
@pytest.mark.slow
def test_cox_terms_r_check_covers_coefficients_anova_and_partial_effects(report):
    _, out = report
    rc = pd.read_csv(out / "r_check.csv")
    mine = rc[rc["quantity"].str.startswith("Cox Terms: ")]
    for kind in ("β, age''", "β, albumin * sex=f", "anova χ², TOTAL", "anova χ², Nonlinear (age)"):
        assert mine["quantity"].str.contains(kind, regex=False).any(), kind
    assert mine["quantity"].str.contains("partial HR, bili = ").any()
    assert mine["quantity"].str.contains("partial CI high, sex = f", regex=False).any()
    fits = ~mine["quantity"].str.contains("(apparent, validate)", regex=False)
    assert (
        mine.loc[fits, "r_call"].str.startswith("rms::cph(Surv(years, death) ~ rcs(age, 4)").all()
    )
    # the internal validation's apparent indices: rms::validate of the same cph model
    assert mine.loc[~fits, "r_call"].str.contains("rcs(age, 4)", regex=False).all()
    assert (~fits).sum() == 3
    assert mine["agree"].all(), mine.loc[~mine["agree"], ["quantity", "hccstats", "r"]]
    assert _results(out)["r_check"]["all_agree"] is True


@pytest.mark.slow
def test_stepwise_cox_candidates_written_as_terms_are_forward_cox_s(report):
    """clinical_candidates with rcs(age, 4): the selection is hs.forward_cox's over the terms
    whose variables passed the univariable screen."""
    from hccstats.survival import forward_cox

    path, out = report
    res = _results(out)["cox"]
    passed = res["significant"]
    cands = [
        c for c in ["rcs(age, 4)", *CANDIDATES[1:]] if c.split("(")[-1].split(",")[0] in passed
    ]
    assert "rcs(age, 4)" in cands
    from hccstats.study import load

    data = load(path).data
    sw = forward_cox(data[data["split"] == "training"], "years", "death", cands, nan_policy="omit")
    assert res["models"]["Clinical model"] == list(sw.fit.terms)
    assert "rcs(age, 4)" in res["models"]["Clinical model"]


@pytest.mark.slow
def test_cox_partial_effect_figure_is_the_library_s_and_journal_sized(report):
    path, out = report
    res = _results(out)["cox"]
    effects = res["partial_effects"]["Terms"]
    assert sorted(effects) == ["age", "albumin", "bili", "sex"]  # results.json sorts keys
    fit = hs.coxph(FORMULA, _train(path))
    for v, entry in effects.items():
        pe = hs.partial_effect(fit, v)
        curve = pd.DataFrame(entry["curve"])
        np.testing.assert_allclose(curve["estimate"], pe.table["estimate"], rtol=1e-9)
        np.testing.assert_allclose(curve["ci_high"], pe.table["ci_high"], rtol=1e-9)
        assert entry["reference"] == pe.reference and entry["ratio"] == "hazard ratio"
    # the reference value of a continuous predictor is its median in the model's patients
    assert effects["age"]["reference"] == pytest.approx(float(_train(path)["age"].median()))
    pdf = read_pdf_figure(out / "figures" / "supp_fig_cox_partial_terms.pdf")
    assert pdf.width_pt == pytest.approx(17.5 / 2.54 * 72, abs=0.5)
    assert min(pdf.font_sizes) >= 7.0 - 1e-9
    assert min(pdf.line_widths) >= 0.5 - 1e-9
    page = (out / "report.html").read_text(encoding="utf-8")
    caption = re.search(r"<b>(Supplementary Fig\. \d+)</b> Partial effects in the Cox Terms", page)
    assert caption, "the partial-effect figure is supplementary"


@pytest.mark.slow
def test_survival_only_study_numbers_the_baseline_table_first(report):
    """No images: the training-vs-validation table is Table 1, ahead of the Cox tables; the
    anova table of the model with terms is supplementary."""
    _, out = report
    page = (out / "report.html").read_text(encoding="utf-8")
    mains = re.findall(r"<b>Table (\d+)</b> ([^<]*)", page)
    assert mains[0][0] == "1"
    assert mains[0][1].startswith("Baseline characteristics of the training and validation sets")
    assert [int(n) for n, _ in mains] == list(range(1, len(mains) + 1))
    assert any(t.startswith("Multivariable Cox") for _, t in mains[1:])
    assert re.search(
        r"<b>Supplementary Table \d+</b> Wald tests per predictor of the Cox Terms", page
    )
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "(rms anova)" in methods and "(rms Predict)" in methods
