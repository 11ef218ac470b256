"""Benchmark of extract: CNN stage images/s, preprocessing s/patient, a demo-size cohort run.

Unattended; prints tables.  No R counterpart exists for this stage (the study used
3D Slicer + a VGG19 script), so there is no ratio column.  Runs the CNN stage on CUDA too
when torch sees a GPU (224² bf16 / fp16 / fp32, large batches, channels-last).

    .venv/bin/python benchmarks/bench_extract.py            # everything (CPU: a few minutes)
    .venv/bin/python benchmarks/bench_extract.py --gpu-only # CNN stage on the GPU only
    .venv/bin/python benchmarks/bench_extract.py --cohort 0 # skip the 285-patient cohort run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402


def cnn_rows(device: str, sizes, dtypes, batch: dict, seconds: float):
    from extract.vgg import FeatureExtractor, build_model

    net, _ = build_model(random_weights=True)
    rows = []
    for size in sizes:
        crops = (
            np.random.default_rng(0).uniform(0, 255, (batch[size], size, size)).astype(np.float32)
        )
        for dtype in dtypes:
            for cl in (True, False) if device == "cuda" else (True,):
                fx = FeatureExtractor(net, device=device, dtype=dtype, channels_last=cl)
                fx(crops)  # warm-up (cuDNN autotune, oneDNN primitives)
                n, t0, c0 = 0, time.perf_counter(), time.process_time()
                while time.perf_counter() - t0 < seconds or n < 2 * batch[size]:
                    fx(crops)
                    n += batch[size]
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                rows.append(
                    (
                        device,
                        size,
                        batch[size],
                        dtype,
                        "NHWC" if cl else "NCHW",
                        n / wall,
                        cpu / n if device == "cpu" else float("nan"),
                    )
                )
    return rows


def preprocessing_rows(tmp: Path):
    import SimpleITK as sitk

    from extract.config import Settings
    from extract.patient import prepare_patient
    from extract.synthetic import make_study

    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)
    torch.set_num_threads(1)
    rows = []
    for label, shape, n in (
        ("demo-like 12x96x96", (12, 96, 96), 8),
        ("clinical-like 48x256x256", (48, 256, 256), 2),
    ):
        yaml = make_study(tmp / label.split()[0], n=n, shape=shape)
        from extract.config import read_study

        st = read_study(yaml)
        for settings in (
            Settings(size=64),
            Settings(size=64, n4_shrink=8),
            Settings(size=64, n4=False),
        ):
            prepare_patient(
                st.patients[0],
                st.image_paths(st.patients[0]),
                st.mask_paths(st.patients[0]),
                settings,
            )
            c0 = time.process_time()
            for p in st.patients:
                prepare_patient(p, st.image_paths(p), st.mask_paths(p), settings)
            per = (time.process_time() - c0) / n
            what = (
                f"N4 shrink {settings.n4_shrink}, its {','.join(map(str, settings.n4_iterations))}"
                if settings.n4
                else "no N4"
            )
            rows.append((label, what, per))
    return rows


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the joblib workers once shut down)."""
    import resource

    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def cohort_row(tmp: Path, n: int, size: int, jobs: int, n4_shrink: int, n4_iterations, dtype: str):
    from extract import run_study
    from extract.synthetic import make_study

    yaml = tmp / "cohort" / "study.yaml"
    if not yaml.exists():
        make_study(yaml.parent, n=n, shape=(12, 96, 96), seed=2023)
    out = (
        tmp / f"cohort-out-{size}-{jobs}-{n4_shrink}-{dtype}-{len(n4_iterations)}{n4_iterations[0]}"
    )
    c0, t0 = _cpu_seconds(), time.perf_counter()
    s = run_study(
        yaml,
        out,
        random_weights=True,
        size=size,
        jobs=jobs,
        quiet=True,
        n4_shrink=n4_shrink,
        n4_iterations=n4_iterations,
        dtype=dtype,
    )
    wall = time.perf_counter() - t0
    return wall, _cpu_seconds() - c0, s.n_failed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpu-only", action="store_true")
    ap.add_argument(
        "--cohort", type=int, default=285, help="patients of the demo-size run (0: skip)"
    )
    ap.add_argument("--seconds", type=float, default=4.0, help="timing window per CNN cell")
    args = ap.parse_args()
    print(
        f"# bench_extract: {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    rows = []
    if torch.cuda.is_available():
        print(f"# GPU: {torch.cuda.get_device_name(0)}")
        rows += cnn_rows(
            "cuda", (224, 64), ("bf16", "fp16", "fp32"), {224: 256, 64: 1024}, args.seconds
        )
    if not args.gpu_only:
        rows += cnn_rows("cpu", (64, 224), ("fp32", "bf16"), {64: 32, 224: 8}, args.seconds)
    print("\n## CNN stage (VGG19 to the 5 block averages, input normalisation and copy included)")
    print(
        f"{'device':<6} {'size':>5} {'batch':>6} {'dtype':<5} {'layout':<6} {'images/s':>10} {'CPU s/image':>12}"
    )
    for d, size, b, dt, lay, ips, cpu in rows:
        print(f"{d:<6} {size:>5} {b:>6} {dt:<5} {lay:<6} {ips:>10.1f} {cpu:>12.4f}")
    if args.gpu_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(
            "\n## Preprocessing per patient (3 phases: read, N4, 0..255, ROI, resize to 64), one core"
        )
        print(f"{'volume':<26} {'N4':<26} {'CPU s/patient':>14}")
        for label, what, per in preprocessing_rows(tmp):
            print(f"{label:<26} {what:<26} {per:>14.3f}")
        if args.cohort:
            print(
                f"\n## Whole run_study on a synthetic {args.cohort}-patient cohort (12x96x96, 3 phases), random weights"
            )
            print(
                f"{'size':>5} {'jobs':>5} {'shrink':>7} {'N4 its':>7} {'dtype':>6} {'wall s':>8} {'CPU s':>8} "
                f"{'idle 2-core est. s':>19} {'failed':>7}"
            )
            for size, jobs, shrink, its, dtype in (
                (64, 2, 8, (20, 20), "fp32"),
                (64, 2, 8, (20, 20), "bf16"),
                (32, 2, 8, (20, 20), "fp32"),
                (64, 2, 4, (50, 50), "fp32"),
            ):
                wall, cpu, failed = cohort_row(tmp, args.cohort, size, jobs, shrink, its, dtype)
                print(
                    f"{size:>5} {jobs:>5} {shrink:>7} {','.join(map(str, its)):>7} {dtype:>6} {wall:>8.1f} "
                    f"{cpu:>8.1f} {cpu / min(2, os.cpu_count()):>19.1f} {failed:>7}",
                    flush=True,
                )
            print(
                "(idle estimate = total CPU seconds / 2 cores: the shared machine's wall time varies with its load)"
            )


if __name__ == "__main__":
    main()
