"""The report pipeline: load the study, run each stage in isolation, write every output atomically."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import Report, atomic_dir, render_all, write_csv, write_json
from reports.background import FigureWriter

from .._errors import InputError
from ..study import check_run_options, load
from ._context import Context, Options, Progress, RunInfo
from ._layout import arrange
from ._stages import STAGES, run_stages, stage_titles

__all__ = ["run_report", "report_run", "run_settings", "RunSettings", "ReportRun", "STAGES"]


def _prepare_demo(work: Path, seed: int) -> Path:
    import os

    from hccstats.demo import make_study

    return Path(
        make_study(
            work / "demo-study", n=285, seed=seed, n_jobs=max(1, min(2, os.cpu_count() or 1))
        )
    )


@dataclass(frozen=True)
class ReportRun:
    """What a report run produced: the folder, each stage's status and the stages that fell short.

    ``failed`` maps a stage the study asked for and that did not complete to its one-line
    reason; empty means a complete report (exit code 0 of ``python -m hccstats.report``,
    else 3). ``alerts`` are the warnings shown atop the report (e.g. separation).
    """

    out: Path
    stages: dict[str, str]
    failed: dict[str, str]
    alerts: tuple[str, ...] = ()


def run_report(config: str | Path | None = None, **kwargs: Any) -> Path:
    """Run the whole analysis plan on a study file and write the report into ``out``.

    Python equivalent of ``python -m hccstats.report``; the keyword arguments are those of
    :func:`report_run` (``out``, ``demo``, ``force``, ``quiet``, ``use_r``, ``seed``,
    ``options``). Raises :class:`hccstats.InputError` for a bad study file or data (the CLI
    prints it as one line, exit code 2) and :class:`reports.OutputExistsError` when ``out``
    may not be written (not empty without ``force``, not written by a previous report,
    holding or inside an input). Returns the output folder; :func:`report_run` also returns
    which stages fell short.
    """
    return report_run(config, **kwargs).out


#: the demo's quick extraction and signature search (its study file leaves them out)
DEMO_DEFAULTS = {
    "signature_preset": "fast",
    "crop_size": 64,
    "n4_iterations": [10, 10],  # the demo's quick N4 (small synthetic volumes)
    "n4_convergence": 0.01,
}


@dataclass(frozen=True)
class RunSettings:
    """One report run as asked: the study file (None with ``demo``), the output folder, the
    run's flags, and ``overrides``, the run's options for the analysis tree (``seed``,
    ``scheduler``, ``analysis:`` keys), which :func:`hccstats.study.load` validates."""

    config: Path | None
    out: Path
    demo: bool = False
    force: bool = False
    options: Options = Options()
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, config, *, out, demo, force, quiet, use_r, seed, options) -> RunSettings:
        if (config is None) == (not demo):
            raise InputError("give either a study file (--config study.yaml) or --demo")
        overrides = {**(options or {}), **({} if seed is None else {"seed": seed})}
        check_run_options(overrides)  # before anything is written, the demo included
        return cls(
            None if config is None else Path(config),
            Path(out),
            demo,
            force,
            Options(use_r=use_r, quiet=quiet),
            overrides,
        )


def report_run(
    config: str | Path | None = None,
    *,
    out: str | Path,
    demo: bool = False,
    force: bool = False,
    quiet: bool = False,
    use_r: bool = True,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> ReportRun:
    """Run the analysis plan and write the report; returns a :class:`ReportRun`.

    Parameters
    ----------
    config : str or Path, optional
        The study file (docs/study-file.md); or ``demo=True``.
    out : str or Path
        Output folder, written atomically; replaced only with ``force`` and only when a
        previous report wrote it; never a folder holding or inside an input.
    demo, force, quiet, use_r : bool
        The CLI's ``--demo``, ``--force``, ``--quiet`` and the opposite of ``--no-r``.
    seed : int, optional
        The run seed (``--seed``); the split keeps ``split.seed`` when the study gives one.
    options : dict, optional
        The run's options for the analysis (``scheduler``, any key of the study file's
        ``analysis:``), winning over the study file; recorded as from the command line.

    Returns
    -------
    ReportRun
        ``failed`` lists the stages the study asks for that fell short (CLI exit code 3).
    """
    run = RunSettings.of(
        config, out=out, demo=demo, force=force, quiet=quiet, use_r=use_r, seed=seed,
        options=options,
    )  # fmt: skip
    return run_settings(run)


def run_settings(run: RunSettings) -> ReportRun:
    """The report of one :class:`RunSettings`: load the study (before ``out`` is touched),
    run the stages, write the outputs atomically."""
    t_all = time.perf_counter()
    study, files, folders = None, [], []
    if not run.demo:
        if not run.config.is_file():
            raise InputError(f"{run.config}: study file not found")
        study = load(run.config, run.overrides)  # validates everything before --out is touched
        files, folders = study.input_paths()
    progress = Progress(True, len(STAGES))
    try:
        with atomic_dir(
            run.out, force=run.force, protect=[*files, *folders], within=folders
        ) as tmp:
            progress = Progress(run.options.quiet, len(STAGES))
            work = tmp / ".scratch"  # inside the partial folder: a killed run leaks nothing else
            work.mkdir()
            study_path = run.config
            if run.demo:
                study_path, study = _demo_study(work, run, progress)
            progress.say(
                f"study loaded: {study.name} — {len(study.data)} patients "
                f"({time.perf_counter() - t_all:.1f} s)"
            )
            ctx = _context(study, study_path, tmp, work, run, progress)
            ctx.writer = FigureWriter(work / "figures")
            try:
                results = run_stages(ctx, progress)
                progress.close()
                _write_outputs(ctx, results, progress)
            finally:
                ctx.writer.close()  # no child is left writing into a folder being removed
            shutil.rmtree(work, ignore_errors=True)
        progress.say(f"report written to {run.out} in {time.perf_counter() - t_all:.1f} s")
        return ReportRun(run.out, dict(ctx.stage_status), dict(ctx.failed), tuple(ctx.alerts))
    finally:
        progress.close()
        import matplotlib.pyplot as plt

        plt.close("all")


def _demo_study(work: Path, run: RunSettings, progress: Progress):
    """The demo study written into the scratch folder (its seed: the run's, else 2023), loaded
    with the demo's quick extraction as defaults."""
    t0 = time.perf_counter()
    path = _prepare_demo(work, run.overrides.get("seed", 2023))
    progress.say(f"demo study written ({time.perf_counter() - t0:.1f} s)")
    return path, load(path, run.overrides, defaults=DEMO_DEFAULTS)


def _context(study, study_path, tmp: Path, work: Path, run: RunSettings, progress) -> Context:
    """The stages' context: the study and its analysis tree, carried as built."""
    return Context(
        study=study,
        options=run.options,
        out=tmp,
        work=work,
        report=Report(f"{study.name}: prediction-model report", subtitle=_subtitle(study)),
        run=RunInfo(study_path, run.demo),
        analysis=study.analysis,
        say=progress.say,
        labels=dict(study.labels),
    )


def _subtitle(study) -> str:
    n = len(study.data)
    ev = int(study.data[study.outcome].sum())
    return (
        f"Outcome: {study.outcome_label} — {n} patients, {ev} events. "
        f"Seed {study.analysis.seed}. Generated by hccstats (python -m hccstats.report)."
    )


def _status_alerts(ctx: Context) -> list[str]:
    """The stages that fell short, as the first alert of the report."""
    if not ctx.failed:
        return []
    names = stage_titles()
    return [
        "Incomplete report: "
        + "; ".join(f"{names.get(k, k)} ({why})" for k, why in ctx.failed.items())
        + ". The results of these stages are missing below."
    ]


def _write_outputs(ctx: Context, results: dict, progress: Progress) -> None:
    from ._methods_text import methods_markdown
    from ._s_rcheck import empty_table

    t0 = time.perf_counter()
    if not ctx.options.use_r:
        ctx.results["r_check"] = {"skipped": True, "reason": "--no-r"}
    ctx.results["stages"] = dict(ctx.stage_status)
    ctx.results["failed_stages"] = dict(ctx.failed)
    ctx.results["alerts"] = list(ctx.alerts)
    ctx.report.alerts = [*_status_alerts(ctx), *ctx.alerts]
    arrange(ctx)
    # the files that need no figure first, while the figures' background saves go on
    write_json(ctx.results, ctx.out / "results.json")
    (ctx.out / "methods.md").write_text(methods_markdown(ctx), encoding="utf-8")
    if "rcheck" in results:
        write_csv(results["rcheck"].table, ctx.out / "r_check.csv")
    elif not ctx.options.use_r:  # --no-r: the header, no row
        write_csv(empty_table(), ctx.out / "r_check.csv")
    render_all(ctx.report, ctx.out, writer=ctx.writer)
    progress.say(
        "outputs rendered (HTML, DOCX, CSV, figures, results.json) in "
        f"{time.perf_counter() - t0:.1f} s"
    )
