"""The synthetic patients: latent image risk, clinical table and the logistic truth.

Shaped like the reference study (Yan et al., Eur Radiol 2023): 285 patients from two
centres (227/58), tumour number 1/2/3/4 in 223/47/13/2, early recurrence in about 27%.
The outcome is drawn from a known logistic model (``TRUTH``) in MVI, tumour number, the
latent image risk (which shapes the tumours in the images) and, more weakly, AST and
neutrophil count. The time to recurrence (``SURVIVAL_TRUTH``) agrees with it: the early
recurrences fall before 24 months, later ones after, the others are censored after 24 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

__all__ = ["TRUTH", "SURVIVAL_TRUTH", "make_patients", "exact_counts", "EVENT_RATE"]

EVENT_RATE = 0.27
CENTRE_SHARE = {"Center 1": 227, "Center 2": 58}
TUMOUR_NUMBER_SHARE = {1: 223, 2: 47, 3: 13, 4: 2}
GRADE_SHARE = {"I": 0.06, "II": 0.52, "III": 0.38, "IV": 0.04}
EXCLUSION_REASONS = (
    "recurrent HCC or mixed/metastatic tumour",
    "macrovascular invasion or extrahepatic metastasis",
    "incomplete clinical, pathological or follow-up data",
    "death within 2 weeks of surgery",
)
LAB_COLUMNS = ("hbv_dna", "afp", "alt", "ast", "ggt", "neutrophil")
MISSING_RATE = 0.03

# logit P(early recurrence) = intercept + sum(coef * term); the intercept is solved per
# cohort so that the mean risk is EVENT_RATE. Terms are computed from clinical.csv's
# columns (mvi present = 1) and the latent image risk (standard normal, truth.csv).
TRUTH = {
    "mvi": 1.2,  # mvi == "present"
    "tumour_number": 0.9,  # per additional tumour (tumour_number - 1)
    "image_risk": 1.6,  # latent image risk, per SD
    "log2_ast_40": 0.45,  # log2(AST / 40 U/L)
    "neutrophil_3.5": -0.3,  # neutrophil count - 3.5 (10^9/L)
}

# time to recurrence (months_to_recurrence, recurred = 1) or censoring (recurred = 0)
SURVIVAL_TRUTH = {
    "early": "early_recurrence = 1 (the logistic truth): recurrence at 0.5 + 23.5 * Beta(1.3, 1.9) "
    "months, so P(recurrence by 24 months | x) = expit(linear predictor)",
    "late": "no early recurrence and late (probability 0.35, independent of x): recurrence at "
    "24 + Gamma(shape 2, scale 9) months",
    "censored": "the others: censored at Uniform(24.5, 96) months",
    "horizon": 24,
    "late_share": 0.35,
}


def exact_counts(n: int, shares: dict) -> dict:
    """Split n into the given shares (largest remainder), keys in order."""
    w = np.array(list(shares.values()), dtype=float)
    exact = n * w / w.sum()
    take = np.floor(exact).astype(int)
    order = np.argsort(-(exact - take), kind="stable")
    take[order[: n - int(take.sum())]] += 1
    return dict(zip(shares, take.tolist()))


def _by_rank(score: np.ndarray, shares: dict) -> np.ndarray:
    """Categories with exact counts, assigned by increasing ``score``."""
    counts = exact_counts(len(score), shares)
    labels = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    out = np.empty(len(score), dtype=object)
    out[np.argsort(score, kind="stable")] = labels
    return out


def _lognormal(rng, n, median, sigma, shift=0.0):
    return median * np.exp(sigma * rng.standard_normal(n) + shift)


def make_patients(n: int, n_excluded: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """Clinical table (included patients first, then the excluded) and the truth.

    Returns ``(frame, truth)``: the frame has the clinical.csv columns plus hidden ones
    starting with ``_`` (latent image risk, linear predictor, risk, per-feature truths).
    """
    total = n + n_excluded
    z = rng.standard_normal(total)  # latent image risk
    v = _characteristics(n, n_excluded, z, rng)
    intercept, eta, risk = _risk(n, v, z)
    event, months, recurred = _follow_up(risk, rng)
    frame = pd.DataFrame(
        {
            "patient_id": [f"HCC{i + 1:04d}" for i in range(total)],
            "center": v["centre"],
            "age": v["age"].astype(int),
            "sex": v["sex"],
            "etiology": v["etiology"],
            "hbv_dna": v["hbv_dna"],
            "afp": v["afp"],
            "alt": v["alt"].astype(int),
            "ast": v["ast"].astype(int),
            "ggt": v["ggt"].astype(int),
            "neutrophil": v["neutrophil"],
            "bclc": v["bclc"],
            "tumour_size": v["size"],
            "tumour_number": v["tumour_number"],
            "mvi": np.where(v["mvi"], "present", "absent"),
            "histologic_grade": v["grade"],
            "early_recurrence": event,
            "months_to_recurrence": months,
            "recurred": recurred,
        }
    )
    _exclude_and_blank(frame, n, n_excluded, rng)
    frame["_image_risk"] = z
    frame["_linear_predictor"] = eta
    frame["_risk"] = risk
    return frame, _truth(intercept)


def _characteristics(n: int, n_excluded: int, z: np.ndarray, rng: np.random.Generator) -> dict:
    """Centre, demographics, laboratory values and tumour (the last ones tied to ``z``)."""
    total = n + n_excluded
    centre = np.empty(total, dtype=object)
    centre[:n] = rng.permutation(
        np.repeat(list(CENTRE_SHARE), list(exact_counts(n, CENTRE_SHARE).values()))
    )
    centre[n:] = rng.choice(list(CENTRE_SHARE), size=n_excluded, p=[0.8, 0.2])

    age = np.clip(np.round(rng.normal(53, 10.5, total)), 22, 79)
    sex = np.where(rng.random(total) < 0.86, "male", "female")
    etiology = rng.choice(["HBV", "HCV", "other"], size=total, p=[0.84, 0.03, 0.13])
    hbv_dna = np.where((etiology == "HBV") & (rng.random(total) < 0.55), ">=500", "<500")
    afp = np.clip(_lognormal(rng, total, 40, 2.1, 0.4 * z), 0.8, 121000).round(1)
    alt = np.clip(_lognormal(rng, total, 36, 0.55), 6, 900).round(0)
    ast = np.clip(alt**0.6 * _lognormal(rng, total, 4.3, 0.35, 0.12 * z), 8, 900).round(0)
    ggt = np.clip(_lognormal(rng, total, 52, 0.75, 0.2 * z), 8, 1500).round(0)
    neutrophil = np.clip(_lognormal(rng, total, 3.3, 0.33), 0.8, 14).round(2)

    size = np.clip(_lognormal(rng, total, 4.3, 0.45, 0.32 * z), 0.8, 16).round(1)
    tumour_number = np.empty(total, dtype=int)
    tumour_number[:n] = _by_rank(0.6 * z[:n] + rng.standard_normal(n), TUMOUR_NUMBER_SHARE).astype(
        int
    )
    tumour_number[n:] = rng.choice([1, 2, 3], size=n_excluded, p=[0.75, 0.2, 0.05])
    mvi = rng.random(total) < expit(-0.65 + 0.55 * z + 0.1 * (size - 4.3))
    grade = _by_rank(0.6 * z + rng.standard_normal(total), GRADE_SHARE)
    bclc = np.where(
        (tumour_number == 1) & (size <= 2.0),
        "0",
        np.where((tumour_number == 1) | ((tumour_number <= 3) & (size <= 3.0)), "A", "B"),
    )
    return dict(
        centre=centre,
        age=age,
        sex=sex,
        etiology=etiology,
        hbv_dna=hbv_dna,
        afp=afp,
        alt=alt,
        ast=ast,
        ggt=ggt,
        neutrophil=neutrophil,
        size=size,
        tumour_number=tumour_number,
        mvi=mvi,
        grade=grade,
        bclc=bclc,
    )


def _risk(n: int, v: dict, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The true model (TRUTH), its intercept set for the included patients' EVENT_RATE: the
    intercept, each patient's linear predictor and risk."""
    terms = {
        "mvi": v["mvi"].astype(float),
        "tumour_number": v["tumour_number"] - 1.0,
        "image_risk": z,
        "log2_ast_40": np.log2(v["ast"] / 40.0),
        "neutrophil_3.5": v["neutrophil"] - 3.5,
    }
    eta0 = sum(TRUTH[k] * terms[k] for k in TRUTH)
    intercept = brentq(lambda b: expit(b + eta0[:n]).mean() - EVENT_RATE, -20, 20)
    eta = intercept + eta0
    return intercept, eta, expit(eta)


def _follow_up(risk: np.ndarray, rng: np.random.Generator):
    """Early recurrence drawn from ``risk``, months to recurrence or censoring, recurrence."""
    total = len(risk)
    event = (rng.random(total) < risk).astype(int)
    early = rng.beta(1.3, 1.9, total) * 23.5 + 0.5
    late = rng.random(total) < 0.35
    follow = np.where(late, 24 + rng.gamma(2.0, 9.0, total), rng.uniform(24.5, 96, total))
    months = np.where(event == 1, early, follow).round(1)
    # survival truth (SURVIVAL_TRUTH): the early recurrences, then the "late" patients without
    # one recur after 24 months; the others are censored. Early recurrence = recurred by 24.
    months = np.where((event == 0) & (months <= 24.0), 24.1, months)
    recurred = ((event == 1) | late).astype(int)
    return event, months, recurred


def _exclude_and_blank(frame: pd.DataFrame, n: int, n_excluded: int, rng) -> None:
    """The excluded patients' reasons (no outcome without follow-up), and a few percent of
    lab cells missing, at random."""
    frame["exclusion_reason"] = ""
    if n_excluded:
        frame.loc[n:, "exclusion_reason"] = rng.choice(list(EXCLUSION_REASONS), size=n_excluded)
        no_follow = (frame["exclusion_reason"] == EXCLUSION_REASONS[2]).to_numpy()
        frame["early_recurrence"] = frame["early_recurrence"].astype(object)
        frame["recurred"] = frame["recurred"].astype(object)
        frame.loc[no_follow, ["early_recurrence", "months_to_recurrence", "recurred"]] = None
    for col in LAB_COLUMNS:
        gone = rng.random(len(frame)) < MISSING_RATE
        frame[col] = frame[col].astype(object)
        frame.loc[gone, col] = None


def _truth(intercept: float) -> dict:
    return {
        "description": "logit P(early_recurrence = 1) = intercept + sum(coefficients[t] * term t)",
        "terms": {
            "mvi": "1 if mvi == 'present' else 0",
            "tumour_number": "tumour_number - 1",
            "image_risk": "latent image risk (truth.csv), standard normal; shapes the tumours in the images",
            "log2_ast_40": "log2(ast / 40), ast in U/L (before cells were blanked as missing)",
            "neutrophil_3.5": "neutrophil - 3.5, in 10^9/L (before cells were blanked as missing)",
        },
        "intercept": float(intercept),
        "coefficients": dict(TRUTH),
        "event_rate_target": EVENT_RATE,
        "survival": dict(SURVIVAL_TRUTH),
    }
