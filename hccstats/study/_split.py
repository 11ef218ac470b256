"""Training/validation split (stratified random 7:3 with a seed, or a given column) and the patient flow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._random import generator

__all__ = ["random_split", "flow_table"]


def random_split(strata: pd.DataFrame, ratio: float, seed: int) -> pd.Series:
    """'training'/'validation' per row; within each stratum a seeded shuffle.

    The number of training patients is ``floor(ratio * n + 0.5)``, shared among the strata
    by largest remainder (ties broken by the stratum's order), so every stratum keeps its
    share and the total is fixed. ``strata`` holds one column per stratification factor
    (no columns: a simple random split). Depends only on the row order, the values and the seed.
    """
    n = len(strata)
    rng = generator(seed, "the random split")
    n_train = int(np.floor(ratio * n + 0.5))
    if strata.shape[1]:
        text = strata.astype(str)
        columns = (text.iloc[:, j].tolist() for j in range(text.shape[1]))
        keys = np.array(["\x1f".join(row) for row in zip(*columns)], dtype=object)
    else:
        keys = np.zeros(n, dtype=str)
    groups = sorted(set(keys.tolist()))
    members = [np.flatnonzero(keys == g) for g in groups]
    exact = np.array([len(m) * ratio for m in members]) if groups else np.zeros(0)
    take = np.floor(exact).astype(int)
    rest = n_train - int(take.sum())
    order = np.argsort(-(exact - take), kind="stable")
    take[order[:rest]] += 1
    out = np.full(n, "validation", dtype=object)
    for idx, k in zip(members, take):
        chosen = idx[rng.permutation(len(idx))[:k]]
        out[chosen] = "training"
    return pd.Series(out, index=strata.index, name="split")


def flow_table(centers: pd.Series, reasons: pd.Series, split: pd.Series | None) -> pd.DataFrame:
    """Patient flow: screened, excluded (by reason), included, training/validation; per centre and 'All'.

    ``centers`` and ``reasons`` cover every screened patient (reason NaN = included);
    ``split`` covers the included ones.
    """
    rows: list[dict] = []
    center_names = [str(c) for c in pd.unique(centers.dropna())]
    scopes = [("All", np.ones(len(centers), dtype=bool))]
    if len(center_names) > 1 or (center_names and center_names != ["All"]):
        scopes += [(c, (centers.astype(str) == c).to_numpy()) for c in sorted(center_names)]
    included = reasons.isna().to_numpy()
    reason_names = sorted(reasons.dropna().unique().tolist())
    for name, mask in scopes:
        rows.append({"step": "screened", "center": name, "n": int(mask.sum()), "reason": ""})
        for r in reason_names:
            k = int((mask & (reasons == r).to_numpy()).sum())
            rows.append({"step": "excluded", "center": name, "n": k, "reason": r})
        rows.append(
            {"step": "included", "center": name, "n": int((mask & included).sum()), "reason": ""}
        )
        if split is not None:
            sub = split.reindex(centers.index[mask & included])
            for part in ("training", "validation"):
                rows.append(
                    {"step": part, "center": name, "n": int((sub == part).sum()), "reason": ""}
                )
    return pd.DataFrame(rows, columns=["step", "center", "n", "reason"])
