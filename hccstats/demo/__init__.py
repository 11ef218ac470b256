"""The synthetic demo cohort: ``make_study(out_dir, n=285, seed=2023, images=True)``.

A complete study folder shaped like the reference study (Yan et al., Eur Radiol 2023):
clinical.csv, readers.csv, images/<patient_id>/{AP,PVP,HBP,mask}.nii.gz, study.yaml, and
the known truth (truth.json: logistic coefficients; truth.csv: per-patient latent image
risk, linear predictor and risk) so that tests can check that analyses recover it.

``example_cohort()``: a small simulated table (age, mvi, afp, recurrence) for examples.
"""

from ._example import example_cohort
from ._make import make_study

__all__ = ["make_study", "example_cohort"]
