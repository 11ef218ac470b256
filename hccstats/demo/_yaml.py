"""The demo's study.yaml, written as text so that its order and comments are stable."""

from __future__ import annotations

from ._readers import FEATURES

__all__ = ["study_yaml"]

_HEAD = """\
# Synthetic demo cohort made by hccstats.demo.make_study(n={n}, seed={seed}).
# Shaped like Yan et al., Eur Radiol 2023 (Gd-EOB-DTPA MRI, early recurrence of HCC).
# Every path is relative to this file's folder. Reference: docs/study-file.md
name: Synthetic HCC early-recurrence cohort
description: >-
  {n} included patients from two centres (hccstats.demo, seed {seed}); the outcome follows
  the logistic truth in truth.json.
seed: {seed}
clinical:
  file: clinical.csv
  id: patient_id
  exclude: exclusion_reason      # non-empty = screened out, with this reason
outcome:
  column: early_recurrence
  positive: 1
  label: Early recurrence
survival:                        # time to recurrence beside the binary endpoint
  time: months_to_recurrence
  event: recurred                # 1 = recurrence, 0 = censored
  horizon: 24                    # months; early recurrence = recurrence by 24 months
center: center
split:
  method: random
  ratio: 0.7
  stratify: true                 # by outcome and centre
  seed: {seed}
variables:
  age: {{type: continuous, label: Age, unit: years}}
  sex: {{type: categorical, levels: [female, male], label: Sex}}
  etiology: {{type: categorical, levels: [HBV, HCV, other], label: Etiology}}
  hbv_dna: {{type: binary, levels: ["<500", ">=500"], label: HBV-DNA, unit: IU/mL}}
  afp: {{type: continuous, label: AFP, unit: ng/mL}}
  alt: {{type: continuous, label: ALT, unit: U/L}}
  ast: {{type: continuous, label: AST, unit: U/L}}
  ggt: {{type: continuous, label: GGT, unit: U/L}}
  neutrophil: {{type: continuous, label: Neutrophil count, unit: 10^9/L}}
  bclc: {{type: ordinal, levels: ["0", A, B], label: BCLC stage}}
  tumour_size: {{type: continuous, label: Tumour size, unit: cm}}
  tumour_number: {{type: ordinal, levels: [1, 2, 3, 4], label: Tumour number}}
  mvi: {{type: binary, levels: [absent, present], label: MVI}}
  histologic_grade: {{type: ordinal, levels: [I, II, III, IV], label: Histologic grade (Edmondson-Steiner)}}
  months_to_recurrence: {{type: continuous, label: Time to recurrence or censoring, unit: months}}
readers:
  file: readers.csv
  id: patient_id
  reader: reader
  session: session
  features:
"""

_IMAGES = """\
images:
  phases:
    AP: images/{patient_id}/AP.nii.gz
    PVP: images/{patient_id}/PVP.nii.gz
    HBP: images/{patient_id}/HBP.nii.gz
  mask: images/{patient_id}/mask.nii.gz
  tumour_label: 1
"""

_TAIL = """\
features:
  dir: features                  # <dir>/<phase>.parquet, e.g. from `python -m extract`
  phases: [AP, PVP, HBP]
analysis:
  clinical_candidates: [age, sex, etiology, hbv_dna, afp, alt, ast, ggt, neutrophil, bclc,
                        tumour_size, tumour_number, mvi, histologic_grade]
  baseline_variables: [age, sex, etiology, hbv_dna, afp, alt, ast, ggt, neutrophil, bclc,
                       tumour_size, tumour_number, mvi, histologic_grade]
"""


def _levels(levels: list) -> str:
    return "[" + ", ".join(str(v) if isinstance(v, int) else f'"{v}"' for v in levels) + "]"


def study_yaml(n: int, seed: int, images: bool) -> str:
    text = _HEAD.format(n=n, seed=seed)
    for name, (levels, label, _) in FEATURES.items():
        kind = "ordinal" if name in ("ap_enhancement", "capsule") else "binary"
        text += f"    {name}: {{type: {kind}, levels: {_levels(levels)}, label: {label}}}\n"
    if images:
        text += _IMAGES
    return text + _TAIL
