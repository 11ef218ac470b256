"""The report pipeline: load the study, run each stage in isolation, write every output atomically."""

from __future__ import annotations

import importlib
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from reports import Report, atomic_dir, render_all, write_csv, write_json

from .._errors import InputError
from ._context import Context, Options, Progress, StageUnavailable

__all__ = ["run_report", "STAGES"]

# (module, title) in the study's order; each module has run(ctx, section) and REQUIRES
STAGES: list[tuple[str, str]] = [
    ("_s_flow", "Patient flow"),
    ("_s_baseline", "Baseline characteristics"),
    ("_s_agreement", "Reader agreement"),
    ("_s_features", "Deep-learning signatures"),
    ("_s_univariate", "Univariate analysis and collinearity"),
    ("_s_models", "Multivariable models and nomograms"),
    ("_s_performance", "Model performance"),
    ("_s_rcheck", "R cross-check"),
    ("_s_methods", "Methods and TRIPOD checklist"),
]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"{type(exc).__name__}: {text}"
        if not isinstance(exc, (InputError, StageUnavailable))
        else text
    )


def _missing_module(exc: BaseException) -> str | None:
    """The hccstats/extract module whose absence made a stage unavailable, if that is what happened."""
    if (
        isinstance(exc, ModuleNotFoundError)
        and exc.name
        and exc.name.split(".")[0] in ("hccstats", "extract")
    ):
        return exc.name
    if (
        isinstance(exc, (ImportError, AttributeError))
        and "hccstats" in str(exc)
        and "has no attribute" in str(exc)
    ):
        return str(exc)
    return None


def _run_stages(ctx: Context, progress: Progress) -> None:
    for mod_name, title in STAGES:
        section = ctx.section(title)
        key = mod_name[3:]
        t0 = time.perf_counter()
        note = ""
        try:
            mod = importlib.import_module(f"hccstats.report.{mod_name}")
            blocked = [r for r in getattr(mod, "REQUIRES", ()) if ctx.stage_status.get(r) != "ok"]
            if blocked:
                raise StageUnavailable(
                    f"needs the stage(s) {', '.join(blocked)}, which did not complete"
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # library warnings are summarised by each stage
                mod.run(ctx, section)
            status = section.status if section.status != "ok" else "ok"
        except StageUnavailable as exc:
            status, section.status, section.message = (
                "not available",
                "not available",
                _one_line(exc),
            )
        except Exception as exc:  # a failed stage is reported; the others still run
            missing = _missing_module(exc)
            if missing:
                status = section.status = "not available"
                section.message = f"not available in this installation ({missing})"
            else:
                status = section.status = "failed"
                section.message = f"This stage failed: {_one_line(exc)}"
                ctx.results.setdefault("errors", {})[key] = traceback.format_exception_only(
                    type(exc), exc
                )[-1].strip()
        ctx.stage_status[key] = status
        if section.message and status != "ok":
            note = section.message[:110]
        progress.stage(title, time.perf_counter() - t0, status, note)


def _prepare_demo(work: Path, seed: int) -> Path:
    import os

    from hccstats.demo import make_study

    return Path(
        make_study(
            work / "demo-study", n=285, seed=seed, n_jobs=max(1, min(2, os.cpu_count() or 1))
        )
    )


def run_report(
    config: str | Path | None = None,
    *,
    out: str | Path,
    demo: bool = False,
    force: bool = False,
    quiet: bool = False,
    use_r: bool = True,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> Path:
    """Run the whole analysis plan on a study file and write the report into ``out``.

    Python equivalent of ``python -m hccstats.report``. Raises :class:`hccstats.InputError`
    for a bad study file or data (the CLI prints it as one line, exit code 2) and
    :class:`reports.OutputExistsError` when ``out`` is not empty and ``force`` is false.
    """
    from hccstats.study import load

    if (config is None) == (not demo):
        raise InputError("give either a study file (--config study.yaml) or --demo")
    progress = Progress(quiet, len(STAGES))
    t_all = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hccstats-report-"))
    try:
        protect: list[Path] = []
        if demo:
            from reports import check_out_dir

            check_out_dir(out, force=force)  # refuse early, before minutes of work
            t0 = time.perf_counter()
            study_path = _prepare_demo(work, 2023 if seed is None else seed)
            progress.say(f"demo study written ({time.perf_counter() - t0:.1f} s)")
        else:
            study_path = Path(config)
            if not study_path.is_file():
                raise InputError(f"{study_path}: study file not found")
            protect = [study_path.resolve().parent]
        with atomic_dir(out, force=force, protect=protect) as tmp:
            study = load(study_path)
            progress.say(
                f"study loaded: {study.name} — {len(study.data)} patients ({time.perf_counter() - t_all:.1f} s)"
            )
            opts = _options(study, seed, use_r, quiet, demo, options or {})
            report = Report(
                f"{study.name}: prediction-model report", subtitle=_subtitle(study, opts)
            )
            ctx = Context(study=study, options=opts, out=tmp, work=work, report=report)
            ctx.shared["study_path"] = study_path
            ctx.shared["demo"] = demo
            ctx.shared["say"] = progress.say
            _run_stages(ctx, progress)
            t0 = time.perf_counter()
            _write_outputs(ctx)
            progress.say(
                f"outputs rendered (HTML, DOCX, CSV, figures, results.json) in {time.perf_counter() - t0:.1f} s"
            )
        progress.say(f"report written to {Path(out)} in {time.perf_counter() - t_all:.1f} s")
        return Path(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        import matplotlib.pyplot as plt

        plt.close("all")


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
    return Options(seed=study.seed if seed is None else int(seed), use_r=use_r, quiet=quiet, **kw)


def _subtitle(study, opts: Options) -> str:
    n = len(study.data)
    ev = int(study.data[study.outcome].sum())
    return (
        f"Outcome: {study.outcome_label} — {n} patients, {ev} events. Seed {opts.seed}. "
        "Generated by hccstats (python -m hccstats.report)."
    )


def _write_outputs(ctx: Context) -> None:
    from ._methods_text import methods_markdown

    ctx.results["stages"] = dict(ctx.stage_status)
    render_all(ctx.report, ctx.out)
    write_json(ctx.results, ctx.out / "results.json")
    (ctx.out / "methods.md").write_text(methods_markdown(ctx), encoding="utf-8")
    if "r_check" in ctx.shared:
        write_csv(ctx.shared["r_check"], ctx.out / "r_check.csv")
