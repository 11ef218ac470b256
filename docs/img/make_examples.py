"""Re-make the example figures of docs/nomograms.md and docs/figures.md (needs R + rms for the rms ones).

Run: .venv/bin/python docs/img/make_examples.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

import hccstats as hs
from hccstats import plots
from hccstats.rbridge import r_available

HERE = Path(__file__).parent
DATASETS = HERE.parent.parent / "tests" / "reference" / "datasets"

# MASS::birthwt as R ships it (tests/reference/datasets/birthwt.csv), race and smoke labelled
d = pd.read_csv(DATASETS / "birthwt.csv")
d["race"] = pd.Categorical.from_codes(d["race"] - 1, ["white", "black", "other"])
d["smoke"] = pd.Categorical.from_codes(d["smoke"], ["no", "yes"])
fit = hs.lrm(
    "low ~ age + lwt + race + smoke + ptl + ht",
    d,
    labels={
        "age": "Age (years)",
        "lwt": "Weight (lb)",
        "ptl": "Premature labours",
        "ht": "Hypertension",
    },
)
hs.nomogram(fit, engine="python", fun_label="Risk of low birth weight").save(
    HERE / "nomogram_native", formats=("png",), dpi=150
)
if r_available("rms"):
    hs.nomogram(fit, engine="r", fun_label="Risk of low birth weight").save(
        HERE / "nomogram_rms", formats=("png",)
    )

# a Cox model's nomogram: survival::pbc's 312 trial patients, 5-year survival
pbc = pd.read_csv(DATASETS / "pbc.csv").iloc[:312]
pbc = pbc.assign(
    years=pbc["time"] / 365.25,
    death=(pbc["status"] == 2).astype(int),
    edema=pd.Categorical(pbc["edema"].astype(str), ["0.0", "0.5", "1.0"]),
)
cox = hs.coxph("Surv(years, death) ~ age + bili + rcs(albumin, 3) + C(edema)", pbc)
cox_labels = {
    "age": "Age (years)",
    "bili": "Bilirubin (mg/dL)",
    "albumin": "Albumin (g/dL)",
    "edema": "Oedema",
}
cox_kw = dict(times=5, unit="years", risk=True, fun_at="auto", labels=cox_labels)
hs.nomogram(cox, engine="python", **cox_kw).save(
    HERE / "nomogram_cox_native", formats=("png",), dpi=150
)
if r_available("rms"):
    hs.nomogram(cox, engine="r", **cox_kw).save(HERE / "nomogram_cox_rms", formats=("png",))

# a ROC figure from the fitted risks (hand-made curve object: plots are duck-typed)
y = fit.y
risk = fit.predict_risk()
th = np.r_[-np.inf, np.sort(np.unique(risk)), np.inf]
sens = np.array([(risk[y == 1] >= t).mean() for t in th])
spec = np.array([(risk[y == 0] < t).mean() for t in th])
roc = type("Roc", (), {"sensitivities": sens, "specificities": spec, "auc": fit.stats["C"]})
fig = plots.roc_curves({"Birth-weight model": roc})
plots.save_figure(fig, HERE / "roc_example", formats=("png",), dpi=150)

# a calibration figure with the risk distribution underneath (val.prob's riskdist: events up)
cal = hs.calibrate(fit, B=200, seed=1)
fig = plots.calibration_curves({"Birth-weight model": cal}, outcomes={"Birth-weight model": y})
plots.save_figure(fig, HERE / "calibration_example", formats=("png",), dpi=150)
