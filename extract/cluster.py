"""A cohort run on a Dask cluster: the shards of ``--shard i/n`` as Dask tasks, then merged.

Each task runs one shard (patients i, i+n, i+2n … in study order) inside a
worker, in that worker's process, into ``<out>/shards/i-of-n/`` exactly as
``python -m extract --shard i/n`` would; the client gathers the shards' summaries
and joins the shard folders (:func:`extract.merge_shards`) into ``<out>/<phase>.parquet``
and ``manifest.json``.  The workers must see ``<out>``, the study and the
weights file at the same paths (a shared file system).

Resumable at two levels: a shard whose manifest lists every one of its patients
extracted, under this run's fingerprint, with each image and mask of the same
size and mtime as when it was extracted, is not sent again; any other shard is
sent, and inside it every patient cached under the same settings and the same
input contents (SHA-256) is taken from its cache.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import time
from pathlib import Path

from . import store
from .address import address_problem, probe
from .errors import ExtractError
from .pipeline import run_local
from .run_setup import (
    Summary,
    check_out,
    check_run_options,
    patient_ids,
    progress_bar,
    read_inputs,
    run_params,
    set_itk_threads,
)

__all__ = ["run_on_cluster"]

PATIENTS_PER_SHARD = 100  # the default splits a large cohort at least this finely
PROBE_S = 2.0  # seconds to find that no scheduler answers at the address


def _connect(scheduler: str, timeout: float):
    """A ``distributed.Client`` of the scheduler at ``scheduler``, or a one-line error."""
    try:
        from distributed import Client
    except ImportError:
        raise ExtractError(
            f"--scheduler {scheduler}: running on a Dask cluster needs the 'distributed' "
            "package (pip install hccstats[cluster])"
        ) from None
    try:
        return Client(scheduler, set_as_default=False, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExtractError(
            f"--scheduler {scheduler}: no Dask scheduler reachable there ({reason})"
        ) from None


def _shard_count(out: Path, shards, n_patients: int, client) -> int:
    """``--shards``, else the count already under ``<out>/shards``, else one per worker
    thread (at least one per 100 patients, at most one per patient)."""
    counts = {
        f.name.split("-of-")[1]
        for f in (out / "shards").glob("*-of-*")
        if f.is_dir() and re.fullmatch(r"\d+-of-\d+", f.name)
    }
    if shards is None:
        if len(counts) == 1:
            return int(counts.pop())
        threads = sum(client.nthreads().values())
        shards = min(max(threads, math.ceil(n_patients / PATIENTS_PER_SHARD)), n_patients)
        return max(shards, 1)
    if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
        raise ExtractError(f"--shards must be a positive number of shards, not {shards!r}")
    other = sorted(c for c in counts if c != str(shards))
    if other:
        raise ExtractError(
            f"output folder {out}: shards/ holds a run in {', '.join(other)} shards; "
            f"run with --shards {other[0]} to go on with it, or delete {out / 'shards'}"
        )
    return shards


def _finished(folder: Path, fingerprint: str, ids: list[str], root: Path) -> dict | None:
    """The manifest of a shard that needs no rerun (every patient extracted under this
    fingerprint, each input's size and mtime as recorded), else None."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if (
        manifest.get("fingerprint") != fingerprint
        or manifest.get("failed")
        or list(manifest.get("patients", {})) != ids
    ):
        return None
    for entry in manifest["patients"].values():
        for records in entry.get("inputs", {}).values():
            for record in records.values():
                if "missing" in record:
                    return None
                now = store.file_record(root / record.get("file", ""), content=False)
                if (now.get("size"), now.get("mtime_ns")) != (
                    record.get("size"),
                    record.get("mtime_ns"),
                ):
                    return None
    return manifest


def _run_shard(study_yaml: str, out_dir: str, shard: str, options: dict) -> Summary:
    """One Dask task: a shard run in the worker's process."""
    return run_local(study_yaml, out_dir, shard=shard, quiet=True, **options)


def _gather(client, futures: dict, progress) -> tuple[dict, dict]:
    """Each shard's Summary, and each failed shard's exception (the others go on)."""
    from distributed import as_completed

    done, errors = {}, {}
    for future in as_completed(list(futures), loop=client.loop):
        i = futures[future]
        try:
            done[i] = future.result()
        except Exception as exc:  # noqa: BLE001 - reported per shard below
            errors[i] = exc
        progress.update(1)
    return done, errors


def _raise_for(errors: dict, n: int, scheduler: str) -> None:
    """One error naming the failed shards (an unexpected one is re-raised as it is)."""
    if not errors:
        return
    first = errors[min(errors)]
    if not isinstance(first, ExtractError) and type(first).__name__ != "KilledWorker":
        raise first
    names = ", ".join(f"{i}/{n}" for i in sorted(errors))
    raise ExtractError(
        f"--scheduler {scheduler}: shard {names} failed on the cluster (shard {min(errors)}/{n}: "
        f"{type(first).__name__}: {str(first).splitlines()[0] if str(first) else ''}); "
        "the finished shards and patients are kept, run the same command again to go on"
    )


def _skipped_summary(folder: Path, manifest: dict) -> Summary:
    return Summary(
        out_dir=folder,
        n_patients=manifest["n_patients"],
        n_extracted=0,
        n_cached=manifest["n_extracted"],
        n_failed=0,
    )


def _run_options(options: dict) -> dict:
    """Take :func:`extract.run_study`'s own keywords (weights, device, batch size, jobs,
    patients …) out of ``options``, with its defaults; what is left are the Settings."""
    own = inspect.signature(run_local).parameters
    run = {
        k: p.default
        for k, p in own.items()
        if p.kind is p.KEYWORD_ONLY and k not in ("shard", "quiet")
    }
    run.update({k: options.pop(k) for k in list(options) if k in run})
    return run


def _plan(study_yaml, out_dir, options: dict, run: dict) -> tuple:
    """Checks done once on the client (study, settings, weights, ids) and the run's params;
    ``run["weights"]`` becomes the absolute path of the file the client found."""
    from .vgg import sha256, weights_file

    study, settings = read_inputs(study_yaml, options)
    path = weights_file(run["weights"], random_weights=run["random_weights"])
    if path is not None and not path.is_file():
        raise ExtractError(f"weights file {path}: not found")
    if path is not None:
        run["weights"] = str(path.resolve())
    weights_id = "random" if path is None else sha256(path)
    seed = run["seed"] if run["random_weights"] else None
    params = run_params(study, settings, weights_id, seed, run["dtype"])
    ids = patient_ids(study, run["patients"])
    check_out(out_dir, study, ids)
    return study, params, ids


def run_on_cluster(
    study_yaml,
    out_dir,
    scheduler: str,
    *,
    shards: int | None = None,
    shard=None,
    quiet: bool = False,
    timeout: float = 10.0,
    **options,
) -> Summary:
    """Extract a study's features as Dask tasks on a cluster, one task per shard.

    The distributed counterpart of ``run_study(..., shard="i/n")`` for every i
    followed by :func:`extract.merge_shards`: same folders, same tables, same
    manifest (``runtime`` names the scheduler and the shard count).  Like
    ``python -m extract --scheduler ADDRESS [--shards N]``.

    Parameters
    ----------
    study_yaml, out_dir : path
        On a file system the workers share (same paths).
    scheduler : str
        The Dask scheduler's address, e.g. ``"tcp://head:8786"``.
    shards : int, optional
        Number of shards (tasks); default: the count already in ``<out>/shards``,
        else one per worker thread, at least one per 100 patients.
    timeout : float
        Seconds to wait for the scheduler.
    **options
        As :func:`extract.run_study`: weights, device, ``batch_size``, ``jobs`` (per
        shard), ``patients`` and the preprocessing settings.

    Returns
    -------
    Summary
        The whole run's: failed patients with their reasons (they are retried by
        the next run), how many came from the shards' caches.

    Raises
    ------
    ExtractError
        Bad study, settings or weights; no ``distributed`` package; no scheduler
        at ``scheduler``; an output folder of another run or another shard count;
        a shard that failed as a whole (its worker died, its folder unwritable).
    """
    t0 = time.perf_counter()
    if shard is not None:
        raise ExtractError("give either --shard i/n (one shard here) or --scheduler, not both")
    if scheduler is None:
        raise ExtractError("--shards needs --scheduler ADDRESS (a Dask scheduler)")
    run = _run_options(options)
    check_run_options(run["jobs"], run["batch_size"], run["threads"], run["itk_threads"])
    unusable = address_problem(scheduler) or probe(scheduler, timeout=min(timeout, PROBE_S))
    if unusable:  # a mistyped address, or nothing answers there: told within seconds
        raise ExtractError(unusable)
    study, params, ids = _plan(study_yaml, out_dir, options, run)
    out = Path(out_dir).resolve()
    client = _connect(scheduler, timeout)
    from dask.base import tokenize

    try:
        n = _shard_count(out, shards, len(ids), client)
        store.claim(out, params)
        fingerprint = store.fingerprint(params)
        summaries, futures = {}, {}
        # N4 with the ITK threads this process would use (its round-off depends on them)
        itk = run["itk_threads"] or (1 if run["jobs"] != 1 else set_itk_threads())
        task = {**run, **options, "patients": ids, "itk_threads": itk}
        yaml = str(Path(study_yaml).resolve())
        for i in range(1, n + 1):
            folder = out / "shards" / f"{i}-of-{n}"
            manifest = _finished(folder, fingerprint, ids[i - 1 :: n], study.root)
            if manifest is not None:
                summaries[i] = _skipped_summary(folder, manifest)
                continue
            args = (yaml, str(out), f"{i}/{n}", task)
            # the same shard of the same run is one task, even if two clients send it
            key = f"extract-shard-{i}-of-{n}-{tokenize(*args)}"
            futures[client.submit(_run_shard, *args, key=key)] = i
        progress = progress_bar(n, len(summaries), quiet, unit="shard")
        try:
            done, errors = _gather(client, futures, progress)
        finally:
            progress.close()
    finally:
        client.close()
    _raise_for(errors, n, scheduler)
    summaries.update(done)
    return _joined(out, ids, [summaries[i] for i in range(1, n + 1)], scheduler, params, t0)


def _joined(out: Path, ids: list, parts: list, scheduler: str, params: dict, t0: float) -> Summary:
    """The shards' folders merged into ``out`` and their summaries into the run's."""
    from .shards import merge_shards

    n = len(parts)
    tables = merge_shards(out, runtime={"scheduler": scheduler, "shards": n})
    failures = {}
    for part in parts:
        failures.update(part.failures)
    failures = {p: failures[p] for p in ids if p in failures}  # study order
    return Summary(
        out_dir=out,
        n_patients=len(ids),
        n_extracted=sum(p.n_extracted for p in parts),
        n_cached=sum(p.n_cached for p in parts),
        n_failed=len(failures),
        failures=failures,
        tables=tables,
        weights=params["weights"],
        seconds=time.perf_counter() - t0,
        n_changed=sum(p.n_changed for p in parts),
    )
