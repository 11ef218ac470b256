"""A cohort run in this process (:func:`extract.run_study` without a scheduler): patients in
parallel worker processes, VGG19 in batches, resumable.

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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import store
from .config import Settings
from .errors import ExtractError
from .run_setup import (
    Summary,
    check_out,
    check_run_options,
    parse_shard,
    patient_ids,
    progress_bar,
    read_inputs,
    run_params,
    set_itk_threads,
)

__all__ = ["run_local", "RunOptions", "extract_patients"]


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


def run_local(
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
    **options,
) -> Summary:
    """Extract the features of a study's patients (or of one shard of them) in this process.

    :func:`extract.run_study` without a scheduler; its arguments are run_study's.
    """
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
