"""The search on the demo cohort's extracted deep features finds the images' signal.

hccstats.demo writes tumours whose appearance depends on a latent image risk (truth.csv
``image_risk``); extract turns them into 1472 VGG19 features per phase (seeded random
weights, small ROI, no N4, to stay fast). The honest (out-of-fold) signatures must carry
that signal.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from hccstats.demo import make_study
from hccstats.signature import fuse_signatures, signature_search
from hccstats.study import load

extract = pytest.importorskip("extract")


@pytest.mark.slow  # ~35 s: 120 synthetic patients imaged, features extracted, searched
def test_search_on_demo_extracted_features_finds_image_signal(tmp_path):
    yml = make_study(tmp_path / "demo", n=120, seed=5, images=True)
    extract.run_study(
        yml,
        tmp_path / "demo" / "features",
        random_weights=True,
        seed=0,
        size=64,
        n4=False,
        quiet=True,
    )
    study = load(yml)
    tables, data = study.feature_tables(), study.data
    train = data.index[data["split"] == "training"]
    valid = data.index[data["split"] == "validation"]
    y = data.loc[train, study.outcome]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ReLU channels that are 0 for everyone: dropped
        res = signature_search(
            {p: t.loc[train] for p, t in tables.items()},
            y,
            selectors=("anova", "relief"),
            classifiers=("lasso", "gp"),
            preset="fast",
            seed=1,
        )
    assert set(res.best) == {"AP", "PVP", "HBP"}
    # every phase's best cross-validated AUC well above chance (observed 0.79-0.88)
    assert (res.table.groupby("phase")["mean_auc"].max() > 0.7).all(), res.table
    mp = fuse_signatures(res)
    truth = pd.read_csv(yml.parent / "truth.csv", index_col="patient_id")
    # the fused out-of-fold signature tracks the latent image risk the images were drawn
    # from (observed rho 0.57 on 84 patients)
    rho = spearmanr(mp.oof_predictions, truth.loc[train, "image_risk"]).statistic
    assert rho > 0.4, rho
    # the validation set, touched once: its signature tracks the image risk too (the
    # outcome AUC on 36 patients with ~9 events is too noisy to assert tightly)
    valid_sig = mp.predict({p: t.loc[valid] for p, t in tables.items()})
    rho_v = spearmanr(valid_sig, truth.loc[valid, "image_risk"]).statistic
    auc_v = roc_auc_score(data.loc[valid, study.outcome], valid_sig)
    # observed rho 0.40, AUC 0.63; with n = 36 the SE of rho is ~0.17, hence the margins
    assert rho_v > 0.2 and auc_v > 0.55, (rho, rho_v, auc_v)
