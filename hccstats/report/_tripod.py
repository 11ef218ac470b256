"""Which TRIPOD items the report contains, judged on the tables and figures it will render.

An item with evidence here is "reported" only when the rendered report holds it (e.g. 15a:
Table 3 has the intercept; 16: calibration intercept and slope with CIs beside the AUCs);
other items follow the status of the stage that covers them.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["tripod_status", "EVIDENCE"]


def _table(report, name: str):
    return next((t for t in report.tables() if t.name == name), None)


def _has_intercept(report) -> bool:
    t = _table(report, "table3_multivariable")
    if t is None:
        return False
    d = t.display()
    rows = d[d.iloc[:, 0] == "Intercept"]
    return len(rows) == 1 and any(c.endswith(": β") for c in d.columns)


def _has_calibration(report) -> bool:
    t4, cal = _table(report, "table4_model_performance"), _table(report, "table_calibration")
    if t4 is None or cal is None or "AUC (95% CI)" not in t4.display().columns:
        return False
    d = cal.display()
    cols = ["Calibration intercept (95% CI)", "Calibration slope (95% CI)"]
    return all(c in d.columns and d[c].str.contains(r"\(", regex=True).any() for c in cols)


def _has_numbers(report) -> bool:
    """Each model's n and events: Table 3's footnote and Table 4's n (events) column."""
    t3, t4 = _table(report, "table3_multivariable"), _table(report, "table4_model_performance")
    return (
        t3 is not None
        and "events" in t3.footnote
        and t4 is not None
        and "n (events)" in t4.display().columns
    )


def _has_figure(prefix: str) -> Callable:
    return lambda report: any(f.name.startswith(prefix) for f in report.figures())


#: TRIPOD item -> predicate on the Report about to be rendered
EVIDENCE: dict[str, Callable] = {
    "10d": lambda report: _table(report, "table4_model_performance") is not None,
    "14a": _has_numbers,
    "15a": _has_intercept,
    "15b": _has_figure("fig_nomogram"),
    "16": _has_calibration,
    "10e/17": _has_figure("fig_model_performance"),
}


def tripod_status(ctx, item: str, stage_status: str) -> str:
    """ "reported", "not reported" (the stage ran, the report lacks the item) or the stage's status."""
    check = EVIDENCE.get(item)
    if check is None:
        return "reported" if stage_status == "ok" else stage_status
    if check(ctx.report):
        return "reported"
    return "not reported" if stage_status == "ok" else stage_status
