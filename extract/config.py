"""Settings of a run and the ``images:`` section of study.yaml.

Only ``images:`` (phase → path template, mask template(s), tumour label) and the
patient ids of ``clinical:`` are read; the rest of the study file belongs to
hccstats.  Templates hold ``{patient_id}`` and are relative to the yaml's folder.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from .errors import ExtractError
from .preprocess import N4_DEFAULTS

__all__ = ["Settings", "StudyImages", "read_study"]


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

    def __post_init__(self):
        object.__setattr__(self, "n4_iterations", tuple(int(i) for i in self.n4_iterations))
        if self.percentiles is not None:
            lo, hi = (float(p) for p in self.percentiles)
            if not 0 <= lo < hi <= 100:
                raise ExtractError(
                    f"percentiles must satisfy 0 <= low < high <= 100, not {self.percentiles}"
                )
            object.__setattr__(self, "percentiles", (lo, hi))
        if self.components not in ("largest", "all"):
            raise ExtractError(f"components must be 'largest' or 'all', not {self.components!r}")
        if int(self.size) < 32:
            raise ExtractError(
                f"size must be at least 32 (VGG19 halves it four times), not {self.size}"
            )
        if (
            self.n4_shrink < 1
            or not self.n4_iterations
            or min(self.n4_iterations) < 1
            or self.margin < 0
        ):
            raise ExtractError("n4_shrink and n4_iterations must be positive, margin non-negative")

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
        d["n4_parameters"] = (
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.n4_parameters().items()}
            if self.n4
            else None
        )
        return d


@dataclass(frozen=True)
class StudyImages:
    """The ``images:`` section resolved: per patient, phase → image path and mask path."""

    root: Path
    phases: dict[str, str]
    masks: dict[str, str]
    tumour_label: int
    patients: list[str] = field(default_factory=list)

    def image_paths(self, patient_id: str) -> dict[str, Path]:
        return {
            ph: self.root / t.replace("{patient_id}", patient_id) for ph, t in self.phases.items()
        }

    def mask_paths(self, patient_id: str) -> dict[str, Path]:
        return {
            ph: self.root / t.replace("{patient_id}", patient_id) for ph, t in self.masks.items()
        }

    def section(self) -> dict:
        """The section as read (templates, not paths), for the manifest."""
        return {
            "phases": dict(self.phases),
            "mask": dict(self.masks),
            "tumour_label": self.tumour_label,
        }


def read_study(study_yaml) -> StudyImages:
    """Read ``images:`` and the patient ids (``clinical: {file, id}``) of a study file.

    Raises
    ------
    ExtractError
        Unreadable yaml, no ``images:`` section, a template without
        ``{patient_id}``, a mask mapping not covering every phase, a missing
        clinical file or id column, duplicated ids.
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
        if not isinstance(template, str) or "{patient_id}" not in template:
            raise ExtractError(f"study file {path}: template of {name} must contain {{patient_id}}")
    return StudyImages(
        root=path.parent,
        phases={str(k): v for k, v in phases.items()},
        masks={str(k): v for k, v in masks.items()},
        tumour_label=int(images.get("tumour_label", 1)),
        patients=_patient_ids(path, config.get("clinical")),
    )


def _patient_ids(path: Path, clinical) -> list[str]:
    if not isinstance(clinical, dict) or "file" not in clinical:
        raise ExtractError(
            f"study file {path}: 'clinical: {{file, id}}' is needed for the patient ids"
        )
    file, column = path.parent / clinical["file"], clinical.get("id", "patient_id")
    try:
        with open(file, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ExtractError(f"clinical file {file}: cannot read ({exc.strerror})") from None
    if not rows or column not in rows[0]:
        raise ExtractError(f"clinical file {file}: no id column {column!r}")
    ids = [str(r[column]).strip() for r in rows]
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        raise ExtractError(f"clinical file {file}: duplicated patient ids {', '.join(dup[:5])}")
    if any(not i for i in ids):
        raise ExtractError(f"clinical file {file}: empty patient id in column {column!r}")
    return ids
