"""The report pipeline: load the study, run each stage in isolation, write every output atomically."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import Report, atomic_dir, render_all, write_csv, write_json

from .._errors import InputError
from .._validation import check_seed
from ._context import Context, Options, Progress, RunInfo
from ._layout import arrange
from ._plan import make_plan
from ._stages import STAGES, run_stages, stage_titles

__all__ = ["run_report", "report_run", "ReportRun", "STAGES"]


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


def _load(study_path: Path, seed: int | None):
    from hccstats.study import load

    return load(study_path, seed=seed)


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
        The run's seed (``--seed``); the split keeps ``split.seed`` when the study gives one.
    options : dict, optional
        Overrides of the study's ``analysis:`` options.

    Returns
    -------
    ReportRun
        ``failed`` lists the stages the study asks for that fell short (CLI exit code 3).
    """
    if (config is None) == (not demo):
        raise InputError("give either a study file (--config study.yaml) or --demo")
    if seed is not None:
        seed = check_seed(seed, "the run", name="--seed")
    _check_scheduler((options or {}).get("scheduler"))
    t_all = time.perf_counter()
    study, files, folders = None, [], []
    if not demo:
        study_path = Path(config)
        if not study_path.is_file():
            raise InputError(f"{study_path}: study file not found")
        study = _load(study_path, seed)  # validates everything before --out is touched
        files, folders = study.input_paths()
    progress = Progress(True, len(STAGES))
    try:
        with atomic_dir(out, force=force, protect=[*files, *folders], within=folders) as tmp:
            progress = Progress(quiet, len(STAGES))
            work = tmp / ".scratch"  # inside the partial folder: a killed run leaks nothing else
            work.mkdir()
            if demo:
                t0 = time.perf_counter()
                study_path = _prepare_demo(work, 2023 if seed is None else seed)
                progress.say(f"demo study written ({time.perf_counter() - t0:.1f} s)")
                study = _load(study_path, seed)
            progress.say(
                f"study loaded: {study.name} — {len(study.data)} patients "
                f"({time.perf_counter() - t_all:.1f} s)"
            )
            opts = _options(study, seed, use_r, quiet, demo, options or {})
            report = Report(
                f"{study.name}: prediction-model report", subtitle=_subtitle(study, opts)
            )
            ctx = Context(
                study=study,
                options=opts,
                out=tmp,
                work=work,
                report=report,
                run=RunInfo(study_path, demo, "seed" if seed is None else "--seed"),
                plan=make_plan(study, opts),
                say=progress.say,
                labels=dict(study.labels),
            )
            results = run_stages(ctx, progress)
            progress.close()
            t0 = time.perf_counter()
            _write_outputs(ctx, results)
            shutil.rmtree(work, ignore_errors=True)
            progress.say(
                "outputs rendered (HTML, DOCX, CSV, figures, results.json) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        progress.say(f"report written to {Path(out)} in {time.perf_counter() - t_all:.1f} s")
        return ReportRun(Path(out), dict(ctx.stage_status), dict(ctx.failed), tuple(ctx.alerts))
    finally:
        progress.close()
        import matplotlib.pyplot as plt

        plt.close("all")


def _check_scheduler(address) -> None:
    """A Dask scheduler address of the wrong form is bad input, found before any stage (the
    check ``python -m extract --scheduler`` makes)."""
    if address is None:
        return
    from extract.address import address_problem

    problem = address_problem(address)
    if problem:
        raise InputError(problem)


def _options(study, seed, use_r, quiet, demo, overrides) -> Options:
    analysis = dict(study.config.get("analysis") or {})
    allowed = set(Options.__dataclass_fields__) - {"seed", "use_r", "quiet"}
    kw = {k: v for k, v in analysis.items() if k in allowed}
    if demo:
        kw.setdefault("signature_preset", "fast")
        kw.setdefault("crop_size", 64)
        kw.setdefault("n4_iterations", (10, 10))  # the demo's quick N4 (small synthetic volumes)
        kw.setdefault("n4_convergence", 0.01)
    kw.update({k: v for k, v in overrides.items() if k in allowed})
    return Options(seed=study.seed, use_r=use_r, quiet=quiet, **kw)


def _subtitle(study, opts: Options) -> str:
    n = len(study.data)
    ev = int(study.data[study.outcome].sum())
    return (
        f"Outcome: {study.outcome_label} — {n} patients, {ev} events. Seed {opts.seed}. "
        "Generated by hccstats (python -m hccstats.report)."
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


def _write_outputs(ctx: Context, results: dict) -> None:
    from ._methods_text import methods_markdown
    from ._s_rcheck import empty_table

    if not ctx.options.use_r:
        ctx.results["r_check"] = {"skipped": True, "reason": "--no-r"}
    ctx.results["stages"] = dict(ctx.stage_status)
    ctx.results["failed_stages"] = dict(ctx.failed)
    ctx.results["alerts"] = list(ctx.alerts)
    ctx.report.alerts = [*_status_alerts(ctx), *ctx.alerts]
    arrange(ctx)
    render_all(ctx.report, ctx.out)
    write_json(ctx.results, ctx.out / "results.json")
    (ctx.out / "methods.md").write_text(methods_markdown(ctx), encoding="utf-8")
    if "rcheck" in results:
        write_csv(results["rcheck"].table, ctx.out / "r_check.csv")
    elif not ctx.options.use_r:  # --no-r: the header, no row
        write_csv(empty_table(), ctx.out / "r_check.csv")
