"""What the report's stages share: the study, its analysis tree, the run's flags and logs.

Stages exchange data only through their typed results (frozen dataclasses, passed by the
pipeline to the stages that declare them in ``REQUIRES`` / ``USES``); the :class:`Context`
holds what every stage may read (the study, ``analysis``: every setting, built once by
``hccstats.study.load``; the run's flags and facts) and the append-only logs of the run
(results.json entries, R checks, methods sentences, alerts, software versions).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import Report, Section
from reports.background import FigureWriter

from ..study import Analysis

__all__ = [
    "stage_label",
    "Context",
    "Options",
    "RCheck",
    "RunInfo",
    "StageUnavailable",
    "StageFailed",
    "Progress",
]


class StageUnavailable(Exception):
    """A stage cannot run on this study or installation (no images, a module missing, ...)."""


class StageFailed(Exception):
    """A stage the study asks for could not give its result on this study's data (e.g.
    candidates, but no model could be fitted): a shortfall (exit code 3), said in one line."""


def stage_label(stage: str) -> str:
    """A stage's key as the report's tables show it (the univariable stage in the clinical word)."""
    return {"univariate": "univariable"}.get(stage, stage)


@dataclass(frozen=True)
class Options:
    """Flags of the run that are not settings of the analysis (``--no-r``, ``--quiet``); the
    analysis' settings are ``Context.analysis``."""

    use_r: bool = True
    quiet: bool = False


@dataclass(frozen=True)
class RunInfo:
    """Facts of the run the stages may state: the study file, demo or not."""

    study_path: Path | None = None
    demo: bool = False


@dataclass(frozen=True)
class RCheck:
    """One headline number, its R recomputation and a tolerance (|a-b| <= atol + rtol*|b|)."""

    stage: str
    quantity: str
    hccstats: float
    r_call: str
    compute_r: Callable[[], float]
    rtol: float = 1e-5
    atol: float = 1e-8


class Progress:
    """Stage progress with an ETA (a tqdm bar on stderr) and one line per finished stage.

    ``quiet`` silences both. Lines go through ``tqdm.write`` so they never tear the bar.
    """

    def __init__(self, quiet: bool, total: int):
        self.quiet, self.total, self.i = quiet, total, 0
        self.bar = None
        if not quiet:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                unit="stage",
                file=sys.stderr,
                dynamic_ncols=True,
                bar_format="{desc:<44} {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
                leave=False,
                disable=None,  # a bar on a terminal only; logs get the lines
            )

    def say(self, text: str) -> None:
        if self.quiet:
            return
        from tqdm.auto import tqdm

        tqdm.write(text, file=sys.stderr)

    def start(self, title: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(title)

    def stage(self, title: str, seconds: float, status: str, note: str = "") -> None:
        self.i += 1
        extra = f" — {note}" if note else ""
        self.say(f"[{self.i}/{self.total}] {title:<42} {status:<13} {seconds:6.1f} s{extra}")
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _silent(text: str) -> None:
    """No progress lines (a Context made outside the pipeline)."""


@dataclass
class Context:
    """What every stage may read, and the run's logs. ``results`` becomes results.json (unrounded).

    ``analysis`` is the study's analysis tree (``study.analysis``, every setting and where it
    came from), carried unchanged; the stages read their settings only there. ``labels`` are
    the variables' display labels: the study's, extended by the pipeline with those a stage's
    result declares (the signatures' ``labels``).
    """

    study: Any
    options: Options
    out: Path  # the temporary output folder (renamed into place at the end)
    work: Path  # scratch folder (deleted at the end)
    report: Report
    run: RunInfo = field(default_factory=RunInfo)
    analysis: Analysis = None  # type: ignore[assignment]  # None: the study's (or the defaults)
    say: Callable[[str], None] = _silent  # a progress line (the pipeline's: stderr, not --quiet)
    labels: dict[str, str] = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    checks: list[RCheck] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)  # stage -> methods sentence(s)
    software: dict[str, str] = field(default_factory=dict)  # package -> version
    stage_status: dict[str, str] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)  # warnings shown atop the report and on stderr
    failed: dict[str, str] = field(default_factory=dict)  # stages asked for that fell short
    sections: dict[str, Section] = field(default_factory=dict)  # stage key -> its section
    writer: FigureWriter | None = None  # saves a stage's figures while the next stages run
    table_no: int = 0
    supp_no: int = 0
    fig_no: int = 0
    supp_fig_no: int = 0

    def __post_init__(self):
        if self.analysis is None:
            self.analysis = getattr(self.study, "analysis", None) or Analysis()

    def next_table(self, supplementary: bool = False) -> str:
        if supplementary:
            self.supp_no += 1
            return f"Supplementary Table {self.supp_no}"
        self.table_no += 1
        return f"Table {self.table_no}"

    def next_figure(self, supplementary: bool = False) -> str:
        if supplementary:
            self.supp_fig_no += 1
            return f"Supplementary Fig. {self.supp_fig_no}"
        self.fig_no += 1
        return f"Fig. {self.fig_no}"

    def check(
        self,
        stage: str,
        quantity: str,
        value: float,
        r_call: str,
        compute_r: Callable[[], float],
        rtol: float = 1e-5,
        atol: float = 1e-8,
    ) -> None:
        """Register a headline number for the R cross-check (computed later, only with R)."""
        self.checks.append(RCheck(stage, quantity, float(value), r_call, compute_r, rtol, atol))

    def label(self, name: str) -> str:
        """The display label of a variable (a patsy-quoted term ``Q('BCLC stage')`` too), typeset
        ("≥", "×10⁹/L") as in the tables."""
        from reports.formatting import typeset

        if name not in self.labels and not name.isidentifier():  # a model term: rcs(age, 4)
            from .._names import term_label
            from ._terms import term_display_label

            shown = term_display_label(name, self.label)
            if shown != name:
                return shown
            name = term_label(name)  # Q('BCLC stage')[T.B] -> BCLC stage[T.B]
        return typeset(self.labels.get(name, name))

    def shortfall(self, stage: str, reason: str) -> None:
        """A stage that ran but fell short of what the study asks (e.g. R errors in the R
        check): listed with ``reason`` atop the report, on stderr and in results.json's
        ``failed_stages``; the run exits with code 3."""
        self.failed[stage] = reason

    def alert(self, text: str) -> None:
        """A warning for the top of report.html / report.docx and stderr (once each)."""
        if text not in self.alerts:
            self.alerts.append(text)

    def section(self, title: str) -> Section:
        return self.report.section(title)
