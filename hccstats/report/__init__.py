"""The report pipeline behind ``python -m hccstats.report``.

Given a study file (docs/study-file.md), it performs the reference study's analysis plan
(patient flow, baseline table, reader agreement, deep-learning signatures, univariable and
forward-LR logistic models, nomograms, ROC/DeLong, bootstrap calibration, decision curves,
an R cross-check, generated methods and the TRIPOD+AI checklist) and writes the manuscript's
tables and figures through :mod:`reports`. See docs/report.md.

>>> from hccstats.report import run_report
>>> run_report(demo=True, out="demo-report", force=True)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_report", "report_run", "ReportRun", "STAGES"]


def __getattr__(name: str) -> Any:  # lazy: importing the package starts nothing heavy
    if name in __all__:
        from . import _pipeline

        return getattr(_pipeline, name)
    raise AttributeError(name)
