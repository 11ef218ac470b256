"""The report's handling of model terms: labels from the variables' labels, and the stepwise
candidates made from the study file's terms and the univariable screen."""

from __future__ import annotations

from hccstats.report._terms import candidate_variables, stepwise_terms, term_display_label

LABELS = {"age": "Age (years)", "sex": "Sex", "afp": "AFP", "BCLC stage": "BCLC stage"}


def _label(name: str) -> str:
    return LABELS.get(name, name)


def test_term_labels_keep_the_variable_label():
    assert (
        term_display_label("rcs(age, 4)", _label)
        == "Age (years) (restricted cubic spline, 4 knots)"
    )
    assert term_display_label("rcs(age, [30, 50, 70])", _label) == (
        "Age (years) (restricted cubic spline, 3 knots)"
    )
    assert term_display_label("pol(age, 2)", _label) == "Age (years) (polynomial, degree 2)"
    assert term_display_label("log(afp + 1)", _label) == "log(AFP + 1)"
    assert term_display_label("factor(sex)", _label) == "Sex"
    assert term_display_label("rcs(age, 4):sex", _label) == (
        "Age (years) (restricted cubic spline, 4 knots) × Sex"
    )
    assert term_display_label("Q('BCLC stage')", _label) == "BCLC stage"


def test_candidate_variables_expand_terms_in_order():
    declared = ["age", "sex", "afp", "BCLC stage"]
    got = candidate_variables(["rcs(age, 4)", "BCLC stage", "age * sex", "log(afp)"], declared)
    assert got == ["age", "BCLC stage", "sex", "afp"]


def test_stepwise_terms_keep_terms_whose_variables_passed_and_the_hierarchy():
    columns = ["age", "sex", "afp", "y"]
    given = ["rcs(age, 4)", "log(afp)", "rcs(age, 4) * sex"]
    assert stepwise_terms(given, ["age", "afp", "sex"], columns) == [
        "rcs(age, 4)",
        "log(afp)",
        "sex",
        "rcs(age, 4):sex",
    ]
    # sex did not pass: neither sex nor the interaction is a candidate
    assert stepwise_terms(given, ["age", "afp"], columns) == ["rcs(age, 4)", "log(afp)"]


def test_partial_predictors_are_the_variables_of_nonlinear_terms_and_interactions():
    from _datasets import birthwt

    import hccstats as hs
    from hccstats.report._partial_figures import partial_predictors

    d = birthwt()
    fit = hs.lrm("low ~ rcs(age, 4) + smoke * ht + log(lwt) + sqrt(ptl) + ui + factor(race)", d)
    assert partial_predictors(fit) == ["age", "smoke", "ht", "lwt", "ptl"]
    assert partial_predictors(hs.lrm("low ~ age + smoke + factor(race)", d)) == []
    assert partial_predictors(hs.lrm("low ~ pol(lwt, 2) + I(age / 10)", d)) == ["lwt", "age"]
