"""A cohort run: patients in parallel worker processes, VGG19 in batches, resumable.

Worker processes (joblib) read, correct and crop each patient while the main
process feeds finished crops to the CNN in batches and caches each finished
patient at once; a killed run restarted with the same arguments takes the
cached patients whose inputs and settings are unchanged (each cached patient
carries the size, mtime and SHA-256 of its images and mask and the settings'
fingerprint) and recomputes the others.  The tables and the manifest are written at the
end from the cache.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .config import Settings, read_study
from .errors import ExtractError
from .outdir import input_clash

__all__ = [
    "run_study",
    "RunOptions",
    "extract_patients",
    "Summary",
    "parse_shard",
    "read_inputs",
    "run_params",
    "patient_ids",
    "check_out",
    "check_run_options",
    "set_itk_threads",
    "progress_bar",
]


@dataclass(frozen=True)
class Summary:
    """What a run did.

    ``n_patients`` in this run (this shard), ``n_extracted`` now, ``n_cached``
    taken from an earlier (killed) run, ``n_changed`` of the extracted ones
    recomputed because an image, mask or setting changed since they were
    cached, ``n_failed`` with ``failures`` (patient →
    reason); ``tables`` phase → parquet path; ``seconds`` wall time.
    """

    out_dir: Path
    n_patients: int
    n_extracted: int
    n_cached: int
    n_failed: int
    failures: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    weights: str = ""
    seconds: float = 0.0
    n_changed: int = 0

    @property
    def ok(self) -> bool:
        return self.n_failed == 0

    def __str__(self) -> str:
        return (
            f"extract: {self.n_patients} patients: {self.n_extracted} extracted"
            + (f" ({self.n_changed} of them as an input changed)" if self.n_changed else "")
            + f", {self.n_cached} "
            f"from cache, {self.n_failed} failed ({self.seconds:.1f} s) -> {self.out_dir}"
        )


def parse_shard(shard) -> tuple[int, int] | None:
    """``"2/4"`` or ``(2, 4)`` → (2, 4): the second of four shards (1-based)."""
    if shard is None:
        return None
    try:
        i, n = (int(v) for v in (shard.split("/") if isinstance(shard, str) else shard))
    except (ValueError, TypeError):
        raise ExtractError(f"shard must be 'i/n' (e.g. 2/4), not {shard!r}") from None
    if not 1 <= i <= n:
        raise ExtractError(f"shard {i}/{n}: i must be between 1 and n")
    return i, n


_WATCHED: set[int] = set()


def _die_with(parent: int) -> None:
    """In a worker process: exit as soon as ``parent`` (the run) is gone, even if it was killed."""
    if os.getpid() == parent or parent in _WATCHED:
        return
    _WATCHED.add(parent)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="extract-parent-watch", daemon=True).start()


def _prepare(patient_id, images, masks, settings, itk_threads=None, parent=None):
    """Worker: ``(patient_id, crops, infos, None)`` or ``(patient_id, None, None, reason)``."""
    if parent is not None:
        _die_with(parent)
    if itk_threads is not None:
        set_itk_threads(itk_threads)
    from .patient import prepare_patient

    try:
        crops, infos = prepare_patient(patient_id, images, masks, settings)
        return patient_id, crops, infos, None
    except ExtractError as exc:
        return patient_id, None, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one patient's surprise must not stop the cohort
        return (
            patient_id,
            None,
            None,
            f"patient {patient_id}: unexpected {type(exc).__name__}: {exc}",
        )


def progress_bar(total: int, initial: int, quiet: bool, unit: str = "patient"):
    """tqdm bar on stderr (count, rate, ETA); ``quiet`` silences it.  A log file gets a line
    every 5 s at most, a terminal a redraw every 0.2 s."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc="extract",
        unit=unit,
        file=sys.stderr,
        disable=quiet,
        mininterval=0.2 if sys.stderr.isatty() else 5.0,
        dynamic_ncols=True,
    )


def check_run_options(jobs, batch_size, threads, itk_threads=None) -> None:
    """``--jobs`` (1, 2, … or -1 for every core), ``--batch-size``, ``--threads``,
    ``--itk-threads``."""
    if not isinstance(jobs, int) or not (jobs >= 1 or jobs == -1):
        raise ExtractError(f"--jobs must be a positive number of processes (or -1), not {jobs}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ExtractError(f"--batch-size must be at least 1, not {batch_size}")
    for name, value in (("threads", threads), ("itk-threads", itk_threads)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ExtractError(f"--{name} must be at least 1, not {value}")


def set_itk_threads(count: int | None = None) -> int:
    """ITK's threads in this process, set to ``count`` if given; the count before.  N4's
    fit sums per thread: the count changes the round-off, so the manifest records it."""
    import SimpleITK as sitk

    before = sitk.ProcessObject_GetGlobalDefaultNumberOfThreads()
    if count is not None:
        sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(int(count))
    return before


def _relative(path, root: Path) -> str:
    """``path`` relative to the study folder (``/``-separated), absolute if on another drive."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _input_key(study, patient_id: str, fingerprint: str) -> dict:
    """What a cached patient depends on: the settings and each image's and mask's content."""
    records: dict = {}

    def record(path):
        if path not in records:  # one mask shared by the phases: hashed once
            records[path] = {"file": _relative(path, study.root), **store.file_record(path)}
        return records[path]

    return {
        "fingerprint": fingerprint,
        "inputs": {
            "image": {ph: record(p) for ph, p in study.image_paths(patient_id).items()},
            "mask": {ph: record(p) for ph, p in study.mask_paths(patient_id).items()},
        },
    }


def _relative_info(infos: dict, root: Path) -> dict:
    return {
        ph: {**info, **{k: _relative(info[k], root) for k in ("file", "mask_file")}}
        for ph, info in infos.items()
    }


def _versions() -> dict:
    import SimpleITK as sitk
    import torch
    import torchvision

    from . import __version__

    return {
        "extract": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "SimpleITK": sitk.Version_VersionString(),
    }


def read_inputs(study_yaml, options: dict):
    """The study file and the preprocessing :class:`Settings` (the study's tumour label and
    mask threshold unless ``options`` names them)."""
    study = read_study(study_yaml)
    defaults = {"tumour_label": study.tumour_label, "mask_threshold": study.mask_threshold}
    return study, Settings(**{**defaults, **options})


def run_params(study, settings: Settings, weights_id: str, seed, dtype: str) -> dict:
    """What decides the features (its SHA-256 is the run's fingerprint)."""
    return {
        "format": store.FORMAT,
        "model": "torchvision vgg19, global mean of each block's last ReLU",
        "weights": weights_id,
        "seed": seed,
        "dtype": dtype,
        "images": study.section(),
        "settings": settings.to_dict(),
    }


def patient_ids(study, patients=None) -> list[str]:
    """The ids to do (default: the study's included patients); refused if one is repeated,
    or is not an included patient of the study (absent from the clinical file, or screened
    out there: ``clinical.exclude`` set or the outcome missing)."""
    ids = study.patients if patients is None else [str(p) for p in patients]
    if len(set(ids)) < len(ids):
        raise ExtractError("patients: duplicated ids")
    known = set(study.patients)
    alien = [p for p in ids if p not in known]
    if alien:
        reasons = [
            f"{p} (screened out: {study.excluded[p]})"
            if p in study.excluded
            else f"{p} (not in the clinical file)"
            for p in alien[:5]
        ]
        more = f" and {len(alien) - 5} more" if len(alien) > 5 else ""
        raise ExtractError(f"--patients: not a patient of the study: {', '.join(reasons)}{more}")
    return ids


def check_out(out_dir, study, patients) -> None:
    """Refuse an output folder that holds an input or lies inside an input folder (the
    check of the report's ``--out``)."""
    files, folders = study.input_paths(patients)
    clash = input_clash(out_dir, [*files, *folders], folders)
    if clash:
        raise ExtractError(clash)


_NOT_PASSED = ("study_yaml", "out_dir", "scheduler", "shards", "options")


def run_study(
    study_yaml,
    out_dir,
    *,
    weights=None,
    random_weights: bool = False,
    seed: int = 0,
    device: str = "cpu",
    dtype: str = "fp32",
    channels_last: bool = True,
    batch_size: int = 32,
    jobs: int = 1,
    shard=None,
    quiet: bool = False,
    threads: int | None = None,
    itk_threads: int | None = None,
    patients=None,
    scheduler: str | None = None,
    shards: int | None = None,
    **options,
) -> Summary:
    """Extract the deep features of every patient of a study.

    Reads ``images:`` (and the patient ids of ``clinical:``) from ``study_yaml``;
    writes ``<out_dir>/<phase>.parquet`` (``patient_id`` + 1472 float32 columns)
    and ``<out_dir>/manifest.json``.  With ``shard="i/n"`` only every n-th patient
    (from the i-th) is done, into ``<out_dir>/shards/i-of-n/``; join the shards
    with :func:`extract.merge_shards`.

    Parameters
    ----------
    study_yaml : path
    out_dir : path
        Created if needed; refused if it holds a different run's features.
    weights : path, optional
        torchvision's VGG19 file; default: the one in ``$TORCH_HOME/hub/checkpoints``.
    random_weights : bool
        Seeded random weights (``seed``) instead: tests and the demo.
    device, dtype, channels_last, batch_size
        CNN stage: ``"cpu"``/``"cuda"``, ``"fp32"``/``"bf16"``/``"fp16"`` (autocast),
        memory format, images per forward pass.
    jobs : int
        Worker processes preparing patients (joblib; 1 = in this process).
    quiet : bool
        No progress bar on stderr.
    threads : int, optional
        torch threads of the CNN stage on CPU (default: torch's own choice).
    itk_threads : int, optional
        ITK threads of the preprocessing (N4's fit sums per thread, so the count changes
        the features' last bits; recorded in the manifest's ``runtime``).  Default: ITK's
        (the cores) with ``jobs=1``, 1 in each worker process with ``jobs > 1``.
    patients : list of str, optional
        The patient ids to extract (e.g. those a study includes); default every
        id of the clinical file.
    scheduler : str, optional
        A Dask scheduler's address (``tcp://head:8786``): the run's ``shards`` are
        Dask tasks on its workers, then merged into ``out_dir``
        (:func:`extract.cluster.run_on_cluster`).
    shards : int, optional
        With ``scheduler``: how many shards (default: the count already in
        ``out_dir/shards``, else one per worker thread, at least one per 100 patients).
    **options
        :class:`extract.config.Settings`: ``size`` (224), ``margin``, ``n4``,
        ``n4_shrink``, ``n4_iterations``, ``percentiles``, ``components``,
        ``resample_mask``, ``tumour_label`` (default the study's) …

    Returns
    -------
    Summary
        A patient that fails is in ``summary.failures`` with the reason; the
        others are extracted.

    Raises
    ------
    ExtractError
        Bad study file, weights, settings or output folder (nothing is extracted).

    Examples
    --------
    >>> s = run_study("study.yaml", "features", random_weights=True, size=64, jobs=2)  # doctest: +SKIP
    >>> s.n_failed
    0
    """
    if scheduler is not None or shards is not None:
        given = {k: v for k, v in locals().items() if k not in _NOT_PASSED}  # the arguments
        from .cluster import run_on_cluster

        return run_on_cluster(study_yaml, out_dir, scheduler, shards=shards, **given, **options)
    t0 = time.perf_counter()
    check_run_options(jobs, batch_size, threads, itk_threads)
    study, settings = read_inputs(study_yaml, options)
    patients = patient_ids(study, patients)
    check_out(out_dir, study, patients)
    parts = parse_shard(shard)
    run = RunOptions(
        weights, random_weights, seed, device, dtype, channels_last, batch_size, jobs, quiet,
        threads, itk_threads,
    )  # fmt: skip
    return extract_patients(study, settings, run, Path(out_dir), patients, parts, t0)


@dataclass(frozen=True)
class RunOptions:
    """How a run computes (the weights, the CNN stage, the workers), as :func:`run_study`'s
    keywords give it; what it computes is :class:`extract.config.Settings`."""

    weights: object = None
    random_weights: bool = False
    seed: int = 0
    device: str = "cpu"
    dtype: str = "fp32"
    channels_last: bool = True
    batch_size: int = 32
    jobs: int = 1
    quiet: bool = False
    threads: int | None = None
    itk_threads: int | None = None


def extract_patients(
    study, settings: Settings, run: RunOptions, out_dir: Path, patients, parts, t0: float
) -> Summary:
    """The checked run: the model, the output folder (a shard's), the patients not cached
    extracted, the tables and manifest written."""
    from .vgg import FeatureExtractor, build_model, feature_names

    net, weights_id = build_model(run.weights, random_weights=run.random_weights, seed=run.seed)
    model = FeatureExtractor(
        net, device=run.device, dtype=run.dtype, channels_last=run.channels_last
    )
    seed = run.seed if run.random_weights else None
    params = run_params(study, settings, weights_id, seed, run.dtype)
    out = out_dir
    if parts is not None:
        out = out / "shards" / f"{parts[0]}-of-{parts[1]}"
        patients = patients[parts[0] - 1 :: parts[1]]
    store.claim(out, params)
    store.clean_temporaries(out)
    keys = {p: _input_key(study, p, store.fingerprint(params)) for p in patients}
    state = {p: store.cache_state(out, p, keys[p]) for p in patients}
    cached = {p for p in patients if state[p] == "fresh"}
    todo = [p for p in patients if p not in cached]
    progress = progress_bar(len(patients), len(cached), run.quiet)
    failures, itk = _extract(
        study, settings, run, model, _Batches(out, study, keys, progress), todo
    )
    runtime = {
        "device": str(model.device),
        "channels_last": run.channels_last,
        "batch_size": run.batch_size,
        "jobs": run.jobs,
        "threads": run.threads,
        "itk_threads": itk,
    }
    phases = list(study.phases)
    tables = _write_outputs(
        out, patients, phases, params, failures, parts, feature_names(), runtime
    )
    changed = [p for p in todo if state[p] == "changed" and p not in failures]
    return Summary(
        out_dir=out,
        n_patients=len(patients),
        n_extracted=len(todo) - len(failures),
        n_cached=len(cached),
        n_failed=len(failures),
        failures=failures,
        tables=tables,
        weights=weights_id,
        seconds=time.perf_counter() - t0,
        n_changed=len(changed),
    )


class _Batches:
    """Prepared patients waiting for the CNN; :meth:`flush` runs them in one batch and caches
    each patient's features at once."""

    def __init__(self, out: Path, study, keys: dict, progress):
        self.out, self.study, self.keys, self.progress = out, study, keys, progress
        self.phases = list(study.phases)
        self.pending: list = []

    def add(self, pid, crops, infos) -> int:
        """Queue one patient; returns the crops waiting."""
        self.pending.append((pid, crops, infos))
        return len(self.pending) * len(self.phases)

    def flush(self, model) -> None:
        if not self.pending:
            return
        phases = self.phases
        feats = model(np.stack([crops[ph] for _, crops, _ in self.pending for ph in phases]))
        for k, (pid, _, infos) in enumerate(self.pending):
            store.save_patient(
                self.out,
                pid,
                phases,
                feats[k * len(phases) : (k + 1) * len(phases)],
                _relative_info(infos, self.study.root),
                self.keys[pid],
            )
        self.progress.update(len(self.pending))
        self.pending.clear()


def _extract(study, settings, run: RunOptions, model, batches: _Batches, todo) -> tuple:
    """Each patient of ``todo`` prepared in the workers and fed to the CNN in batches; returns
    ({patient: reason} of the failures, the ITK threads used)."""
    import torch
    from joblib import Parallel, delayed

    failures: dict[str, str] = {}
    progress, jobs = batches.progress, run.jobs
    old_threads = torch.get_num_threads()
    if run.threads:
        torch.set_num_threads(int(run.threads))
    # ITK threads of N4: in this process (jobs=1) or in each worker process
    itk = run.itk_threads or (1 if jobs != 1 else set_itk_threads())
    old_itk = set_itk_threads(itk if jobs == 1 else None)
    try:
        tasks = (
            delayed(_prepare)(
                p,
                study.image_paths(p),
                study.mask_paths(p),
                settings,
                itk if jobs != 1 else None,
                os.getpid(),
            )
            for p in todo
        )
        runner = Parallel(n_jobs=jobs, return_as="generator_unordered", pre_dispatch="4*n_jobs")
        for pid, crops, infos, error in runner(tasks):
            if error is not None:
                failures[pid] = error
                progress.update(1)
                progress.set_postfix(failed=len(failures), refresh=False)
                continue
            if batches.add(pid, crops, infos) >= run.batch_size:
                batches.flush(model)
        batches.flush(model)
    finally:
        torch.set_num_threads(old_threads)
        set_itk_threads(old_itk)
        progress.close()
    return failures, itk


def _write_outputs(out, patients, phases, params, failures, parts, names, runtime) -> dict:
    """Tables and manifest from the cache (patients in study order)."""
    rows, ids, info = [], [], {}
    for order, pid in enumerate(patients):
        hit = store.load_patient(out, pid, with_key=True) if pid not in failures else None
        if hit is None:
            continue
        _, feats, roi, key = hit
        rows.append(feats)
        ids.append(pid)
        info[pid] = {"order": order, "phases": roi, "inputs": key.get("inputs", {})}
    stacked = np.stack(rows) if rows else np.zeros((0, len(phases), len(names)), np.float32)
    # manifest.json is the run's completion mark: drop the old one before the tables
    # change, write the new one last, so no manifest ever describes other tables
    (out / "manifest.json").unlink(missing_ok=True)
    tables = {}
    for k, phase in enumerate(phases):
        tables[phase] = out / f"{phase}.parquet"
        store.write_table(tables[phase], ids, stacked[:, k, :], names)
    manifest = {
        "format": store.FORMAT,
        "fingerprint": store.fingerprint(params),
        "params": params,
        "weights_sha256": params["weights"],
        "feature_dtype": "float32",
        "n_features": len(names),
        "feature_names": "vgg19_b{block}_c{channel}: block 1..5 (64, 128, 256, 512, 512 channels), channel from 0",
        "phases": phases,
        "runtime": runtime,
        "versions": _versions(),
        "shard": {"index": parts[0], "count": parts[1]} if parts else None,
        "n_patients": len(patients),
        "n_extracted": len(ids),
        "failed": failures,
        "patients": info,
    }
    store.write_json(out / "manifest.json", manifest)
    return tables
