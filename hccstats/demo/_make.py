"""make_study: write the demo study folder (deterministic: same seed, same bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._errors import InputError
from .._validation import check_seed
from ._cohort import make_patients
from ._readers import make_readings, true_features
from ._yaml import study_yaml

__all__ = ["make_study"]

CLINICAL_COLUMNS = [
    "patient_id",
    "center",
    "age",
    "sex",
    "etiology",
    "hbv_dna",
    "afp",
    "alt",
    "ast",
    "ggt",
    "neutrophil",
    "bclc",
    "tumour_size",
    "tumour_number",
    "mvi",
    "histologic_grade",
    "early_recurrence",
    "months_to_recurrence",
    "recurred",
    "exclusion_reason",
]


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(path)


def make_study(
    out_dir: str | Path,
    n: int = 285,
    seed: int = 2023,
    images: bool = True,
    *,
    n_excluded: int | None = None,
    n_jobs: int = 1,
) -> Path:
    """Write a synthetic study folder and return the path of its study.yaml.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created; files of an earlier run are overwritten).
    n : int
        Included patients (default 285 as in the reference study; centres and tumour
        numbers follow the study's proportions exactly, early recurrence about 27%).
    seed : int
        Seed of everything random; the same seed gives byte-identical files.
    images : bool
        Also write images/<patient_id>/{AP,PVP,HBP,mask}.nii.gz (small NIfTI volumes).
    n_excluded : int, optional
        Extra screened-out patients in clinical.csv (column exclusion_reason), default
        ``round(0.06 * n)``; they have no readings or images.
    n_jobs : int
        Worker processes for the images (joblib); the files do not depend on it.

    Returns
    -------
    Path
        ``out_dir / "study.yaml"``, ready for :func:`hccstats.study.load`.

    Notes
    -----
    No R equivalent; the outcome is drawn as R's ``rbinom(n, 1, plogis(lp))`` would, from the
    linear predictor ``lp`` of the logistic truth in truth.json (docs/study-file.md).

    Examples
    --------
    >>> from hccstats.demo import make_study
    >>> from hccstats.study import load
    >>> study = load(make_study("demo-study", seed=2023, images=False))
    >>> study.outcome, len(study.data)
    ('early_recurrence', 285)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 20:
        raise InputError(f"n: expected an integer of at least 20, got {n!r}")
    seed = check_seed(seed, "the demo cohort")
    n_excluded = int(round(0.06 * n)) if n_excluded is None else int(n_excluded)
    if n_excluded < 0:
        raise InputError(f"n_excluded: expected a non-negative integer, got {n_excluded!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(int(seed)).spawn(3)
    frame, truth = make_patients(int(n), n_excluded, np.random.default_rng(seeds[0]))
    rng_readers = np.random.default_rng(seeds[1])
    feats = true_features(frame, rng_readers)
    included = frame["exclusion_reason"] == ""
    readings = make_readings(frame[included], feats[included], rng_readers)

    _write_text(
        out / "clinical.csv", frame[CLINICAL_COLUMNS].to_csv(index=False, lineterminator="\n")
    )
    _write_text(out / "readers.csv", readings.to_csv(index=False, lineterminator="\n"))
    hidden = frame.loc[included, ["patient_id", "_image_risk", "_linear_predictor", "_risk"]]
    hidden = hidden.rename(columns=lambda c: c.lstrip("_"))
    for f in feats.columns:
        hidden[f"true_{f}"] = feats.loc[included, f].to_numpy()
    _write_text(out / "truth.csv", hidden.to_csv(index=False, lineterminator="\n"))
    truth.update(seed=int(seed), n=int(n), n_excluded=n_excluded)
    _write_text(out / "truth.json", json.dumps(truth, indent=2) + "\n")
    if images:
        from ._images import write_images

        write_images(out, frame[included], feats[included], seeds[2], n_jobs=n_jobs)
    _write_text(out / "study.yaml", study_yaml(int(n), int(seed), images))
    return out / "study.yaml"
