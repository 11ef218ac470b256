"""The output folder: claim it for one run, per-patient cache, tables, manifest.

Layout of ``<out>``::

    run.json               the run's fingerprint and parameters (written first)
    cache/<patient>.npz    features of every phase + ROI info + the key they were made
                           under (settings fingerprint, size/mtime/SHA-256 of each input),
                           one file per finished patient
    <phase>.parquet        patient_id + 1472 float32 columns (written last)
    manifest.json          parameters, versions, weights, per-patient ROI, failures

Every file is written to a temporary name in the same folder, then renamed, so
a killed run leaves no half-written file under a final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from pathlib import Path

import numpy as np

from .errors import ExtractError

FORMAT = "extract-features/1"


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}{path.suffix}"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # usual mode (umask)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n"))


def fingerprint(params: dict) -> str:
    """SHA-256 of the parameters that decide the features (canonical JSON)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def _diff(old: dict, new: dict, prefix="") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _diff(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} there, {b!r} now")
    return out


def claim(out: Path, params: dict) -> None:
    """Make ``out`` this run's folder, or refuse one holding another run's features."""
    run_file = out / "run.json"
    if run_file.is_file():
        try:
            old = json.loads(run_file.read_text())
        except (OSError, ValueError):
            raise ExtractError(
                f"output folder {out}: run.json is unreadable; "
                "choose another --out or delete the folder"
            ) from None
        if old.get("fingerprint") != fingerprint(params):
            diffs = _diff(old.get("params", {}), params)
            raise ExtractError(
                f"output folder {out} holds features of a different run "
                f"({'; '.join(diffs[:4]) or 'other format'}); choose another --out, "
                "or delete that folder to redo the run"
            )
        return
    foreign = (
        any(out.glob("*.parquet")) or (out / "manifest.json").exists() or (out / "cache").exists()
    )
    if out.exists() and foreign:
        raise ExtractError(
            f"output folder {out} holds feature files without run.json (another "
            "program's or an older run's); choose another --out"
        )
    write_json(run_file, {"format": FORMAT, "fingerprint": fingerprint(params), "params": params})


def cache_path(out: Path, patient_id: str) -> Path:
    """``cache/<id>.npz`` with the id made file-name safe (other characters → %XX)."""
    safe = re.sub(
        r"[^A-Za-z0-9._-]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), patient_id
    )
    if safe.startswith("."):
        safe = "%2E" + safe[1:]
    return out / "cache" / f"{safe}.npz"


def _files(path: Path) -> list[Path]:
    """The file itself, or a folder's visible files in name order (a DICOM series)."""
    if path.is_dir():
        return sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))
    return [path]


def file_record(path, *, content: bool = True) -> dict:
    """``{"size", "mtime_ns", "sha256"}`` of a file, or of a folder's files (a DICOM series:
    sizes summed, latest mtime, one SHA-256 over each file's name and content in name order);
    ``{"missing": reason}`` when it cannot be read (the patient then fails on reading it).
    ``content=False``: size and mtime only (no file is read)."""
    path = Path(path)
    try:
        digest, size, mtime = hashlib.sha256(), 0, 0
        for file in _files(path):
            st = file.stat()
            size, mtime = size + st.st_size, max(mtime, st.st_mtime_ns)
            if not content:
                continue
            if path.is_dir():
                digest.update(file.name.encode() + b"\0")
            with open(file, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
    except OSError as exc:
        return {"missing": exc.strerror or type(exc).__name__}
    if not content:
        return {"size": size, "mtime_ns": mtime}
    return {"size": size, "mtime_ns": mtime, "sha256": digest.hexdigest()}


def same_inputs(old: dict, new: dict) -> bool:
    """Two cache keys name the same settings and the same file contents (size and SHA-256;
    a file that was only touched or copied, same bytes, keeps its cached features)."""

    def content(key):
        return (
            key.get("fingerprint"),
            {
                name: {
                    ph: (r.get("size"), r.get("sha256"), r.get("missing")) for ph, r in d.items()
                }
                for name, d in key.get("inputs", {}).items()
            },
        )

    return content(old) == content(new)


def save_patient(
    out: Path,
    patient_id: str,
    phases: list[str],
    features: np.ndarray,
    info: dict,
    key: dict | None = None,
) -> None:
    """Cache one finished patient: features (n_phases, 1472) float32, ROI info, its key."""

    def write(p: Path):
        with open(p, "wb") as fh:
            np.savez(
                fh,
                features=np.asarray(features, np.float32),
                phases=np.array(phases),
                info=np.array(json.dumps(info)),
                key=np.array(json.dumps(key or {})),
            )

    atomic_write(cache_path(out, patient_id), write)


def load_patient(out: Path, patient_id: str, *, with_key: bool = False):
    """``(phases, features, info)`` of a cached patient (``+ (key,)`` with ``with_key``),
    or None if not cached."""
    path = cache_path(out, patient_id)
    if not path.is_file():
        return None
    try:
        with np.load(path) as z:
            hit = list(z["phases"]), z["features"], json.loads(str(z["info"]))
            key = json.loads(str(z["key"])) if "key" in z.files else {}
    except Exception:  # noqa: BLE001 - damaged (truncated zip, bad json): redo that patient
        return None
    return (*hit, key) if with_key else hit


def cache_state(out: Path, patient_id: str, key: dict) -> str:
    """``"fresh"`` (cached under ``key``), ``"changed"`` (cached under another key: an input
    or a setting changed since) or ``"missing"``."""
    hit = load_patient(out, patient_id, with_key=True)
    if hit is None:
        return "missing"
    return "fresh" if same_inputs(hit[3], key) else "changed"


def clean_temporaries(out: Path) -> None:
    """Remove ``.tmp-*`` files a killed run left behind."""
    for tmp in [*out.glob(".tmp-*"), *out.glob("cache/.tmp-*")]:
        tmp.unlink(missing_ok=True)


def write_table(path: Path, patient_ids: list[str], features: np.ndarray, names: list[str]) -> None:
    """``patient_id`` (string) + float32 feature columns, as parquet, atomically."""
    import pandas as pd

    table = pd.DataFrame(
        np.asarray(features, np.float32).reshape(len(patient_ids), len(names)), columns=names
    )
    table.insert(0, "patient_id", pd.array(patient_ids, dtype="string"))
    atomic_write(path, lambda p: table.to_parquet(p, index=False))
