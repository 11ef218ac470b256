"""Qualitative MR features read by three readers (reader R1 twice), with realistic disagreement.

Each feature has a true value per patient (tied to the latent image risk and the tumour
size, and drawn into the images); a reading is the truth, or with a feature-specific
probability a misreading (the neighbouring level for ordered features, a draw from the
marginal otherwise). Error rates are chosen so that inter-reader Fleiss kappa lies near the
study's (tumour size 0.97, AP enhancement 0.84, the others 0.72-0.79) and intra-reader
Cohen kappa above 0.8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["FEATURES", "true_features", "make_readings"]

# name -> (levels, label, inter-reader misreading probability)
FEATURES = {
    "mr_tumour_size": (["<=5 cm", ">5 cm"], "Tumour size on MRI", 0.025),
    "ap_enhancement": ([1, 2, 3, 4, 5], "AP enhancement type", 0.06),
    "capsule": (["absent", "incomplete", "complete"], "Capsule", 0.07),
    "hypodense_halo": (["absent", "present"], "Hypodense halo", 0.055),
    "necrosis": (["absent", "present"], "Intratumoral necrosis", 0.055),
    "satellite_nodules": (["absent", "present"], "Satellite nodules", 0.045),
    "peritumoral_hypointensity": (["absent", "present"], "Peritumoral hypointensity on HBP", 0.05),
}
INTRA_REREAD = 0.3  # share of R1's second-session readings made afresh


def _ordinal(score: np.ndarray, cuts: list[float]) -> np.ndarray:
    return np.searchsorted(np.array(cuts), score)


def true_features(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """True level index (0-based) of each feature per patient."""
    n = len(frame)
    z = frame["_image_risk"].to_numpy()
    size = frame["tumour_size"].to_numpy(dtype=float)
    e = lambda: rng.standard_normal(n)  # noqa: E731
    return pd.DataFrame(
        {
            "mr_tumour_size": (size > 5.0).astype(int),
            "ap_enhancement": _ordinal(0.8 * z + 0.6 * e(), [-1.1, -0.3, 0.35, 1.1]),
            "capsule": _ordinal(-0.5 * z + 0.9 * e(), [-0.7, 0.3]),
            "hypodense_halo": (rng.random(n) < expit(-1.2 + 1.0 * z)).astype(int),
            "necrosis": (rng.random(n) < expit(-1.0 + 0.7 * z + 0.25 * (size - 4.3))).astype(int),
            "satellite_nodules": (rng.random(n) < expit(-1.8 + 0.9 * z)).astype(int),
            "peritumoral_hypointensity": (rng.random(n) < expit(-1.3 + 1.0 * z)).astype(int),
        },
        index=frame.index,
    )


def _read(truth: np.ndarray, k: int, p_err: float, rng, size: np.ndarray | None) -> np.ndarray:
    if (
        size is not None
    ):  # a measurement: a relative error (the feature's rate) in the diameter, then the 5 cm cut
        return (size * (1 + p_err * rng.standard_normal(len(size))) > 5.0).astype(int)
    wrong = rng.random(len(truth)) < p_err
    if k > 2:
        step = np.where(rng.random(len(truth)) < 0.5, -1, 1)
        step = np.where(truth + step < 0, 1, np.where(truth + step >= k, -1, step))
        other = truth + step
    else:
        other = 1 - truth
    return np.where(wrong, other, truth)


def make_readings(
    frame: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Long table: patient_id, reader, session, the seven features (as written to readers.csv)."""
    size = frame["tumour_size"].to_numpy(dtype=float)
    reads = {}
    for reader in ("R1", "R2", "R3"):
        reads[(reader, 1)] = {
            f: _read(truth[f].to_numpy(), len(lv), p, rng, size if f == "mr_tumour_size" else None)
            for f, (lv, _, p) in FEATURES.items()
        }
    again = {}
    for f, (lv, _, p) in FEATURES.items():
        fresh = _read(truth[f].to_numpy(), len(lv), p, rng, size if f == "mr_tumour_size" else None)
        keep = rng.random(len(frame)) >= INTRA_REREAD
        again[f] = np.where(keep, reads[("R1", 1)][f], fresh)
    reads[("R1", 2)] = again
    parts = []
    for (reader, session), values in reads.items():
        part = pd.DataFrame(
            {"patient_id": frame["patient_id"].to_numpy(), "reader": reader, "session": session}
        )
        for f, (levels, _, _) in FEATURES.items():
            part[f] = np.array(levels, dtype=object)[values[f]]
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    order = {("R1", 1): 0, ("R1", 2): 1, ("R2", 1): 2, ("R3", 1): 3}
    long["_o"] = [order[k] for k in zip(long["reader"], long["session"])]
    pos = {pid: i for i, pid in enumerate(frame["patient_id"])}
    long["_p"] = long["patient_id"].map(pos)
    return (
        long.sort_values(["_p", "_o"], kind="stable")
        .drop(columns=["_o", "_p"])
        .reset_index(drop=True)
    )
