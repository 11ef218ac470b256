"""Settings of a run and the ``images:`` section of study.yaml.

Only ``images:`` (phase → path template, mask template(s), tumour label, mask threshold), the
patient ids of ``clinical:`` and who is screened out (:mod:`extract.screening`, the rule
hccstats' loader applies too) are read; the rest of the study file belongs to hccstats.  Templates hold ``{patient_id}`` (their only placeholder) and are
relative to the yaml's folder.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from .errors import ExtractError
from .limits import settings_problem
from .outdir import template_folder
from .preprocess import N4_DEFAULTS
from .screening import screen, screening_columns

__all__ = ["Settings", "StudyImages", "read_study", "check_mask_threshold"]


@dataclass(frozen=True)
class Settings:
    """Everything that decides the features of a patient (besides the weights).

    Attributes
    ----------
    n4 : bool
        Run N4 bias correction (the study did).
    n4_shrink, n4_iterations, n4_convergence
        N4's shrink factor, maximum iterations per fitting level, convergence
        threshold; the other N4 parameters are ``preprocess.N4_DEFAULTS``.
    percentiles : (low, high) or None
        None: min–max to 0..255 (the study); else those percentiles, clipped.
    size : int
        Side of the square crop fed to VGG19 (224 as ImageNet; 64 for a quick demo).
    margin : int
        Pixels around the tumour's bounding box.
    square : bool
        Widen the box to a square (keeps the aspect ratio in the resize).
    components : {"largest", "all"}
        Largest connected tumour, or all tumour voxels.
    tumour_label : int
        Mask value of the tumour.
    resample_mask : bool
        Resample a mismatching mask onto the image (nearest neighbour) instead of failing.
    mask_threshold : float or None
        None: a mask with non-integer values is refused.  A fraction (0 < t <= 1): such a
        mask (a binary mask resampled linearly) is tumour where its value is at least
        ``t × tumour_label``.  Integer masks are read by label either way.
    geometry_tolerance : float
        Relative tolerance of the image/mask grid comparison.
    """

    n4: bool = True
    n4_shrink: int = N4_DEFAULTS["shrink"]
    n4_iterations: tuple[int, ...] = N4_DEFAULTS["iterations"]
    n4_convergence: float = N4_DEFAULTS["convergence"]
    percentiles: tuple[float, float] | None = None
    size: int = 224
    margin: int = 5
    square: bool = True
    components: str = "largest"
    tumour_label: int = 1
    resample_mask: bool = False
    geometry_tolerance: float = 1e-3
    mask_threshold: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "n4_iterations", tuple(int(i) for i in self.n4_iterations))
        if self.mask_threshold is not None:
            object.__setattr__(self, "mask_threshold", check_mask_threshold(self.mask_threshold))
        if self.percentiles is not None:
            lo, hi = (float(p) for p in self.percentiles)
            if not 0 <= lo < hi <= 100:
                raise ExtractError(
                    f"percentiles must satisfy 0 <= low < high <= 100, not {self.percentiles}"
                )
            object.__setattr__(self, "percentiles", (lo, hi))
        if self.components not in ("largest", "all"):
            raise ExtractError(f"components must be 'largest' or 'all', not {self.components!r}")
        problem = settings_problem(
            size=int(self.size),
            n4_iterations=self.n4_iterations,
            n4_convergence=self.n4_convergence,
            n4_shrink=self.n4_shrink,
            margin=self.margin,
        )
        if problem:
            raise ExtractError(f"{problem[0]} {problem[1]}")

    def n4_parameters(self) -> dict:
        """Keyword arguments of :func:`extract.preprocess.n4_correct`."""
        return {
            **N4_DEFAULTS,
            "shrink": self.n4_shrink,
            "iterations": self.n4_iterations,
            "convergence": self.n4_convergence,
        }

    def to_dict(self) -> dict:
        """All settings, N4's fixed ones included (for the manifest)."""
        d = asdict(self)
        d["n4_iterations"] = list(self.n4_iterations)
        d["percentiles"] = list(self.percentiles) if self.percentiles else None
        if self.mask_threshold is None:  # unset: the fingerprint of earlier runs stays valid
            del d["mask_threshold"]
        d["n4_parameters"] = (
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.n4_parameters().items()}
            if self.n4
            else None
        )
        return d


def check_mask_threshold(value, name: str = "--mask-threshold") -> float:
    """A mask threshold: a number above 0 and at most 1 (a fraction of the tumour label)."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        t = float("nan")
    if isinstance(value, bool) or not 0 < t <= 1:
        raise ExtractError(f"{name} must be a number above 0 and at most 1, not {value!r}")
    return t


@dataclass(frozen=True)
class StudyImages:
    """The ``images:`` section resolved: per patient, phase → image path and mask path.

    ``patients`` are the included ids in the clinical file's order; ``excluded``
    maps each screened-out id to its reason; ``all_ids`` is every id of the file.
    """

    root: Path
    phases: dict[str, str]
    masks: dict[str, str]
    tumour_label: int
    mask_threshold: float | None = None
    patients: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    all_ids: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()

    def image_paths(self, patient_id: str) -> dict[str, Path]:
        return {
            ph: self.root / t.replace("{patient_id}", patient_id) for ph, t in self.phases.items()
        }

    def mask_paths(self, patient_id: str) -> dict[str, Path]:
        return {
            ph: self.root / t.replace("{patient_id}", patient_id) for ph, t in self.masks.items()
        }

    def input_paths(self, patients) -> tuple[list[Path], list[Path]]:
        """What a run on ``patients`` reads: (files, folders).

        Files: the study file and the clinical table.  Folders: the fixed folder part of
        every template (``images/`` of ``images/{patient_id}/AP.nii.gz``) and the folder of
        each patient's image and mask, unless that is the study folder itself.  An output
        folder may hold none of them and lie inside none of the folders
        (:func:`extract.outdir.input_clash`).
        """
        folders = [
            self.root / head
            for head in map(template_folder, (*self.phases.values(), *self.masks.values()))
            if head is not None
        ]
        for pid in patients:
            for p in (*self.image_paths(pid).values(), *self.mask_paths(pid).values()):
                if p.parent != self.root:
                    folders.append(p.parent)
        return list(self.files), list(dict.fromkeys(folders))

    def section(self) -> dict:
        """The section as read (templates, not paths), for the manifest."""
        section = {
            "phases": dict(self.phases),
            "mask": dict(self.masks),
            "tumour_label": self.tumour_label,
        }
        if self.mask_threshold is not None:
            section["mask_threshold"] = self.mask_threshold
        return section


def read_study(study_yaml) -> StudyImages:
    """Read ``images:`` and the patient ids (``clinical: {file, id}``) of a study file.

    A patient is screened out, as hccstats' report does, when the column named by
    ``clinical.exclude`` holds a value (the reason) or the ``outcome.column`` is
    missing; only the included patients are extracted by default.

    Raises
    ------
    ExtractError
        Unreadable yaml, no ``images:`` section, a template without
        ``{patient_id}`` or with another placeholder, a mask mapping not covering
        every phase, a missing clinical file or id/exclude column, duplicated ids.
    """
    path = Path(study_yaml)
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ExtractError(f"study file {path}: cannot read ({str(exc).splitlines()[0]})") from None
    if not isinstance(config, dict) or not isinstance(config.get("images"), dict):
        raise ExtractError(f"study file {path}: no 'images:' section (phases, mask)")
    images = config["images"]
    phases = images.get("phases")
    if not isinstance(phases, dict) or not phases:
        raise ExtractError(
            f"study file {path}: images.phases must map phase names to path templates"
        )
    mask = images.get("mask")
    masks = {ph: mask for ph in phases} if isinstance(mask, str) else mask
    if not isinstance(masks, dict) or set(masks) != set(phases):
        raise ExtractError(
            f"study file {path}: images.mask must be one template or map every phase "
            f"({', '.join(phases)}) to a template"
        )
    for name, template in [*phases.items(), *masks.items()]:
        _check_template(path, name, template)
    try:
        label = int(images.get("tumour_label", 1))
    except (TypeError, ValueError):
        raise ExtractError(
            f"study file {path}: images.tumour_label must be an integer, "
            f"not {images.get('tumour_label')!r}"
        ) from None
    threshold = images.get("mask_threshold")
    if threshold is not None:
        threshold = check_mask_threshold(threshold, f"study file {path}: images.mask_threshold")
    ids, excluded = _patient_ids(path, config)
    return StudyImages(
        root=path.parent,
        phases={str(k): v for k, v in phases.items()},
        masks={str(k): v for k, v in masks.items()},
        tumour_label=label,
        mask_threshold=threshold,
        patients=[i for i in ids if i not in excluded],
        excluded=excluded,
        all_ids=tuple(ids),
        files=(path, path.parent / str(_clinical(config)["file"])),
    )


def _check_template(path: Path, name, template) -> None:
    if not isinstance(template, str) or "{patient_id}" not in template:
        raise ExtractError(f"study file {path}: template of {name} must contain {{patient_id}}")
    rest = template.replace("{patient_id}", "")
    if "{" in rest or "}" in rest:
        fields = sorted(set(re.findall(r"\{[^{}]*\}", rest)))
        raise ExtractError(
            f"study file {path}: template of {name} ({template!r}) has "
            f"{', '.join(fields) or 'an unmatched brace'}; the only placeholder is {{patient_id}}"
        )


def _clinical(config: dict):
    """``clinical:`` as a mapping (``clinical: clinical.csv`` is ``{file: clinical.csv}``)."""
    clinical = config.get("clinical")
    return {"file": clinical} if isinstance(clinical, str) else clinical


def _patient_ids(path: Path, config: dict) -> tuple[list[str], dict[str, str]]:
    """Every id of the clinical file, and the screened-out ones with their reason
    (:func:`extract.screening.screen`, the rule hccstats' loader applies)."""
    import pandas as pd

    clinical = _clinical(config)
    if not isinstance(clinical, dict) or "file" not in clinical:
        raise ExtractError(
            f"study file {path}: 'clinical: {{file, id}}' is needed for the patient ids"
        )
    file, column = path.parent / str(clinical["file"]), str(clinical.get("id", "patient_id"))
    try:  # read as hccstats reads it: text, the usual missing-value spellings
        table = pd.read_csv(
            file, dtype=str, keep_default_na=True, skipinitialspace=True, encoding="utf-8-sig"
        )
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ExtractError(f"clinical file {file}: cannot read ({reason})") from None
    columns = screening_columns(config)
    for col in (column, columns["exclude"]):
        if col is not None and col not in table.columns:
            raise ExtractError(f"clinical file {file}: no column {col!r} (clinical: in {path})")
    if table[column].isna().any():
        raise ExtractError(f"clinical file {file}: empty patient id in column {column!r}")
    ids = [str(i).strip() for i in table[column]]
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        raise ExtractError(f"clinical file {file}: duplicated patient ids {', '.join(dup[:5])}")
    reasons = screen(table, **columns)
    return ids, {pid: str(r) for pid, r in zip(ids, reasons) if pd.notna(r)}
