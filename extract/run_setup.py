"""What a run in this process and a run on a cluster share: the run's :class:`Summary`, the
checks of its options, study and output folder (done before any work), and the parameters
that decide its features (their SHA-256 is the run's fingerprint)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .config import Settings, read_study
from .errors import ExtractError
from .outdir import input_clash

__all__ = [
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
