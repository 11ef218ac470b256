"""``python -m hccstats.report``: the whole manuscript from one study file.

Examples
--------
python -m hccstats.report --demo --out demo-report
python -m hccstats.report --config study.yaml --out my-report --force --no-r
"""

from __future__ import annotations

import argparse
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
    p.add_argument("--force", action="store_true", help="replace an existing non-empty --out")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--no-r", dest="use_r", action="store_false", help="skip the R cross-check")
    p.add_argument(
        "--seed", type=int, default=None, help="seed of every random step (default: the study's)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from hccstats._errors import InputError
    from reports import OutputExistsError

    from ._pipeline import run_report

    try:
        run_report(
            args.config,
            out=args.out,
            demo=args.demo,
            force=args.force,
            quiet=args.quiet,
            use_r=args.use_r,
            seed=args.seed,
        )
    except (InputError, OutputExistsError) as exc:
        msg = " ".join(str(exc).split())
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; no report was written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
