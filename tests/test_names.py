"""Any column name a CSV can hold, as outcome, predictor, factor, survival time or event.

The same real data under awkward names (a Python keyword as the outcome, spaces, a dot, a
hyphen, a slash and a non-ASCII letter, a leading digit, a quote, a backtick and a backslash)
and under plain names give identical numbers; R fits the awkward names in backticks and agrees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
from _datasets import birthwt_race_labelled

import hccstats as hs
from hccstats._names import (
    patsy_to_r,
    quote_name,
    r_quote,
    r_rename,
    r_unquote,
    term_label,
    unquote_name,
)

NAMES = [
    "class",
    "if",
    "biopsy result",
    "recur.5y",
    "rfs-5y",
    "µmol/L",
    "µmol",
    "1st tumour",
    "O'Brien score",
    "a`b",
    "a\\b",
    "TRUE",
    "_x",
    "plain",
]

# MASS::birthwt under awkward names: plain name -> awkward name
BIRTHWT = {
    "low": "class",
    "age": "if",
    "lwt": "µmol/L",
    "race": "1st tumour",
    "smoke": "biopsy result",
    "ptl": "recur.5y",
    "ht": "rfs-5y",
    "ui": "O'Brien score",
    "ftv": "a`b\\c",
}
PLAIN = [k for k in BIRTHWT if k != "low"]
AWKWARD = [BIRTHWT[k] for k in PLAIN]
RTOL = 1e-8  # R's glm at epsilon 1e-14 against Newton to rounding level (~1e-12 apart)


def _plain() -> pd.DataFrame:
    d = birthwt_race_labelled()[["low", *PLAIN]].copy()
    d["smoke"] = pd.Categorical(d["smoke"].map({0: "no", 1: "yes"}), ["no", "yes"])
    return d


def _awkward() -> pd.DataFrame:
    return _plain().rename(columns=BIRTHWT)


def _plain_term(term: str) -> str:
    """A term of the awkward fit as the plain fit names it."""
    back = {v: k for k, v in BIRTHWT.items()}
    label = term_label(term)
    var, sep, level = label.partition("[T.")
    return back.get(var, var) + sep + level


def _formula(outcome: str, predictors: list[str]) -> str:
    return f"{quote_name(outcome)} ~ " + " + ".join(quote_name(p) for p in predictors)


# --- the helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_quoted_names_read_back_as_themselves(name):
    assert unquote_name(quote_name(name)) == name
    assert term_label(quote_name(name) + "[T.yes]") == name + "[T.yes]"
    assert r_unquote(r_quote(name)) == name
    assert r_unquote(patsy_to_r(quote_name(name))) == name
    assert r_rename(r_quote(name) + " + x", {name: "v 1"}) == "`v 1` + x"
    frame = pd.DataFrame({name: [1.0, 2.0, 4.0]})
    X = patsy.dmatrix(quote_name(name), frame, return_type="dataframe")
    assert X.iloc[:, 1].tolist() == [1.0, 2.0, 4.0]


def test_quoting_is_needed_only_where_the_language_needs_it():
    assert [quote_name(n) for n in ("plain", "class", "µmol")] == [
        "plain",
        "Q('class')",
        "Q('µmol')",
    ]
    assert [r_quote(n) for n in ("plain", "class", "recur.5y", "if", "_x", "a`b", "a\\b")] == [
        "plain",
        "class",
        "recur.5y",
        "`if`",
        "`_x`",
        "`a\\`b`",
        "`a\\\\b`",
    ]
    formula = "Q('class') ~ Q('biopsy result') + np.log(Q('µmol/L')) + rcs(age, 4) + TRUE"
    assert (
        patsy_to_r(formula) == "class ~ `biopsy result` + np.log(`µmol/L`) + rcs(age, 4) + `TRUE`"
    )
    assert unquote_name("np.log(age)") == "np.log(age)"


@pytest.mark.r
def test_r_reads_each_quoted_name_as_the_same_name():
    from hccstats import rbridge

    back = rbridge.run(
        "vapply(x, function(s) as.character(str2lang(s)), '')",
        x=np.array([r_quote(n) for n in NAMES], dtype=object),
    )
    assert list(back) == NAMES


# --- the library: identical numbers under any names -----------------------------------------------


def test_univariate_with_a_keyword_outcome_equals_plain_names():
    ours = hs.univariate(_awkward(), "class", AWKWARD, per={"µmol/L": 10}).to_frame()
    plain = hs.univariate(_plain(), "low", PLAIN, per={"lwt": 10}).to_frame()
    assert list(dict.fromkeys(ours["predictor"])) == AWKWARD
    assert [_plain_term(t) for t in ours["term"]] == list(plain["term"])
    cols = ["estimate", "ci_low", "ci_high", "p_value", "n", "events"]
    np.testing.assert_array_equal(ours[cols].to_numpy(float), plain[cols].to_numpy(float))
    assert ours.loc[ours["predictor"] == "biopsy result", "term"].tolist() == [
        "biopsy result[T.yes]"
    ]


def test_lrm_forward_backward_and_vif_equal_plain_names():
    awk, plain = _awkward(), _plain()
    fit = hs.lrm(_formula("class", AWKWARD), awk)
    ref = hs.lrm(_formula("low", PLAIN), plain)
    assert fit.outcome == "class"
    assert [_plain_term(t) for t in fit.coef.index] == list(ref.coef.index)
    np.testing.assert_array_equal(fit.coef.to_numpy(), ref.coef.to_numpy())
    np.testing.assert_array_equal(fit.se.to_numpy(), ref.se.to_numpy())
    for select in (hs.forward_lr, hs.backward_lr):
        ours, theirs = select(awk, "class", AWKWARD), select(plain, "low", PLAIN)
        assert [_plain_term(t) for t in ours.selected] == theirs.selected
        steps, ref_steps = ours.steps, theirs.steps
        assert [_plain_term(t) for t in steps["term"]] == list(ref_steps["term"])
        np.testing.assert_array_equal(steps["statistic"], ref_steps["statistic"])
    for outcome in (None, "class"):
        v = hs.vif(awk, AWKWARD, outcome=outcome).to_frame()
        r = hs.vif(plain, PLAIN, outcome=None if outcome is None else "low").to_frame()
        assert list(v["term"]) == AWKWARD
        np.testing.assert_array_equal(v["vif"], r["vif"])


def test_nomogram_python_engine_equals_plain_names():
    chosen = ["µmol/L", "biopsy result", "1st tumour", "a`b\\c"]
    back = {v: k for k, v in BIRTHWT.items()}
    fit = hs.lrm(_formula("class", chosen), _awkward())
    ref = hs.lrm(_formula("low", [back[c] for c in chosen]), _plain())
    nom = hs.nomogram(fit, engine="python", labels={"µmol/L": "Weight (lb)"}).to_frame()
    plain = hs.nomogram(ref, engine="python").to_frame()
    assert list(dict.fromkeys(nom["variable"][nom["kind"] == "predictor"])) == chosen
    assert nom.loc[nom["variable"] == "µmol/L", "axis"].unique().tolist() == ["Weight (lb)"]
    np.testing.assert_array_equal(nom["points"], plain["points"])
    assert list(nom["value"]) == list(plain["value"])


# --- against R, the names in backticks --------------------------------------------------------------


@pytest.mark.r
def test_lrm_and_univariate_against_glm_with_backticked_names():
    from hccstats import rbridge
    from hccstats.rbridge.report_checks import r_term

    awk = _awkward()
    fit = hs.lrm(_formula("class", AWKWARD), awk)
    formula = f"{r_quote('class')} ~ " + " + ".join(r_quote(p) for p in AWKWARD)
    assert "`biopsy result` + recur.5y + `rfs-5y` + `O'Brien score` + `a\\`b\\\\c`" in formula
    ref = rbridge.run(
        f"f <- glm({formula}, family = binomial, data = d, "
        "control = glm.control(epsilon = 1e-14, maxit = 100)); coef(summary(f))[, 1:2]",
        d=awk,
        convert=False,
    )
    names = list(rbridge.run("rownames(x)", x=ref))
    est = pd.DataFrame(rbridge.to_py(ref), index=names)
    mine = [r_term(t) if t != "Intercept" else "(Intercept)" for t in fit.coef.index]
    np.testing.assert_allclose(fit.coef.to_numpy(), est.loc[mine, 0], rtol=RTOL)
    np.testing.assert_allclose(fit.se.to_numpy(), est.loc[mine, 1], rtol=1e-6)
    uni = hs.univariate(awk, "class", AWKWARD).to_frame()
    for pred in AWKWARD:
        r = rbridge.run(
            f"exp(coef(glm({r_quote('class')} ~ {r_quote(pred)}, family = binomial, data = d, "
            "control = glm.control(epsilon = 1e-14, maxit = 100)))[-1])",
            d=awk[["class", pred]],
        )
        ours = uni.loc[uni["predictor"] == pred, "estimate"]
        np.testing.assert_allclose(ours.to_numpy(), np.atleast_1d(r), rtol=RTOL)


@pytest.mark.r
def test_forward_lr_against_add1_drop1_with_backticked_names():
    from pathlib import Path

    from hccstats import rbridge

    awk = _awkward()
    ours = hs.forward_lr(awk, "class", AWKWARD)
    src = (Path(hs.__file__).parent / "rbridge" / "stats_forward_lr.R").read_text()
    res = rbridge.run(
        src
        + "\nr <- forward_lr_r(d, 'class', cands); list(steps = r$steps, selected = r$selected)",
        d=awk,
        cands=np.array([r_quote(c) for c in AWKWARD], dtype=object),
    )
    assert [r_unquote(t) for t in np.atleast_1d(res["selected"])] == ours.selected
    steps = res["steps"]
    assert [r_unquote(t) for t in steps["term"]] == list(ours.steps["term"])
    np.testing.assert_allclose(ours.steps["statistic"], steps["statistic"], rtol=1e-6)


@pytest.mark.r
def test_vif_against_car_with_backticked_names():
    from hccstats.rbridge import report_checks

    awk = _awkward()
    ours = hs.vif(awk, AWKWARD).to_frame().set_index("term")["vif"]
    theirs = report_checks.vif(awk, "class", AWKWARD)
    np.testing.assert_allclose(ours[AWKWARD], theirs[AWKWARD], rtol=1e-10)


@pytest.mark.r
@pytest.mark.filterwarnings("ignore:R. non-integer #successes")  # brglm2's adjusted responses
def test_report_checks_odds_ratios_with_backticked_names_and_units():
    from hccstats.rbridge import report_checks

    awk = _awkward()
    fit = hs.lrm(_formula("class", AWKWARD), awk)
    formula = report_checks.r_formula(awk, "class", list(fit.terms))
    assert formula.startswith("class ~ `1st tumour` + `biopsy result` + `if` + `µmol/L`")
    r = report_checks.glm_or(awk, "class", list(fit.terms), per={"Q('µmol/L')": 10})
    ors = fit.odds_ratios().set_index("term")
    for term, row in ors.iterrows():
        k = 10 if term == "Q('µmol/L')" else 1
        got = r.loc[report_checks.r_term(term)]
        np.testing.assert_allclose(row["estimate"] ** k, got["estimate"], rtol=RTOL)
        np.testing.assert_allclose(row["p_value"], got["p_value"], rtol=1e-6)
    # Firth (brglm2), one awkward factor and one awkward number per unit
    firth = hs.lrm(_formula("class", ["biopsy result", "µmol/L"]), awk, firth=True)
    got = report_checks.firth_or(awk, "class", ["biopsy result", "µmol/L"], per={"µmol/L": 10})
    ors = firth.odds_ratios().set_index("term")["estimate"]
    np.testing.assert_allclose(
        got.loc["`biopsy result`yes"], ors["Q('biopsy result')[T.yes]"], rtol=1e-6
    )
    np.testing.assert_allclose(got.loc["`µmol/L`"], ors["Q('µmol/L')"] ** 10, rtol=1e-6)


@pytest.mark.r
def test_coxph_with_awkward_time_event_and_predictors_against_survival():
    from _survival_data import r_data

    from hccstats.rbridge import survival_checks
    from hccstats.rbridge.report_checks import r_term

    names = {
        "time": "time (days)",
        "status": "if",
        "age": "µmol/L",
        "sex": "biopsy result",
        "ph_ecog": "1st tumour",
    }
    plain = r_data("lung")[list(names)].dropna().reset_index(drop=True)
    plain["sex"] = pd.Categorical(plain["sex"].map({1: "male", 2: "female"}), ["male", "female"])
    awk = plain.rename(columns=names)
    preds = ["µmol/L", "biopsy result", "1st tumour"]
    fit = hs.coxph(
        f"Surv({quote_name('time (days)')}, {quote_name('if')}) ~ "
        + " + ".join(quote_name(p) for p in preds),
        awk,
    )
    ref = hs.coxph("Surv(time, status) ~ age + sex + ph_ecog", plain)
    np.testing.assert_array_equal(fit.coef.to_numpy(), ref.coef.to_numpy())
    theirs = survival_checks.cox_hr(awk, "time (days)", "if", list(fit.terms))
    hr = fit.hazard_ratios().set_index("term")
    for term, row in hr.iterrows():
        got = theirs.loc[r_term(term)]
        np.testing.assert_allclose(row["estimate"], got["estimate"], rtol=1e-8)
        np.testing.assert_allclose(row["p_value"], got["p_value"], rtol=1e-6)


@pytest.mark.r
def test_nomogram_r_engine_with_awkward_factor_names_equals_plain_names():
    chosen = ["µmol/L", "biopsy result", "1st tumour", "a`b\\c"]
    back = {v: k for k, v in BIRTHWT.items()}
    fit = hs.lrm(_formula("class", chosen), _awkward())
    ref = hs.lrm(_formula("low", [back[c] for c in chosen]), _plain())
    nom = hs.nomogram(fit, engine="r").to_frame()
    plain = hs.nomogram(ref, engine="r").to_frame()
    native = hs.nomogram(fit, engine="python").to_frame()
    assert list(dict.fromkeys(nom["variable"][nom["kind"] == "predictor"])) == chosen
    axes = nom.loc[nom["kind"] == "predictor", "axis"].unique().tolist()
    assert axes == chosen  # rms labels its axes with the names, never with stand-ins
    np.testing.assert_allclose(nom["points"], plain["points"], rtol=1e-12)
    np.testing.assert_allclose(nom["points"], native["points"], rtol=1e-6, atol=1e-6)


@pytest.mark.r
def test_report_cox_section_fits_and_r_checks_awkward_time_event_and_terms():
    """The survival stage's Cox refit of a model's terms and its R checks (as the report
    registers them)."""
    from types import SimpleNamespace

    from _survival_data import r_data

    from hccstats.report import _s_survival
    from hccstats.report._cox_perf import check_hazard_ratios

    names = {"time": "months to event", "status": "event?", "age": "µmol/L", "sex": "if"}
    d = r_data("lung")[list(names)].dropna().reset_index(drop=True)
    d["sex"] = pd.Categorical(d["sex"].map({1: "male", 2: "female"}), ["male", "female"])
    d = d.rename(columns=names).assign(split="training")
    terms = [quote_name("µmol/L"), quote_name("if")]
    model = hs.lrm(f"Q('event?') ~ {' + '.join(terms)}", d.assign(**{"event?": d["event?"] - 1}))
    fits, why = _s_survival.cox_fits({"m": model}, d, "months to event", "event?")
    assert not why and list(fits["m"].terms) == list(model.terms)  # patsy: factors first
    table = fits["m"].hazard_ratios()
    assert set(table["term"]) == {"Q('µmol/L')", "Q('if')[T.female]"}
    checks = []
    ctx = SimpleNamespace(check=lambda *args, **kw: checks.append(args))
    check_hazard_ratios(ctx, "survival", "m", fits["m"], d, "months to event", "event?")
    assert len(checks) == 4
    for _stage, quantity, value, call, compute_r in checks:
        assert (
            "Q(" not in quantity and "Surv(`months to event`, `event?`) ~ `if` + `µmol/L`" in call
        )
        np.testing.assert_allclose(value, compute_r(), rtol=1e-6)


def test_study_file_terms_take_keywords_and_backticked_names():
    """A term of analysis.models or clinical_candidates written as in R: a keyword column
    inside a call (``log(class)``) and a name in backticks (``rcs(`albumin g/dL`, 3)``) reach
    the fits as patsy reads them; a bare declared name is left for the fits to quote."""
    from hccstats._names import term_to_patsy
    from hccstats.study._analysis import read_analysis
    from hccstats.study._config import Variable

    variables = {"class": None, "albumin g/dL": None, "age": None}
    assert term_to_patsy("log(class)", variables) == "log(Q('class'))"
    assert term_to_patsy("rcs(`albumin g/dL`, 3)", variables) == "rcs(Q('albumin g/dL'), 3)"
    assert term_to_patsy("class * age", variables) == "Q('class') * age"
    assert term_to_patsy("class", variables) == "class"
    assert term_to_patsy("log(age + 1)", variables) == "log(age + 1)"
    declared = {n: Variable(n, "continuous", n) for n in variables}
    given = {
        "models": {"M": ["log(class)", "`albumin g/dL`", "age"]},
        "clinical_candidates": ["rcs(`albumin g/dL`, 3)", "class"],
    }
    out = read_analysis(given, declared, "study.yaml")
    assert out["models"] == {"M": ["log(Q('class'))", "Q('albumin g/dL')", "age"]}
    assert out["clinical_candidates"] == ["rcs(Q('albumin g/dL'), 3)", "class"]


def test_stepwise_and_univariable_cox_quote_an_awkward_time_and_event():
    """forward_cox / univariate_cox given a time column with a space and a keyword event:
    their formulas quote them, and the fits equal those of plain names."""
    from _survival_data import r_data

    plain = r_data("lung")[["time", "status", "age", "ph_ecog"]].dropna().reset_index(drop=True)
    awk = plain.rename(columns={"time": "follow up", "status": "if"})
    sw = hs.forward_cox(awk, "follow up", "if", ["age", "ph_ecog"], entry=0.5, removal=0.6)
    ref = hs.forward_cox(plain, "time", "status", ["age", "ph_ecog"], entry=0.5, removal=0.6)
    assert sw.fit.formula.startswith("Surv(Q('follow up'), Q('if')) ~ ")
    np.testing.assert_array_equal(sw.fit.coef.to_numpy(), ref.fit.coef.to_numpy())
    u = hs.univariate_cox(awk, "follow up", "if", ["age", "ph_ecog"]).table
    v = hs.univariate_cox(plain, "time", "status", ["age", "ph_ecog"]).table
    np.testing.assert_array_equal(u["estimate"].to_numpy(), v["estimate"].to_numpy())


def test_messages_name_columns_as_the_data_does():
    d = _awkward().assign(**{"flat value": 1.0})
    with pytest.raises(hs.InputError, match=r"predictor 'flat value' is constant"):
        hs.lrm(_formula("class", ["biopsy result", "flat value"]), d)
    d["if copy"] = d["if"] * 2.0
    with pytest.raises(hs.InputError, match=r"column 'if copy' is a linear combination of 'if'"):
        hs.lrm(_formula("class", ["if", "if copy"]), d)
    from hccstats.report._univariable_fits import drop_collinear

    assert drop_collinear(d, "class", ["if", "if copy"]) == {"if copy": "exactly collinear with if"}


@pytest.mark.r
def test_r_reads_non_ascii_names_after_a_library_set_the_c_locale():
    """GDCM (DICOM through SimpleITK) sets the C locale in the process; R must still parse a
    non-ASCII column name in the cross-check afterwards."""
    import locale

    from hccstats.rbridge import run

    assert run("1L") == 1  # R started
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        out = run("sum(d$`µmol/L`)", d=pd.DataFrame({"µmol/L": [1.0, 2.0]}))
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert float(out) == 3.0
