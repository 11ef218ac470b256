"""Joining the shards of a run (``--shard i/n``) into one set of tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import store
from .errors import ExtractError

__all__ = ["merge_shards"]


def merge_shards(out_dir, *, runtime: dict | None = None) -> dict:
    """Join ``<out>/shards/*-of-n/`` into ``<out>/<phase>.parquet`` + ``manifest.json``.

    Every shard 1..n must be there, finished (its manifest written), with the
    same fingerprint; patients keep the study's order.  Copy the shard folders
    of other machines into ``<out>/shards/`` first.  ``runtime``: entries added to the
    manifest's ``runtime`` (how the shards were run).

    Returns
    -------
    dict
        phase → merged table path.

    Raises
    ------
    ExtractError
        No shards, a missing or unfinished shard, shards of different runs.

    Examples
    --------
    >>> merge_shards("features")  # doctest: +SKIP
    {'AP': PosixPath('features/AP.parquet'), ...}
    """
    import pandas as pd

    out = Path(out_dir)
    folders = sorted((out / "shards").glob("*-of-*"))
    if not folders:
        raise ExtractError(f"output folder {out}: no shards/ to merge (run with --shard i/n first)")
    manifests = {}
    for folder in folders:
        file = folder / "manifest.json"
        if not file.is_file():
            raise ExtractError(
                f"shard {folder}: unfinished (no manifest.json); run it again to finish"
            )
        manifests[folder.name] = json.loads(file.read_text())
    counts = {m["shard"]["count"] for m in manifests.values()}
    prints = {m["fingerprint"] for m in manifests.values()}
    if len(counts) > 1 or len(prints) > 1:
        raise ExtractError(
            f"output folder {out}: shards of different runs "
            f"({len(prints)} parameter sets, shard counts {sorted(counts)})"
        )
    n = counts.pop()
    missing = [f"{i}-of-{n}" for i in range(1, n + 1) if f"{i}-of-{n}" not in manifests]
    if missing:
        raise ExtractError(f"output folder {out}: shards {', '.join(missing)} missing")
    first = next(iter(manifests.values()))
    store.claim(out, first["params"])
    phases = first["phases"]
    patients, failed = {}, {}
    for m in manifests.values():
        i = m["shard"]["index"]
        for pid, entry in m["patients"].items():  # global order = local order * n + (i - 1)
            patients[pid] = {**entry, "order": entry["order"] * n + i - 1}
        failed.update(m["failed"])
    order = sorted(patients, key=lambda p: patients[p]["order"])
    tables = {}
    for phase in phases:
        parts = [
            pd.read_parquet(out / "shards" / f"{i}-of-{n}" / f"{phase}.parquet")
            for i in range(1, n + 1)
        ]
        table = pd.concat(parts, ignore_index=True).set_index("patient_id").loc[order]
        tables[phase] = out / f"{phase}.parquet"
        store.write_table(tables[phase], order, table.to_numpy(np.float32), list(table.columns))
    merged = {
        **first,
        "shard": None,
        "runtime": {**first.get("runtime", {}), **(runtime or {})},
        "merged_from": sorted(manifests),
        "n_patients": sum(m["n_patients"] for m in manifests.values()),
        "n_extracted": len(order),
        "failed": failed,
        "patients": {p: patients[p] for p in order},
    }
    store.write_json(out / "manifest.json", merged)
    return tables
