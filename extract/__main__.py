"""``python -m extract --study study.yaml --out features/ [...]`` (``--help`` lists all).

Exit codes: 0 all patients extracted; 1 some patients failed (the others are
in the tables; the reasons on stderr and in manifest.json); 2 bad input
(study file, weights, settings, output folder): nothing extracted.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading

from .errors import ExtractError


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


def _floats(text: str) -> tuple[float, float]:
    lo, hi = (float(v) for v in text.split(","))
    return lo, hi


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m extract",
        description=(
            "MRI phases -> N4 -> 0..255 -> largest-slice tumour ROI -> VGG19 -> 1472 deep features "
            "per phase: <out>/<phase>.parquet + <out>/manifest.json. Resumable: run again to finish."
        ),
    )
    p.add_argument("--study", help="study.yaml (its images: section and clinical: ids)")
    p.add_argument("--out", required=True, help="output folder")
    w = p.add_mutually_exclusive_group()
    w.add_argument(
        "--weights",
        help="torchvision's VGG19 file (vgg19-dcbb9e9d.pth); default: "
        "$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth. Never downloaded",
    )
    w.add_argument(
        "--random-weights", action="store_true", help="seeded random weights (tests, demo)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --random-weights (0)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument(
        "--dtype", default="fp32", choices=["fp32", "bf16", "fp16"], help="CNN precision (autocast)"
    )
    p.add_argument(
        "--no-channels-last",
        dest="channels_last",
        action="store_false",
        help="contiguous (NCHW) memory format instead of channels-last",
    )
    p.add_argument("--batch-size", type=int, default=32, help="images per CNN batch (32)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for preprocessing (1)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads of the CNN stage")
    p.add_argument(
        "--itk-threads",
        type=int,
        default=None,
        help="ITK threads of N4 (its last bits depend on the count; default: the cores with "
        "--jobs 1, else 1 per worker process)",
    )
    p.add_argument("--shard", help="i/n: do only shard i of n (1-based), into <out>/shards/i-of-n")
    p.add_argument(
        "--patients",
        help="ids to extract, comma-separated or @file (one per line); "
        "default: every id of the clinical file",
    )
    p.add_argument(
        "--scheduler",
        help="a Dask scheduler's address (tcp://head:8786): the shards run as tasks on its "
        "workers (sharing the file system), then are merged into <out>",
    )
    p.add_argument(
        "--shards",
        type=int,
        default=None,
        help="with --scheduler: number of shards (default: those already in <out>/shards, "
        "else one per worker thread, at least one per 100 patients)",
    )
    p.add_argument("--merge", action="store_true", help="join <out>/shards/* into <out> and stop")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    s = p.add_argument_group("preprocessing (recorded in the manifest)")
    s.add_argument("--size", type=int, default=224, help="crop side fed to VGG19 (224)")
    s.add_argument("--margin", type=int, default=5, help="pixels around the tumour box (5)")
    s.add_argument("--no-square", dest="square", action="store_false", help="keep the box's aspect")
    s.add_argument(
        "--all-tumours", action="store_true", help="all tumour voxels, not the largest tumour"
    )
    s.add_argument(
        "--tumour-label", type=int, default=None, help="mask label (default: study's, else 1)"
    )
    s.add_argument(
        "--resample-mask", action="store_true", help="resample a mismatching mask (nearest)"
    )
    s.add_argument(
        "--mask-threshold",
        type=float,
        default=None,
        metavar="T",
        help="read a mask with non-integer values (resampled linearly) as tumour where it is "
        "at least T x the tumour label, 0 < T <= 1 (default: the study's images.mask_threshold, "
        "else such a mask is refused)",
    )
    s.add_argument("--no-n4", dest="n4", action="store_false", help="skip N4 bias correction")
    s.add_argument("--n4-shrink", type=int, default=4, help="N4 shrink factor (4)")
    s.add_argument(
        "--n4-iterations", type=_ints, default=(50, 50), help="per level, e.g. 50,50 (default)"
    )
    s.add_argument(
        "--n4-convergence", type=float, default=1e-3, help="N4 convergence threshold (0.001)"
    )
    s.add_argument(
        "--percentiles",
        type=_floats,
        default=None,
        help="low,high: map these percentiles to 0..255, clipping (default min-max)",
    )
    return p


def _patient_list(spec: str | None) -> list[str] | None:
    """``--patients``: ``a,b,c`` or ``@file`` (one id a line) → ids; None: the study's."""
    if not spec:
        return None
    text = spec
    if spec.startswith("@"):
        try:
            with open(spec[1:], encoding="utf-8-sig") as fh:
                text = fh.read()
        except OSError as exc:
            raise ExtractError(
                f"--patients {spec}: cannot read {spec[1:]} ({exc.strerror or exc})"
            ) from None
    ids = [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]
    if not ids:
        raise ExtractError(f"--patients {spec}: no patient ids")
    return ids


def _os_error(exc: OSError) -> int:
    """One line for a file-system fault; exit 1 for a full disk (the cache keeps what was done)."""
    name = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        print(
            f"extract: error: {name}{reason} (disk full); the finished patients are cached, "
            "free space and run the same command again",
            file=sys.stderr,
        )
        return 1
    print(f"extract: error: cannot write {name}{reason}; choose another --out", file=sys.stderr)
    return 2


def _interrupt(signum, frame):
    # joblib's executor threads may trip over the workers being stopped: no traceback then
    threading.excepthook = lambda args: None
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    # SIGTERM as Ctrl-C: joblib then stops its worker processes before this one exits
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        if args.merge:
            from .shards import merge_shards

            tables = merge_shards(args.out)
            if not args.quiet:
                print(f"extract: merged {len(tables)} tables into {args.out}", file=sys.stderr)
            return 0
        if not args.study:
            raise ExtractError("--study is needed (or --merge)")
        from .runner import run_study

        options = {
            k: getattr(args, k)
            for k in (
                "size",
                "margin",
                "square",
                "resample_mask",
                "n4",
                "n4_shrink",
                "n4_iterations",
                "n4_convergence",
                "percentiles",
            )
        }
        patients = _patient_list(args.patients)
        if args.tumour_label is not None:
            options["tumour_label"] = args.tumour_label
        if args.mask_threshold is not None:
            options["mask_threshold"] = args.mask_threshold
        summary = run_study(
            args.study,
            args.out,
            weights=args.weights,
            random_weights=args.random_weights,
            seed=args.seed,
            device=args.device,
            dtype=args.dtype,
            channels_last=args.channels_last,
            batch_size=args.batch_size,
            jobs=args.jobs,
            threads=args.threads,
            itk_threads=args.itk_threads,
            shard=args.shard,
            scheduler=args.scheduler,
            shards=args.shards,
            quiet=args.quiet,
            patients=patients,
            components="all" if args.all_tumours else "largest",
            **options,
        )
    except ExtractError as exc:
        print(f"extract: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder: read-only, not a folder, disk full
        return _os_error(exc)
    except KeyboardInterrupt:
        print(
            "extract: interrupted; the finished patients are cached, "
            "run the same command again to go on",
            file=sys.stderr,
        )
        return 130
    for reason in summary.failures.values():
        print(f"extract: failed: {reason}", file=sys.stderr)
    print(str(summary), file=sys.stderr)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
