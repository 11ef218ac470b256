"""The search's lean SVM (Platt-calibrated ``SVC``) and RFE fits against scikit-learn's own
estimators, exactly.

Both hand their fits straight to scikit-learn's compiled libsvm / liblinear with the
arguments the estimators would pass, so the comparison has no tolerance
(``np.array_equal`` / ``==``): a differing label code, kernel coefficient, class weight,
fold, seed or sign would show on some of these data sets (ties, constant and duplicated
columns, tiny and unbalanced samples, separable classes, labels other than 0/1).
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_selection import RFE
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import SVC

from hccstats.signature import make_classifier
from hccstats.signature._platt import PlattCalibrated, stratified_test_folds
from hccstats.signature._selectors import RFESelector, lean_l2_logistic


def _case(seed: int):
    """A random small study: n, p, event rate, ties, constant / duplicated / all-zero
    columns, label coding and dtype vary with the seed."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([10, 12, 25, 60, 104, 130, 156]))
    p = int(rng.choice([1, 2, 5, 10, 20, 40]))
    events = max(5, int(n * rng.choice([0.05, 0.28, 0.5])))
    y = np.r_[np.ones(events, int), np.zeros(n - events, int)]
    rng.shuffle(y)
    X = rng.uniform(size=(n, p)) + rng.uniform(0, 1.5) * y[:, None] * (rng.uniform(size=p) < 0.3)
    Xt = rng.uniform(size=(30, p))
    kind = seed % 6
    if kind == 1:  # ties
        X, Xt = np.round(X, 1), np.round(Xt, 1)
    elif kind == 2 and p > 1:  # a constant and a duplicated column
        X[:, 0], X[:, -1] = 0.5, X[:, 1 if p > 2 else 0]
    elif kind == 3:  # all columns constant: var(X) = 0
        X[:] = 1.0
    elif kind == 4:  # integer values, as integers
        X, Xt = np.floor(4 * X).astype(np.int64), np.floor(4 * Xt).astype(np.int64)
    labels = {0: (0, 1), 1: (0, 1), 2: ("none", "event"), 3: (3, -1), 4: (0, 1), 5: (True, False)}
    y = np.asarray(labels[kind], dtype=object if kind == 2 else None)[y]
    return X, y, Xt


def _svm_pair(seed: int):
    lean = make_classifier("svm", seed)
    parent = CalibratedClassifierCV(
        SVC(kernel="rbf", C=1.0, gamma="scale"),
        method="sigmoid",
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        ensemble=False,
    )
    return lean, parent


def _same_fitted_svc(a: SVC, b: SVC) -> None:
    """Every attribute ``SVC.fit`` set, equal in value, dtype and shape."""
    assert sorted(vars(a)) == sorted(vars(b))
    for name, va in vars(a).items():
        vb = vars(b)[name]
        if isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype and np.array_equal(va, vb), name
        else:
            assert type(va) is type(vb) and va == vb, name


# ----------------------------------------------------------------------------- SVM, Platt
@pytest.mark.parametrize("seed", range(36))
def test_platt_svm_bit_identical_to_calibrated_svc(seed):
    X, y, Xt = _case(seed)
    lean, parent = _svm_pair(seed)
    assert lean._lean(X, y, None, {})
    config = dict(assume_finite=True, skip_parameter_validation=True) if seed % 2 else {}
    states = []
    with sklearn.config_context(**config):
        for model in (lean, parent):
            np.random.seed(seed)  # SVC draws its libsvm seed from the global random state
            model.fit(X, y)
            states.append(np.random.get_state()[1].copy())
        assert np.array_equal(*states)
        assert sorted(vars(lean)) == sorted(vars(parent))
        assert lean.classes_.dtype == parent.classes_.dtype
        assert np.array_equal(lean.classes_, parent.classes_)
        assert lean.n_features_in_ == parent.n_features_in_
        (a,), (b,) = lean.calibrated_classifiers_, parent.calibrated_classifiers_
        assert sorted(vars(a)) == sorted(vars(b)) and np.array_equal(a.classes, b.classes)
        assert (a.calibrators[0].a_, a.calibrators[0].b_) == (
            b.calibrators[0].a_,
            b.calibrators[0].b_,
        )
        _same_fitted_svc(a.estimator, b.estimator)
        for Z in (X, Xt):
            assert lean._lean_model(Z) is not None
            assert np.array_equal(lean.predict_proba(Z), parent.predict_proba(Z))
            assert np.array_equal(lean.predict(Z), parent.predict(Z))


def test_platt_svm_pickles_and_predicts_the_same():
    X, y, Xt = _case(7)
    lean = make_classifier("svm", 7).fit(X, y)
    again = pickle.loads(pickle.dumps(lean))
    assert np.array_equal(again.predict_proba(Xt), lean.predict_proba(Xt))


def test_platt_svm_other_inputs_and_settings_use_sklearn():
    X, y, Xt = _case(4)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    # not a lean SVC: weighted classes, a fixed seed, another estimator, another splitter
    assert not PlattCalibrated(SVC(class_weight="balanced"), cv=cv, ensemble=False)._lean(
        X, y, None, {}
    )
    assert not PlattCalibrated(SVC(random_state=1), cv=cv, ensemble=False)._lean(X, y, None, {})
    assert not PlattCalibrated(LogisticRegression(), cv=cv, ensemble=False)._lean(X, y, None, {})
    assert not PlattCalibrated(SVC(), cv=KFold(5), ensemble=False)._lean(X, y, None, {})
    # a data frame, float labels: the parent's fit, the same numbers
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    lean, parent = _svm_pair(4)
    assert not lean._lean(frame, y, None, {})
    lean.fit(frame, y.astype(float))
    parent.fit(frame, y.astype(float))
    assert np.array_equal(lean.predict_proba(frame), parent.predict_proba(frame))
    assert lean._lean_model(X) is None  # scikit-learn's feature-name checks stay
    # non-finite values are refused as scikit-learn refuses them
    bad = X.astype(float)
    bad[0, 0] = np.nan
    for model in _svm_pair(4):
        with pytest.raises(ValueError, match="NaN"):
            model.fit(bad, y)
    lean = make_classifier("svm", 4).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        lean.predict_proba(np.where(Xt > 2, np.nan, np.nan))
    with pytest.raises(ValueError, match="features"):
        lean.predict_proba(np.c_[Xt, Xt])


@pytest.mark.parametrize("seed", range(40))
def test_stratified_test_folds_as_sklearn_splits(seed):
    rng = np.random.default_rng(seed)
    n_splits = int(rng.integers(2, 6))
    n_classes = int(rng.integers(2, 5))
    y = np.r_[np.repeat(np.arange(n_classes), n_splits), rng.integers(0, n_classes, 60)]
    y = rng.permutation(np.asarray(["b", "a", "d", "c"])[y] if seed % 3 == 0 else 7 - y)
    random_state = (None, seed, np.random.RandomState(seed))[seed % 3]
    shuffle = seed % 4 != 0
    cv = StratifiedKFold(n_splits, shuffle=shuffle, random_state=random_state if shuffle else None)
    twin = StratifiedKFold(
        n_splits, shuffle=shuffle, random_state=pickle.loads(pickle.dumps(cv)).random_state
    )
    np.random.seed(seed)
    folds = stratified_test_folds(cv, y)
    state = np.random.get_state()[1].copy()
    np.random.seed(seed)
    splits = list(twin.split(np.zeros((len(y), 1)), y))
    assert np.array_equal(np.random.get_state()[1], state)
    for i, (train, test) in enumerate(splits):
        assert np.array_equal(np.flatnonzero(folds == i), test)
        assert np.array_equal(np.flatnonzero(folds != i), train)


# ------------------------------------------------------------------------------------ RFE
def _reference_ranking(X, y, C=1.0, fine_below=50):
    """RFESelector's elimination with scikit-learn's LogisticRegression for every step."""
    model = LogisticRegression(C=C, solver="liblinear", max_iter=1000)
    remaining, eliminated = np.arange(X.shape[1]), []
    while len(remaining) > 1:
        coef = np.abs(model.fit(X[:, remaining], y).coef_.ravel())
        n = len(remaining)
        worst = np.argsort(coef, kind="stable")[: 1 if n <= fine_below else max(1, int(0.1 * n))]
        eliminated.extend(remaining[worst].tolist())
        remaining = np.delete(remaining, worst)
    ranking = np.empty(X.shape[1], dtype=np.int64)
    ranking[remaining.tolist() + eliminated[::-1]] = np.arange(1, X.shape[1] + 1)
    return ranking


def _rfe_case(seed: int):
    X, y, _ = _case(seed)
    rng = np.random.default_rng(seed + 1000)
    extra = int(rng.choice([0, 30, 80]))
    X = np.c_[X, rng.uniform(size=(len(y), extra)) + 0.3 * (y == y[0])[:, None] * rng.uniform()]
    return X.astype(float), y


@pytest.mark.parametrize("seed", range(24))
def test_lean_logistic_coefficients_equal_liblinear_logistic_regression(seed):
    X, y = _rfe_case(seed)
    C = (1.0, 1, 0.05, 30.0)[seed % 4]
    coef = lean_l2_logistic(X, y, C)
    rng = np.random.default_rng(seed)
    for cols in (np.arange(X.shape[1]), rng.permutation(X.shape[1])[: max(1, X.shape[1] // 3)]):
        Xr = X[:, cols]
        with warnings.catch_warnings(record=True) as ref_warnings:
            warnings.simplefilter("always")
            ref = LogisticRegression(C=C, solver="liblinear", max_iter=1000).fit(Xr, y)
        with warnings.catch_warnings(record=True) as lean_warnings:
            warnings.simplefilter("always")
            got = coef(Xr)
        assert np.array_equal(got, ref.coef_.ravel())
        assert [str(w.message) for w in lean_warnings] == [str(w.message) for w in ref_warnings]


@pytest.mark.parametrize("seed", range(24))
def test_rfe_ranking_equals_sklearn_logistic_elimination(seed):
    X, y = _rfe_case(seed)
    fine_below = (50, 5, 1000)[seed % 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(seed)
        lean = RFESelector(k=3, fine_below=fine_below).fit(X, y).ranking_
        state = np.random.get_state()[1].copy()
        np.random.seed(seed)
        ref = _reference_ranking(X, y, fine_below=fine_below)
        assert np.array_equal(np.random.get_state()[1], state)
    assert np.array_equal(lean, ref)


@pytest.mark.parametrize("seed", range(8))
def test_rfe_ranking_equals_sklearn_rfe_step1(seed):
    rng = np.random.default_rng(seed)
    n, p = (40, 104, 156, 130)[seed % 4], (3, 12, 30, 60)[seed % 4]
    y = (rng.uniform(size=n) < 0.3).astype(int)
    y[:4] = [0, 1, 0, 1]
    X = rng.uniform(size=(n, p)) + 0.4 * y[:, None] * (rng.uniform(size=p) < 0.2)
    ref = RFE(
        LogisticRegression(solver="liblinear", max_iter=1000), n_features_to_select=1, step=1
    ).fit(X, y)
    assert np.array_equal(RFESelector(k=1, fine_below=p).fit(X, y).ranking_, ref.ranking_)


def test_rfe_other_targets_and_penalties_use_sklearn():
    X, y = _rfe_case(9)
    assert X.shape[1] > 2
    assert lean_l2_logistic(X, y, np.inf) is None
    assert lean_l2_logistic(X, y.astype(float) + 0.5 * (y == y[0]), 1.0) is None
    three = np.arange(len(y)) % 3
    assert lean_l2_logistic(X, three, 1.0) is None
    with pytest.raises(ValueError, match="multiclass"):
        RFESelector(k=2).fit(X, three)
    with sklearn.config_context(assume_finite=True):
        bad = X.copy()
        bad[0, 0] = np.inf
        assert lean_l2_logistic(bad, y, 1.0) is None
