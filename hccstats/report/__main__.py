"""``python -m hccstats.report``: the whole manuscript from one study file.

Examples
--------
python -m hccstats.report --demo --out demo-report
python -m hccstats.report --config study.yaml --out my-report --force --no-r
python -m hccstats.report --config study.yaml --out my-report --scheduler tcp://head:8786
"""

from __future__ import annotations

import argparse
import signal
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hccstats.report",
        description="Run the analysis plan of a prediction-model study (flow, baseline table, reader "
        "agreement, deep-learning signatures, logistic models, nomograms, ROC/DeLong, calibration, "
        "decision curves, R cross-check) and write report.html, report.docx, tables, figures, "
        "results.json, methods.md and r_check.csv into --out.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--config", metavar="STUDY_YAML", help="the study file (see docs/study-file.md)"
    )
    src.add_argument(
        "--demo",
        action="store_true",
        help="run on the bundled synthetic cohort (285 patients, images)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (written atomically)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out written by a previous report (never any other folder)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or lines")
    p.add_argument("--no-r", dest="use_r", action="store_false", help="skip the R cross-check")
    p.add_argument(
        "--seed",
        type=_integer_or_text,
        default=None,
        help="seed of every random step, an integer >= 0 (default: the study's)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler (tcp://host:8786): the signature search, and the extraction from "
        "images: (shards as tasks), run on its workers (see docs/cluster.md)",
    )
    return p


def _integer_or_text(text: str) -> int | str:
    """``--seed``'s value as an int, or as given: the run refuses it in one line (exit 2)."""
    try:
        return int(text)
    except ValueError:
        return text


def _say(text: str) -> None:
    print("error: " + " ".join(str(text).split()), file=sys.stderr)


#: the exit code of a run ended by SIGTERM (128 + 15, as a shell reports it)
TERMINATED = 128 + signal.SIGTERM


def _terminate(signum, frame):
    raise SystemExit(TERMINATED)


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit code (see docs/report.md).

    0: every stage the study asks for ran; 3: the report was written but a stage fell short
    (listed on stderr and atop report.html); 2: bad input (study file, data, --out, options);
    1: an internal error or a system fault such as a full disk (one line, no traceback);
    130: interrupted (Ctrl-C); 143: terminated (SIGTERM). An interrupt ends the run at once, R
    computations included; nothing is published.
    """
    args = _parser().parse_args(argv)
    try:
        old = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: no signal handler can be set
        return _run(args)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, old)


def _run(args: argparse.Namespace) -> int:
    from hccstats._errors import InputError
    from reports import OutputExistsError

    from ._pipeline import report_run

    try:
        run = report_run(
            args.config,
            out=args.out,
            demo=args.demo,
            force=args.force,
            quiet=args.quiet,
            use_r=args.use_r,
            seed=args.seed,
            options={"scheduler": args.scheduler} if args.scheduler else None,
        )
    except (InputError, OutputExistsError) as exc:
        _say(exc)
        return 2
    except KeyboardInterrupt:
        _say("interrupted; no report was written")
        return 130
    except SystemExit as exc:
        if exc.code != TERMINATED:
            raise
        _say("terminated (SIGTERM); no report was written")
        return TERMINATED
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        _say(f"cannot write the report: {exc.strerror or exc}{where}; no report was written")
        return 1
    except Exception as exc:  # a bug: one line, the report folder is left as it was
        _say(
            f"internal error ({type(exc).__name__}: {exc}); no report was written. "
            "Please report it with the study file."
        )
        return 1
    for alert in run.alerts:
        print("warning: " + " ".join(alert.split()), file=sys.stderr)
    if run.failed:
        print(
            f"error: partial report written to {run.out}: "
            f"{len(run.failed)} stage(s) did not complete:",
            file=sys.stderr,
        )
        for key, why in run.failed.items():
            print(f"  {key}: {' '.join(why.split())}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
