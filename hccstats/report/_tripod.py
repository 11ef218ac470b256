"""The TRIPOD+AI checklist (Collins et al., BMJ 2024;385:e078378) against the report.

Every item of the published checklist, with its number and short title. An item is
"reported (where)" only when the report about to be rendered holds it, judged on its tables,
figures and methods text (e.g. 22: Table 3 has the intercept beside the coefficients; 23a:
calibration intercept and slope with CIs beside the AUCs), naming the tables and figures that
hold it. Items only the authors can write (title, background, objectives, data sources, setting,
eligibility, outcome definition, sample-size rationale, ethics, open science, patient
involvement, discussion, ...) are "for the authors", never "reported".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._layout import rendered

__all__ = ["TRIPOD_AI", "EVIDENCE", "FOR_THE_AUTHORS", "tripod_status"]

FOR_THE_AUTHORS = "for the authors"

#: (item, section of the paper, short title, the report stage that covers it or None)
TRIPOD_AI: list[tuple[str, str, str, str | None]] = [
    ("1", "Title", "Title", None),
    ("2", "Abstract", "Abstract (TRIPOD+AI for Abstracts)", None),
    ("3a", "Introduction", "Background: healthcare context, rationale, existing models", None),
    ("3b", "Introduction", "Background: target population, intended purpose and users", None),
    ("3c", "Introduction", "Background: known health inequalities", None),
    ("4", "Introduction", "Objectives", None),
    ("5a", "Methods", "Data: sources, rationale, representativeness", None),
    ("5b", "Methods", "Data: dates of accrual and follow-up", None),
    ("6a", "Methods", "Participants: study setting, number and location of centres", None),
    ("6b", "Methods", "Participants: eligibility criteria", None),
    ("6c", "Methods", "Participants: treatments received and their handling", None),
    ("7", "Methods", "Data preparation: pre-processing and quality checking", None),
    ("8a", "Methods", "Outcome: definition, time horizon, how and when assessed", None),
    ("8b", "Methods", "Outcome: qualifications of the outcome assessors", None),
    ("8c", "Methods", "Outcome: blinding of the outcome assessment", None),
    ("9a", "Methods", "Predictors: choice of initial predictors and pre-selection", "univariate"),
    ("9b", "Methods", "Predictors: definitions, how and when measured", None),
    ("9c", "Methods", "Predictors: qualifications of the predictor assessors", None),
    ("10", "Methods", "Sample size: how it was arrived at and why it suffices", None),
    ("11", "Methods", "Missing data: how handled, reasons for omitting data", "baseline"),
    ("12a", "Methods", "Analytical methods: use of the data, partitioning", "flow"),
    ("12b", "Methods", "Analytical methods: handling of predictors (functional form)", "performance"),
    ("12c", "Methods", "Analytical methods: model type, building steps, internal validation", "performance"),
    ("12d", "Methods", "Analytical methods: heterogeneity across clusters", None),
    ("12e", "Methods", "Analytical methods: performance measures and plots, model comparison", "performance"),
    ("12f", "Methods", "Analytical methods: model updating (recalibration)", None),
    ("12g", "Methods", "Analytical methods: how predictions were calculated", "models"),
    ("13", "Methods", "Class imbalance", None),
    ("14", "Methods", "Fairness", None),
    ("15", "Methods", "Model output: probabilities, classification thresholds", "performance"),
    ("16", "Methods", "Training versus evaluation: differences in setting, eligibility, outcome, predictors", None),
    ("17", "Methods", "Ethics", None),
    ("18a", "Open science", "Funding", None),
    ("18b", "Open science", "Conflicts of interest", None),
    ("18c", "Open science", "Protocol", None),
    ("18d", "Open science", "Registration", None),
    ("18e", "Open science", "Data sharing", None),
    ("18f", "Open science", "Code sharing", None),
    ("19", "Patient and public involvement", "Patient and public involvement", None),
    ("20a", "Results", "Participants: flow, with and without the outcome", "flow"),
    ("20b", "Results", "Participants: characteristics, events, missing data", "baseline"),
    ("20c", "Results", "Participants: development and evaluation data compared", "baseline"),
    ("21", "Results", "Model development: participants and events in each analysis", "performance"),
    ("22", "Results", "Model specification: the full prediction model", "models"),
    ("23a", "Results", "Model performance: estimates with confidence intervals", "performance"),
    ("23b", "Results", "Model performance: heterogeneity across clusters", None),
    ("24", "Results", "Model updating: results", None),
    ("25", "Discussion", "Interpretation, including fairness", None),
    ("26", "Discussion", "Limitations", None),
    ("27a", "Discussion", "Usability: handling poor-quality or unavailable input data", None),
    ("27b", "Discussion", "Usability: user interaction and expertise required", None),
    ("27c", "Discussion", "Usability: next steps for research", None),
]  # fmt: skip

_NUMBER = re.compile(r"^(Supplementary Table \d+|Table \d+|Fig\. \d+)")


def _table(report, name: str):
    return next((t for t in report.tables() if t.name == name), None)


def _where(*items) -> list[str]:
    """The captions' numbers ("Table 4", "Fig. 6") of the tables and figures given."""
    out = []
    for item in items:
        m = _NUMBER.match(getattr(item, "caption", "") or "")
        out.append(m.group(1) if m else getattr(item, "name", ""))
    return out


def _has_intercept(report) -> list[str]:
    t = _table(report, "table3_multivariable")
    if t is None:
        return []
    d = t.display()
    rows = d[d.iloc[:, 0] == "Intercept"]
    ok = len(rows) == 1 and any(c.endswith(": β") for c in d.columns)
    return _where(t, *_figures(report, "fig_nomogram")) if ok else []


def _has_calibration(report) -> list[str]:
    t4, cal = _table(report, "table4_model_performance"), _table(report, "table_calibration")
    if t4 is None or cal is None or "AUC (95% CI)" not in t4.display().columns:
        return []
    d = cal.display()
    cols = ["Calibration intercept (95% CI)", "Calibration slope (95% CI)"]
    ok = all(c in d.columns and d[c].str.contains(r"\(", regex=True).any() for c in cols)
    return _where(t4, cal, *_figures(report, "fig_model_performance")) if ok else []


def _has_numbers(report) -> list[str]:
    """Each model's n and events: Table 3's footnote and Table 4's n (events) column."""
    t3, t4 = _table(report, "table3_multivariable"), _table(report, "table4_model_performance")
    ok = (
        t3 is not None
        and "events" in t3.footnote
        and t4 is not None
        and "n (events)" in t4.display().columns
    )
    return _where(t3, t4) if ok else []


def _figures(report, prefix: str) -> list:
    return [f for f in report.figures() if f.name.startswith(prefix)]


def _tables(*names: str, need_all: bool = True) -> Callable:
    def check(report) -> list[str]:
        found = [t for t in (_table(report, n) for n in names) if t is not None]
        if not found or (need_all and len(found) < len(names)):
            return []
        return _where(*found)

    return check


def _performance_measures(report) -> list[str]:
    where = _tables("table4_model_performance", "table_calibration")(report)
    return where + _where(*_figures(report, "fig_model_performance")) if where else []


#: TRIPOD+AI item -> the places in the Report about to be rendered that hold it ([] if none)
EVIDENCE: dict[str, Callable] = {
    "9a": _tables("supp_univariate"),
    "11": _tables("flow", "supp_baseline_split"),
    "12a": _tables("flow"),
    "12c": _tables("table3_multivariable", "table_internal_validation"),
    "12e": _performance_measures,
    "12g": _has_intercept,
    "15": _tables("table4_model_performance"),
    "20a": _tables("flow"),
    "20b": _tables("supp_baseline_split"),
    "20c": _tables("supp_baseline_split"),
    "21": _has_numbers,
    "22": _has_intercept,
    "23a": _has_calibration,
}


def tripod_status(ctx, item: str, stage_status: str | None, methods_text: str = "") -> str:
    """ "reported (Table 4, Fig. 6)", "not reported" (the stage ran, the report lacks the item),
    the covering stage's status (it did not run), or "for the authors"."""
    if stage_status is None:
        return FOR_THE_AUTHORS
    if item == "12b":
        where = ["Methods"] if "Continuous predictors of the final models" in methods_text else []
    else:
        where = EVIDENCE[item](rendered(ctx))
    if where:
        return f"reported ({', '.join(dict.fromkeys(where))})"
    return "not reported" if stage_status == "ok" else stage_status
