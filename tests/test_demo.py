"""The synthetic demo cohort: marginals, determinism, truth recovery, reader agreement."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccstats.demo import make_study
from hccstats.study import load


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_study(tmp_path_factory.mktemp("demo"), n=285, seed=2023, images=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_make_study_writes_the_contract_files(demo):
    root = demo.parent
    for name in ("study.yaml", "clinical.csv", "readers.csv", "truth.json", "truth.csv"):
        assert (root / name).is_file(), name
    clinical = pd.read_csv(root / "clinical.csv")
    expected = [
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
    ]
    assert clinical.columns.tolist()[: len(expected)] == expected


def test_demo_marginals_against_reference_study(demo):
    # Yan et al. 2023: 285 patients, centres 227/58, tumour number 1/2/3/4 in 223/47/13/2,
    # early recurrence 77/285 = 27.0%. Centres and tumour numbers are allocated exactly;
    # the outcome is a Bernoulli draw with mean risk 0.27: binomial SD sqrt(.27*.73/285) = 2.6
    # points, so +-8 points (3 SD) is the tolerance.
    study = load(demo)
    data = study.data
    assert len(data) == 285
    assert data["center"].value_counts().to_dict() == {"Center 1": 227, "Center 2": 58}
    assert data["tumour_number"].value_counts().sort_index().tolist() == [223, 47, 13, 2]
    assert abs(data["early_recurrence"].mean() - 0.27) < 0.08


def test_demo_same_seed_same_bytes(tmp_path):
    a = make_study(tmp_path / "a", n=60, seed=7, images=False).parent
    b = make_study(tmp_path / "b", n=60, seed=7, images=False).parent
    assert _digests(a) == _digests(b)


def test_demo_different_seed_different_data(tmp_path):
    a = make_study(tmp_path / "a", n=60, seed=7, images=False).parent
    b = make_study(tmp_path / "b", n=60, seed=8, images=False).parent
    ca, cb = (pd.read_csv(p / "clinical.csv") for p in (a, b))
    assert not ca["age"].equals(cb["age"])
    assert (a / "readers.csv").read_bytes() != (b / "readers.csv").read_bytes()
    assert (
        json.loads((a / "truth.json").read_text())["intercept"]
        != json.loads((b / "truth.json").read_text())["intercept"]
    )


def _fleiss(table: pd.DataFrame) -> float:
    """Fleiss' kappa (Fleiss 1971, eq. 1-9) for a patients x raters table of labels."""
    values = table.to_numpy().astype(str)
    cats = np.unique(values)
    counts = np.stack([(values == c).sum(axis=1) for c in cats], axis=1).astype(float)
    m = counts.sum(axis=1)[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    return (p_i.mean() - (p_j**2).sum()) / (1 - (p_j**2).sum())


def test_reader_kappas_against_reference_study(demo):
    # Yan et al. 2023, Supplementary Table 5: inter-reader Fleiss kappa 0.72-0.97 and
    # intra-reader Cohen kappa 0.81-1.00. With 285 patients a kappa's SE is about 0.03-0.05,
    # so inter-reader kappas must lie in 0.60-0.99 and intra-reader kappas in 0.80-1.00.
    from sklearn.metrics import cohen_kappa_score

    study = load(demo)
    r = study.readers
    for feature in study.reader_features:
        first = r[r["session"] == 1].pivot(index="patient_id", columns="reader", values=feature)
        inter = _fleiss(first)
        r1 = r[r["reader"] == "R1"].pivot(index="patient_id", columns="session", values=feature)
        intra = cohen_kappa_score(r1[1].astype(str), r1[2].astype(str))
        assert 0.60 <= inter <= 0.99, (feature, inter)
        assert 0.80 <= intra <= 1.0, (feature, intra)
    size = r[r["session"] == 1].pivot(index="patient_id", columns="reader", values="mr_tumour_size")
    assert _fleiss(size) > 0.9  # a measurement: the best agreement, as in the study (0.97)


def _truth_design(study, truth: pd.DataFrame) -> pd.DataFrame:
    d = study.data.join(truth)
    return pd.DataFrame(
        {
            "mvi": (d["mvi"] == "present").astype(float),
            "tumour_number": d["tumour_number"].astype(int) - 1.0,
            "image_risk": d["image_risk"],
            "log2_ast_40": np.log2(d["ast"] / 40.0),
            "neutrophil_3.5": d["neutrophil"] - 3.5,
            "y": d["early_recurrence"],
        }
    ).dropna()


def test_logistic_truth_recovered_by_statsmodels(tmp_path):
    # A large cohort (n = 4000; no images) makes the SEs small (< 0.1 for every term), so the
    # maximum-likelihood estimates must carry the truth's signs and lie within 0.35 of it
    # (> 3.5 SE). The data-generating model is exactly this logistic model.
    import statsmodels.api as sm

    path = make_study(tmp_path, n=4000, seed=3, images=False)
    study = load(path)
    truth = json.loads((path.parent / "truth.json").read_text())
    hidden = pd.read_csv(path.parent / "truth.csv", index_col="patient_id")
    design = _truth_design(study, hidden)
    terms = list(truth["coefficients"])
    fit = sm.Logit(design["y"], sm.add_constant(design[terms])).fit(disp=0)
    for term, beta in truth["coefficients"].items():
        assert np.sign(fit.params[term]) == np.sign(beta), term
        assert abs(fit.params[term] - beta) < 0.35, (term, fit.params[term], beta)
    assert abs(fit.params["const"] - truth["intercept"]) < 0.35


def test_clinical_fit_on_demo_has_the_truths_signs(demo):
    # On the 285-patient demo itself a clinical model (no latent risk: it is not in clinical.csv)
    # still finds MVI and tumour number as risk factors, as the reference study did.
    import statsmodels.api as sm

    study = load(demo)
    d = study.data
    X = pd.DataFrame(
        {
            "mvi": (d["mvi"] == "present").astype(float),
            "tumour_number": d["tumour_number"].astype(int).astype(float),
            "ast": np.log2(d["ast"]),
            "neutrophil": d["neutrophil"],
        }
    ).dropna()
    fit = sm.Logit(d.loc[X.index, "early_recurrence"], sm.add_constant(X)).fit(disp=0)
    assert fit.params["mvi"] > 0 and fit.params["tumour_number"] > 0 and fit.params["ast"] > 0
    assert fit.pvalues["tumour_number"] < 0.05
