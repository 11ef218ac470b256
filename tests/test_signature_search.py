"""signature_search: leakage, recovery of known signal, determinism, bad input, fusion."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _dask import local_cluster
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

from hccstats import HccstatsWarning, InputError
from hccstats.signature import (
    PhaseSignature,
    PhaseSkipped,
    SignatureSearch,
    fuse_signatures,
    make_classifier,
    make_pipeline,
    signature_search,
)
from hccstats.signature._cv import outer_fold

ALL_CLASSIFIERS = ("rf", "svm", "lasso", "adaboost", "gp")


def _cohort(n=195, p=1472, events=54, informative=(), shift=1.5, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    y = pd.Series(np.r_[np.ones(events, int), np.zeros(n - events, int)], index=ids, name="er")
    X = rng.normal(size=(n, p))
    for j in informative:
        X[:, j] += shift * y.to_numpy()
    return pd.DataFrame(X, index=ids, columns=[f"f{j}" for j in range(p)]), y


# ------------------------------------------------------------------ the leak, avoided
@pytest.mark.slow  # ~5 s of CPU, 20-30 s on the shared 2-core machine
def test_noise_cv_auc_near_half_while_preselection_on_all_data_is_inflated():
    X, y = _cohort(seed=2023)  # 195 patients x 1472 pure-noise features
    res = signature_search(X, y, preset="fast", seed=2023)
    assert len(res.table) == 15 and (res.table["n_folds"] == 5).all()
    # Null band: one 5-fold CV AUC has SE ~0.047 under the null (per fold 11 vs 28
    # patients: sqrt(40 / (12 * 11 * 28)) = 0.104, / sqrt(5)); 0.16 is ~3.4 SE, wide
    # enough for the maximum over 15 strongly correlated combinations.
    assert res.table["mean_auc"].between(0.34, 0.66).all(), res.table
    assert abs(res.table["mean_auc"].mean() - 0.5) < 0.1
    # The study's way: filter, prune and select once on all patients, then cross-validate
    # only the classifier. The same noise then looks predictive.
    pre = make_pipeline("anova", "gp", 10, seed=2023)[:4].fit(X, y)
    Xsel = pre.transform(X)
    cv = StratifiedKFold(5, shuffle=True, random_state=2023)
    leaky = [
        cross_val_score(make_classifier(c, 2023), Xsel, y, cv=cv, scoring="roc_auc").mean()
        for c in ALL_CLASSIFIERS
    ]
    assert min(leaky) > 0.66 and np.mean(leaky) > 0.72, leaky  # above the null band
    assert np.mean(leaky) - res.table["mean_auc"].mean() > 0.2


# ------------------------------------------------------------------ known signal
@pytest.mark.slow  # ~4 s of CPU, ~20 s on the shared 2-core machine
def test_known_informative_features_recovered_with_high_auc():
    informative = [3, 50, 120, 200, 260]
    X, y = _cohort(p=300, informative=informative, seed=7)
    res = signature_search(X, y, classifiers=("lasso", "gp"), preset="fast", k_grid=(5, 10), seed=7)
    assert isinstance(res, SignatureSearch) and list(res.phases) == ["features"]
    res = res["features"]
    assert res.table["mean_auc"].min() > 0.8
    assert res.table["mean_auc"].max() > 0.9
    assert {f"f{j}" for j in informative} <= set(res.selected_features)
    assert roc_auc_score(y, res.oof_predictions) > 0.88
    assert (res.oof_predictions.index == y.index).all()


# ------------------------------------------------------------------ determinism
@pytest.mark.slow  # ~3 s of CPU; starting the joblib workers takes the rest
def test_same_table_whatever_n_jobs():
    X, y = _cohort(n=100, p=100, events=35, informative=[0, 1, 2], shift=1.0, seed=3)
    # the seeded classifiers (RF, calibrated SVM) and two phases over 2 x 5 folds
    kw = dict(
        selectors=("relief",),
        classifiers=("rf", "svm"),
        preset="fast",
        k_grid=(5,),
        n_repeats=2,
        seed=11,
    )
    one = signature_search({"AP": X, "HBP": X.iloc[:, ::-1]}, y, n_jobs=1, **kw)
    two = signature_search({"AP": X, "HBP": X.iloc[:, ::-1]}, y, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)
    pd.testing.assert_frame_equal(one.fold_table, two.fold_table, check_exact=True)
    pd.testing.assert_frame_equal(one.oof_predictions, two.oof_predictions, check_exact=True)
    assert one.selected_features == two.selected_features
    assert (one.table["n_folds"] == 10).all()


def test_fold_auc_bit_identical_to_sklearn_roc_auc_score():
    from hccstats.signature._cv import fold_auc

    rng = np.random.default_rng(8)
    for trial in range(400):
        n = int(rng.integers(4, 80))
        y = (rng.uniform(size=n) < rng.uniform(0.1, 0.9)).astype(int)
        y[:2] = [0, 1]
        p = rng.uniform(size=n)
        if trial % 3 == 1:
            p = np.round(p, 1)  # many tied scores
        elif trial % 3 == 2:
            p[n // 2 :] = 0.25  # one large tie
        assert fold_auc(y, p) == roc_auc_score(y, p), (trial, y, p)


def test_shared_fold_work_equals_the_full_pipeline():
    X, y = _cohort(n=100, p=120, events=35, informative=[0, 5], shift=1.0, seed=4)
    Xa, ya = X.to_numpy(), y.to_numpy()
    tr, te = next(StratifiedKFold(5, shuffle=True, random_state=0).split(Xa, ya))
    out = outer_fold(
        Xa,
        ya,
        tr,
        te,
        selectors=("anova", "rfe", "relief"),
        classifiers=ALL_CLASSIFIERS,
        k_grid=(7,),
        inner_splits=3,
        seed=5,
        fold_seed=9,
        alpha=0.05,
        threshold=0.9,
    )
    for (s, c), (p, k, _) in out.items():
        pipe = make_pipeline(s, c, k, seed=5).fit(Xa[tr], ya[tr])
        np.testing.assert_array_equal(p, pipe.predict_proba(Xa[te])[:, 1])


def test_inner_folds_as_separate_tasks_tune_k_as_one_fold():
    from hccstats.signature._cv import best_k, inner_fold_scores, inner_splits_of, tune_k

    X, y = _cohort(n=90, p=80, events=30, informative=[0, 3], shift=1.0, seed=6)
    Xa, ya = X.to_numpy(), y.to_numpy()
    tr, _ = next(StratifiedKFold(5, shuffle=True, random_state=1).split(Xa, ya))
    kw = dict(selectors=("anova", "relief"), classifiers=("lasso", "rf"), k_grid=(2, 5, 12))
    folds = [
        inner_fold_scores(Xa, ya, tr[a], tr[b], seed=11, alpha=0.05, threshold=0.9, **kw)
        for a, b in inner_splits_of(ya[tr], 3, 11)
    ]
    assert len(folds) == 3 and len(folds[0]) == 2 * 2 * 3
    whole = tune_k(Xa[tr], ya[tr], **kw, inner_splits=3, seed=11, alpha=0.05, threshold=0.9)
    assert best_k(folds, kw["selectors"], kw["classifiers"], kw["k_grid"]) == whole


def test_pipeline_is_a_clonable_sklearn_estimator():
    pipe = make_pipeline("relief", "gp", 5, seed=1)
    twin = clone(pipe)
    assert twin.get_params()["select__k"] == 5
    assert "kernel" in twin.named_steps["classify"].get_params()


# ------------------------------------------------------------------ bad input
def test_nan_and_inf_features_raise_naming_column_and_patient():
    X, y = _cohort(n=60, p=10, events=20)
    X.loc["P007", "f3"] = np.nan
    with pytest.raises(InputError, match=r"f3.*P007"):
        signature_search(X, y, preset="fast")
    X.loc["P007", "f3"] = np.inf
    with pytest.raises(InputError, match=r"f3.*P007"):
        signature_search(X, y, preset="fast")


def test_patients_differing_from_clinical_table_are_listed():
    X, y = _cohort(n=60, p=10, events=20)
    X2 = X.rename(index={"P001": "X999"})
    with pytest.raises(InputError, match=r"X999.*P001"):
        signature_search({"AP": X2}, y, preset="fast")


def test_outcome_aligned_by_patient_id():
    X, y = _cohort(n=80, p=40, events=30, informative=[1], shift=2.0, seed=2)
    a = signature_search(X, y, classifiers=("lasso",), selectors=("anova",), preset="fast")
    b = signature_search(
        X,
        y.sample(frac=1, random_state=1),
        classifiers=("lasso",),
        selectors=("anova",),
        preset="fast",
    )
    pd.testing.assert_frame_equal(a.table, b.table)


def test_constant_features_dropped_with_a_note():
    X, y = _cohort(n=80, p=30, events=30, informative=[1], shift=2.0)
    X["f5"] = 1.0
    with pytest.warns(HccstatsWarning, match="f5"):
        res = signature_search(X, y, selectors=("anova",), classifiers=("lasso",), preset="fast")
    res = res["features"]
    assert "f5" not in res.feature_names and any("f5" in n for n in res.notes)


def test_fewer_events_than_folds_raise():
    X, y = _cohort(n=60, p=10, events=4)
    with pytest.raises(InputError, match="only 4 events"):
        signature_search(X, y, preset="fast")


def test_no_feature_passing_the_filter_skips_the_phase():
    X, y = _cohort(n=60, p=5, events=20, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = signature_search(X, y, alpha=1e-12, preset="fast")
    assert list(search.skipped) == ["features"] and search.table.empty
    res = search["features"]
    assert isinstance(res, PhaseSkipped) and res.skipped
    assert repr(res).startswith("phase features skipped: no feature passed the Spearman")
    assert res.table.empty
    Xs, _ = _cohort(n=60, p=30, events=20, informative=[0], shift=2.5, seed=1)
    with pytest.warns(HccstatsWarning, match="AP skipped"):
        multi = signature_search(
            {"AP": X * 0 + np.arange(60)[::-1, None] % 7, "HBP": Xs},
            y,
            alpha=1e-6,
            selectors=("anova",),
            classifiers=("lasso",),
            preset="fast",
        )
    assert list(multi.skipped) == ["AP"] and list(multi.best) == ["HBP"]
    assert set(multi.table["phase"]) == {"HBP"}


def test_unknown_names_raise():
    X, y = _cohort(n=60, p=10, events=20)
    with pytest.raises(InputError, match="selectors"):
        signature_search(X, y, selectors=("lasso",))
    with pytest.raises(InputError, match="classifiers"):
        signature_search(X, y, classifiers=("xgboost",))
    with pytest.raises(InputError, match="preset"):
        signature_search(X, y, preset="quick")


# ------------------------------------------------------------------ signatures, fusion, predict
@pytest.fixture(scope="module")
def three_phases():
    Xs, ys = {}, None
    for i, ph in enumerate(["AP", "PVP", "HBP"]):
        X, ys = _cohort(n=150, p=80, events=45, informative=[i, 10 + i], shift=1.0, seed=20 + i)
        Xs[ph] = X
    res = signature_search(
        Xs, ys, selectors=("anova",), classifiers=("lasso", "gp"), preset="fast", seed=1
    )
    return Xs, ys, res


def test_multiphase_result_api(three_phases):
    Xs, y, res = three_phases
    assert isinstance(res, SignatureSearch) and isinstance(res["AP"], PhaseSignature)
    assert list(res.table.columns[:6]) == [
        "phase",
        "selector",
        "classifier",
        "mean_auc",
        "sd_auc",
        "n_folds",
    ]
    assert list(res.oof_predictions.columns) == ["AP", "PVP", "HBP"]
    app = res.signature("apparent")
    assert app.shape == (150, 3) and not np.allclose(app.to_numpy(), res.oof_predictions)
    # the validation set: columns in another order give the same signature
    Xv, _ = _cohort(n=30, p=80, events=10, seed=99)
    shuffled = {ph: Xv[Xv.columns[::-1]] for ph in Xs}
    pd.testing.assert_frame_equal(res.predict({ph: Xv for ph in Xs}), res.predict(shuffled))
    with pytest.raises(InputError, match="missing feature"):
        res["AP"].predict(Xv.drop(columns=res["AP"].selected_features[0]))


def test_stacked_fusion_is_out_of_fold_and_beats_single_phases(three_phases):
    Xs, y, res = three_phases
    mp = fuse_signatures(res)
    assert (mp.coef[["AP", "PVP", "HBP"]] > 0).all()
    auc_mp = roc_auc_score(y, mp.oof_predictions)
    assert auc_mp > max(roc_auc_score(y, res.oof_predictions[p]) for p in Xs)
    # the out-of-fold fused signature differs from the apparent one
    assert not np.allclose(mp.oof_predictions, mp.apparent_predictions)
    Xv, _ = _cohort(n=30, p=80, events=10, seed=98)
    assert mp.predict({ph: Xv for ph in Xs}).shape == (30,)


def test_union_fusion_reselects_inside_folds(three_phases):
    Xs, y, res = three_phases
    mu = fuse_signatures(res, method="union", X=Xs, classifier="lasso")
    assert all(f.split(":")[0] in Xs for f in mu.features)
    assert roc_auc_score(y, mu.oof_predictions) > 0.75
    Xv, _ = _cohort(n=30, p=80, events=10, seed=97)
    pv = mu.predict({ph: Xv for ph in Xs})
    assert pv.shape == (30,) and pv.between(0, 1).all()
    with pytest.raises(InputError, match="union"):
        fuse_signatures(res, method="union")


@pytest.mark.slow  # a local Dask cluster starts in seconds; the two searches ~10 s of CPU
def test_same_tables_on_a_dask_cluster_as_in_one_process():
    X, y = _cohort(n=80, p=60, events=30, informative=[0, 1], shift=1.0, seed=5)
    kw = dict(
        selectors=("anova",),
        classifiers=("rf", "lasso"),
        preset="fast",
        k_grid=(3, 6),
        seed=13,
    )
    one = signature_search({"AP": X, "HBP": X.iloc[:, ::-1]}, y, n_jobs=1, **kw)
    with local_cluster() as scheduler:
        dask = signature_search({"AP": X, "HBP": X.iloc[:, ::-1]}, y, scheduler=scheduler, **kw)
    # byte-identical: every task's seed is fixed before it is sent to a worker
    for phase in ("AP", "HBP"):
        a, b = one[phase], dask[phase]
        assert a.table.to_csv() == b.table.to_csv()
        assert a.fold_table.to_csv() == b.fold_table.to_csv()
        assert a.oof_predictions.to_csv() == b.oof_predictions.to_csv()
        assert a.best == b.best and a.best_k == b.best_k
    assert (one.table["n_folds"] == 5).all()


def test_unreachable_scheduler_raises_naming_it(monkeypatch):
    pytest.importorskip("distributed")
    from hccstats.signature import _search

    monkeypatch.setattr(_search, "SCHEDULER_TIMEOUT_S", 1.0)  # nothing listens there: no wait
    X, y = _cohort(n=40, p=10, events=15, informative=[0], shift=1.0, seed=6)
    with pytest.raises(InputError, match="scheduler"):
        signature_search(X, y, preset="fast", scheduler="tcp://127.0.0.1:9")


def test_tasks_shared_with_this_process_come_back_in_order():
    import os

    from hccstats.signature._tasks import run_tasks

    tasks = [(i, 3) for i in range(25)]
    for n_jobs in (1, 2, 3):
        assert run_tasks(pow, tasks, n_jobs, desc="t") == [i**3 for i in range(25)]
    pids = run_tasks(os.getpid, [()] * 12, 2, desc="t")
    assert os.getpid() in pids  # this process takes tasks too
    with pytest.raises(ValueError, match="'x'"):  # raised in this process
        run_tasks(int, [("1",), ("2",), ("x",)], 2, desc="t")
    with pytest.raises(ValueError, match="'y'"):  # raised in a worker
        run_tasks(int, [("y",), ("1",), ("2",)], 2, desc="t")
