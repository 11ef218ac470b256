"""The search's lean random forest, boosted stumps and Gaussian process against
scikit-learn's estimators.

The lean ``fit`` grows each tree with the compiled port of scikit-learn's tree builder
(``hccstats.signature._cart``; scikit-learn's own builder where numba is missing) from the
inputs the parent estimator would give it, so the comparison is exact (``np.array_equal``,
no tolerance): any difference in a seed, a bootstrap count, a label code, a tie broken
otherwise or a summation order would show as a differing node or probability on some of
these data sets. The reference numbers all come from scikit-learn, computed in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from hccstats.signature import _cart
from hccstats.signature._ensembles import AdaBoostStumps, RandomForest

PAIRS = {
    "rf": (RandomForest, RandomForestClassifier, dict(n_estimators=100, max_features="sqrt")),
    "adaboost": (AdaBoostStumps, AdaBoostClassifier, dict(n_estimators=50, learning_rate=1.0)),
}


def _data(seed: int, n: int, p: int, *, ties: bool, shift: float = 0.7):
    """Search-sized data: 28 % events, one informative column; ``ties`` rounds the values
    so that many splits tie (the random feature order then decides between them)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (rng.uniform(size=n) < 0.28).astype(int)
    X[:, 0] += shift * y
    Xt = rng.normal(size=(40, p))
    if ties:
        X, Xt = np.round(X, 1), np.round(Xt, 1)
    return X, y, Xt


def _varied(seed: int):
    """Data of every awkward kind, chosen by ``seed``: tiny to search-sized n, 1 to 40
    features, events from rare to common; columns continuous, rounded (ties), integer,
    constant, constant within a node (zero wherever column 0 is negative), or with values
    closer than the splitter's tie threshold (1e-7); some rows duplicated."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([int(rng.integers(2, 13)), int(rng.integers(13, 100)), 130, 156]))
    p = int(rng.integers(1, 41))
    X = rng.normal(size=(n, p))
    for j in range(p):
        kind = rng.integers(0, 7)
        if kind == 1:
            X[:, j] = np.round(X[:, j], 1)
        elif kind == 2:
            X[:, j] = rng.integers(0, 4, n)
        elif kind == 3:
            X[:, j] = 2.5
        elif kind == 4:
            X[:, j] = np.where(X[:, 0] < 0, 0.0, X[:, j])
        elif kind == 5:
            X[:, j] = 1e-3 + rng.integers(0, 3, n) * 4e-8
    if n > 4 and rng.uniform() < 0.4:
        rows = rng.integers(0, n, n // 3)
        X[rng.integers(0, n, n // 3)] = X[rows]
    y = (rng.uniform(size=n) < rng.uniform(0.05, 0.5)).astype(int)
    y[rng.choice(n, 2, replace=False)] = [0, 1]  # both classes
    if rng.uniform() < 0.3:
        X = np.round(X)  # integer-valued data
    return X, y


def _tree_arrays(tree):
    """scikit-learn's node arrays of a fitted tree, missing_go_to_left on split nodes only
    (scikit-learn leaves it unset on leaves)."""
    t = tree.tree_
    split = t.children_left >= 0
    return (
        t.feature,
        t.threshold,
        t.impurity,
        t.n_node_samples,
        t.weighted_n_node_samples,
        t.children_left,
        t.children_right,
        t.missing_go_to_left[split],
        t.value[:, 0, :],
        t.max_depth,
    )


def _compiled_tree(X, y, weight, seed, n_split, depth):
    """One tree of ``_cart.fit_trees``: its node arrays laid out as ``_tree_arrays``, then
    its probabilities for ``X``."""
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    state = np.random.RandomState(seed).randint(0, 2147483647)
    nodes, offsets, depths = _cart.fit_trees(
        X32,
        np.unique(y, return_inverse=True)[1].astype(np.int64),
        _cart.presort(X32),
        np.asarray(weight, dtype=np.float64)[None, :],
        np.array([state]),
        n_split,
        depth,
    )
    assert offsets[1] == len(nodes[0])
    split = nodes[5] >= 0
    proba = _cart.forest_proba(X32, nodes[0], nodes[1], nodes[5], nodes[6], nodes[8], offsets)
    return (*nodes[:7], nodes[7][split].astype(bool), nodes[8], depths[0], proba)


@pytest.mark.parametrize(
    "regime", ["bootstrap counts, sqrt", "real weights, stump", "real weights, sqrt"]
)
@pytest.mark.parametrize("block", range(4))
def test_compiled_tree_against_sklearn_tree_node_for_node(regime, block):
    # the forest's trees (integer weights, zeros left out), AdaBoost's stumps (real
    # weights) and deep trees on real weights (every node's sort as scikit-learn's)
    for seed in range(100 * block, 100 * block + 100):
        X, y = _varied(seed)
        n, p = X.shape
        rng = np.random.default_rng(seed)
        if regime.startswith("bootstrap"):
            weight = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        else:
            weight = rng.uniform(0.01, 1.0, n) * rng.choice([1.0, 1e-3], n)
        depth, max_features = (1, None) if regime.endswith("stump") else (None, "sqrt")
        ref = DecisionTreeClassifier(max_depth=depth, max_features=max_features, random_state=seed)
        ref.fit(X, y, sample_weight=weight)
        got = _compiled_tree(X, y, weight, seed, ref.max_features_, depth or 2**31 - 1)
        for a, b in zip(got, (*_tree_arrays(ref), ref.predict_proba(X))):
            assert np.array_equal(a, b), (regime, seed)


def test_compiled_sort_as_sklearn_introsort():
    # the partitioner's three-way introsort: the same order of the samples among ties
    from sklearn.utils._sorting import _py_simultaneous_sort

    rng = np.random.default_rng(0)
    stack = np.empty((2 * 64 + 2, 3), dtype=np.int64)
    for k in range(300):
        n = int(rng.integers(1, 400))
        values = rng.integers(0, rng.integers(1, 50), n).astype(np.float32)
        if k % 3 == 0:
            values = np.sort(values)[:: 1 if k % 2 else -1].copy()  # sorted, reversed
        if k % 5 == 0:
            values = np.concatenate([values[: n // 2], values[: n - n // 2][::-1]])  # organ pipe
        ref_v, ref_i = values.copy(), rng.permutation(n).astype(np.intp)
        got_v, got_i = ref_v.copy(), ref_i.astype(np.int64)
        _py_simultaneous_sort(ref_v, ref_i, n, use_three_way_partition=True)
        _cart._sort(got_v, got_i, 0, n, stack)
        assert np.array_equal(got_v, ref_v) and np.array_equal(got_i, ref_i), k


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_varied_data_against_sklearn_estimator_bit_identical(name):
    for seed in range(20):
        X, y = _varied(1000 + seed)
        lean, parent = _both(name, seed, X, y)
        for Z in (X, np.round(X[::-1] * 1.1, 1)):
            assert np.array_equal(lean.predict_proba(Z), parent.predict_proba(Z)), seed


def test_fitted_trees_readable_as_sklearn_trees_and_picklable():
    # estimators_ are scikit-learn's trees node for node; importances and pickling work
    import pickle

    X, y, Xt = _data(29, 130, 12, ties=True)
    for name in sorted(PAIRS):
        lean, parent = _both(name, 5, X, y)
        copy = pickle.loads(pickle.dumps(lean))
        assert np.array_equal(copy.predict_proba(Xt), parent.predict_proba(Xt))
        assert len(lean.estimators_) == len(parent.estimators_)
        for a, b in zip(lean.estimators_, parent.estimators_):
            for u, v in zip(_tree_arrays(a), _tree_arrays(b)):
                assert np.array_equal(u, v)
            assert np.array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
        assert np.array_equal(lean.feature_importances_, parent.feature_importances_)
        assert np.array_equal(copy.feature_importances_, parent.feature_importances_)
        assert np.array_equal(lean.apply(Xt), parent.apply(Xt)) if name == "rf" else True


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_without_numba_sklearn_builder_gives_the_same(name, monkeypatch):
    # where numba is missing the lean fit hands the trees to scikit-learn's builder
    from hccstats.signature import _ensembles

    monkeypatch.setattr(_ensembles, "HAVE_NUMBA", False)
    X, y, Xt = _data(31, 120, 9, ties=True)
    lean, parent = _both(name, 9, X, y)
    assert "_packed_trees" not in vars(lean)
    assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


def test_forest_with_three_classes_as_sklearn():
    # the compiled trees are two-class trees; three classes take scikit-learn's builder
    X, y, Xt = _data(37, 120, 6, ties=False)
    y = y + (X[:, 1] > 0.5)
    lean, parent = _both("rf", 2, X, y)
    assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


def _both(name, seed, X, y, **extra):
    lean, parent, kw = PAIRS[name]
    kw = {**kw, **extra}
    return lean(random_state=seed, **kw).fit(X, y), parent(random_state=seed, **kw).fit(X, y)


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("case", range(8))
def test_probabilities_against_sklearn_estimator_bit_identical(name, case):
    n, p = (130, 40) if case < 4 else (60 + 17 * case, 1 + 5 * case)
    X, y, Xt = _data(100 + case, n, p, ties=case % 2 == 1)
    lean, parent = _both(name, 7 * case + 1, X, y)
    for Z in (X, Xt):
        assert np.array_equal(lean.predict_proba(Z), parent.predict_proba(Z))
    assert [t.random_state for t in lean.estimators_] == [
        t.random_state for t in parent.estimators_
    ]
    for a, b in zip(lean.estimators_, parent.estimators_):
        assert isinstance(a, DecisionTreeClassifier)
        assert np.array_equal(a.tree_.threshold, b.tree_.threshold)
        assert np.array_equal(a.tree_.feature, b.tree_.feature)
    if name == "adaboost":
        assert np.array_equal(lean.estimator_weights_, parent.estimator_weights_)
        assert np.array_equal(lean.estimator_errors_, parent.estimator_errors_)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_inside_the_search_context_against_sklearn_estimator(name):
    # the search fits with scikit-learn's input checks switched off; same numbers
    X, y, Xt = _data(5, 130, 40, ties=False)
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        lean, parent = _both(name, 2023, X, y)
        assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_labels_and_feature_names_kept_as_sklearn_estimator(name):
    X, y, Xt = _data(9, 90, 6, ties=False)
    cols = [f"f{j}" for j in range(6)]
    labels = np.where(y == 1, "event", "none")
    lean, parent = _both(name, 3, pd.DataFrame(X, columns=cols), labels)
    assert list(lean.classes_) == list(parent.classes_) == ["event", "none"]
    assert list(lean.feature_names_in_) == cols
    Zt = pd.DataFrame(Xt, columns=cols)
    assert np.array_equal(lean.predict_proba(Zt), parent.predict_proba(Zt))
    assert np.array_equal(lean.predict(Zt), parent.predict(Zt))


def test_perfect_first_stump_stops_as_sklearn_adaboost():
    # a feature separating the classes: the first stump has error 0 and boosting stops
    X, y, Xt = _data(11, 80, 5, ties=False, shift=20.0)
    lean, parent = _both("adaboost", 4, X, y)
    assert len(lean.estimators_) == len(parent.estimators_) == 1
    assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


@pytest.mark.parametrize(
    "name, extra",
    [
        ("rf", {"class_weight": "balanced"}),
        ("rf", {"max_depth": 3}),
        ("rf", {"bootstrap": False}),
        ("rf", {"min_samples_leaf": 0.05}),
        ("adaboost", {"learning_rate": 0.5}),  # lean too: the rate only enters the weights
    ],
)
def test_other_settings_fall_back_to_sklearn_fit(name, extra):
    X, y, Xt = _data(13, 100, 8, ties=True)
    lean, parent = _both(name, 6, X, y, **extra)
    assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


def test_adaboost_with_weights_falls_back_to_sklearn_fit():
    X, y, Xt = _data(17, 100, 8, ties=False)
    w = np.linspace(0.5, 1.5, len(y))
    lean = AdaBoostStumps(random_state=2).fit(X, y, sample_weight=w)
    parent = AdaBoostClassifier(random_state=2).fit(X, y, sample_weight=w)
    assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_missing_values_left_to_sklearn_trees(name):
    # scikit-learn's trees split on NaN; the lean path leaves such data to the parent
    X, y, Xt = _data(19, 100, 6, ties=False)
    X[::7, 1] = np.nan
    with sklearn.config_context(assume_finite=True):  # AdaBoost checks finiteness otherwise
        lean, parent = _both(name, 8, X, y)
        assert np.array_equal(lean.predict_proba(Xt), parent.predict_proba(Xt))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_unfitted_estimator_raises_as_sklearn(name):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PAIRS[name][0]().predict_proba(np.zeros((2, 3)))


def test_search_classifiers_take_the_lean_path():
    # the search's forest and stumps are the lean estimators, with settings the lean fit covers
    from hccstats.signature import make_classifier

    X, y, _ = _data(23, 130, 40, ties=False)
    rf, ada = make_classifier("rf", 2023), make_classifier("adaboost", 2023)
    assert isinstance(rf, RandomForest) and rf._lean(X, y, None)
    assert isinstance(ada, AdaBoostStumps) and ada._lean_inputs(X, y, None) is not None


# ------------------------------------------------------------------ Gaussian process
def _gp_data(case: int):
    """Data shaped like the search's Gaussian-process folds: 60-160 patients, 5-40 columns
    min-max scaled on the training rows (test rows may leave [0, 1]), 10-35 % events. Every
    third case has tied values, every fourth a constant column (0 after scaling), odd cases
    one informative column, even cases pure noise (where the length scale runs far out)."""
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.default_rng(300 + case)
    n, p = int(rng.integers(60, 161)), int(rng.integers(5, 41))
    X, Xt = rng.normal(size=(n, p)), rng.normal(size=(40, p))
    y = (rng.uniform(size=n) < rng.uniform(0.10, 0.35)).astype(int)
    y[:2] = [0, 1]
    if case % 2:
        X[:, 0] += y
    if case % 3 == 0:
        X, Xt = np.round(X, 1), np.round(Xt, 1)
    if case % 4 == 0:
        X[:, -1] = Xt[:, -1] = 2.5
    scaler = MinMaxScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(Xt)


def _gp_pair(X, y, seed, length_scale=1.0, restarts=0):
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from hccstats.signature._cv import single_threaded
    from hccstats.signature._gp import GaussianProcess

    kw = dict(
        kernel=ConstantKernel(1.0) * RBF(length_scale),
        n_restarts_optimizer=restarts,
        random_state=seed,
    )
    with single_threaded():  # as in the search
        lean = GaussianProcess(**kw).fit(X, y)
        parent = GaussianProcessClassifier(**kw).fit(X, y)
    assert type(lean.base_estimator_).__name__ == "_LeanLaplace"
    return lean, parent


def _assert_gp_identical(lean, parent, X, Xt):
    assert np.array_equal(lean.kernel_.theta, parent.kernel_.theta)
    assert lean.log_marginal_likelihood_value_ == parent.log_marginal_likelihood_value_
    for name in ("pi_", "W_sr_", "L_"):
        assert np.array_equal(
            getattr(lean.base_estimator_, name), getattr(parent.base_estimator_, name)
        )
    for Z in (X, Xt):
        assert np.array_equal(lean.predict_proba(Z), parent.predict_proba(Z))
        assert np.array_equal(lean.predict(Z), parent.predict(Z))


@pytest.mark.filterwarnings("ignore:The optimal value found")  # case 14, as scikit-learn's
@pytest.mark.parametrize("case", range(16))
def test_gaussian_process_against_sklearn_bit_identical(case):
    X, y, Xt = _gp_data(case)
    lean, parent = _gp_pair(X, y, case)
    _assert_gp_identical(lean, parent, X, Xt)


@pytest.mark.filterwarnings("ignore:The optimal value found")  # case 0, as scikit-learn's
@pytest.mark.parametrize("case", range(4))
def test_gaussian_process_restarts_and_labels_bit_identical(case):
    # restarts: the best optimum is the last one evaluated (case 3) or an earlier one (the
    # final posterior mode then comes from the kernel object); labels other than 0/1 (ints
    # coded by np.unique, strings by scikit-learn's LabelEncoder)
    X, y, Xt = _gp_data(case)
    lean, parent = _gp_pair(X, y, case, restarts=2)
    _assert_gp_identical(lean, parent, X, Xt)
    labels = np.array([[2, 5], ["event", "none"]][case % 2])[y]
    lean, parent = _gp_pair(X, labels, case)
    _assert_gp_identical(lean, parent, X, Xt)
    assert np.array_equal(lean.classes_, ["event", "none"] if case % 2 else [2, 5])


def _three_step_lbfgs(obj_func, initial_theta, bounds):
    from scipy.optimize import minimize

    res = minimize(
        obj_func, initial_theta, jac=True, bounds=bounds, method="L-BFGS-B", options={"maxiter": 3}
    )
    return res.x, res.fun


@pytest.mark.parametrize(
    "setting",
    [
        {"optimizer": None},
        {"optimizer": _three_step_lbfgs},
        {"warm_start": True},
        {"max_iter_predict": 3},
        {"copy_X_train": False},
    ],
    ids=["no-optimizer", "callable-optimizer", "warm-start", "3-newton-steps", "no-copy"],
)
def test_gaussian_process_other_settings_bit_identical(setting):
    # settings the lean fit hands (wholly or partly) to scikit-learn's code
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from hccstats.signature._cv import single_threaded
    from hccstats.signature._gp import GaussianProcess

    X, y, Xt = _gp_data(5)
    kw = dict(kernel=ConstantKernel(1.0) * RBF(1.0), random_state=0, **setting)
    with single_threaded():
        lean = GaussianProcess(**kw).fit(X, y)
        parent = GaussianProcessClassifier(**kw).fit(X, y)
    assert type(lean.base_estimator_).__name__ == "_LeanLaplace"
    _assert_gp_identical(lean, parent, X, Xt)


def test_gaussian_process_length_scale_at_its_bound_bit_identical():
    # pure noise (case 14: 40 columns): the likelihood keeps rising with the length scale
    # up to its bound 1e5, where scikit-learn warns; the lean fit warns the same
    import warnings

    X, y, Xt = _gp_data(14)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lean, parent = _gp_pair(X, y, 14)
    messages = [str(w.message) for w in caught if "length_scale is close" in str(w.message)]
    assert len(messages) == 2 and messages[0] == messages[1]  # one from each fit
    assert np.exp(parent.kernel_.theta[1]) == pytest.approx(1e5)
    _assert_gp_identical(lean, parent, X, Xt)


def test_gaussian_process_diagonal_kernel_bit_identical():
    # a length scale so short that every off-diagonal kernel value underflows to 0: the
    # Cholesky factor is diagonal, which SciPy's solve treats as its own case
    X, y, Xt = _gp_data(1)
    lean, parent = _gp_pair(X, y, 1, length_scale=1e-4)
    assert np.count_nonzero(parent.base_estimator_.L_) == X.shape[0]
    _assert_gp_identical(lean, parent, X, Xt)


def test_gaussian_process_lapack_calls_match_scipy():
    from scipy.linalg import cho_solve, cholesky, solve
    from scipy.spatial.distance import cdist, pdist, squareform

    from hccstats.signature import _gp_linalg as gl

    rng = np.random.default_rng(4)
    X = rng.uniform(size=(90, 12))
    d = gl.pdist_sqeuclidean(X)
    assert np.array_equal(d, pdist(X, metric="sqeuclidean"))
    Y = rng.uniform(size=(30, 12))
    assert np.array_equal(gl.cdist_sqeuclidean(X, Y), cdist(X, Y, metric="sqeuclidean"))
    A = rng.normal(size=(90, 90))
    B = np.eye(90) + A @ A.T / 90
    L = gl.cholesky_lower(np.asfortranarray(B))
    assert np.array_equal(L, cholesky(B, lower=True))
    v, M = rng.normal(size=90), rng.normal(size=(90, 90))
    assert np.array_equal(gl.cho_solve_lower(L, v), cho_solve((L, True), v))
    for F in (L, np.diag(np.diag(L))):  # dense and diagonal factors
        x = gl.solve_cholesky_factor(F, np.asfortranarray(M))
        assert x.flags.c_contiguous and np.array_equal(x, solve(F, M))
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        gl.cholesky_lower(np.asfortranarray(-B))
    # W_sr K and B = I + W_sr K W_sr as scikit-learn writes them: compiled (lower triangle of
    # B, what potrf reads) and NumPy's fallback
    K = np.exp(-0.5 * squareform(pdist(X, metric="sqeuclidean"))) * 1.7
    W_sr = np.sqrt(rng.uniform(0, 0.25, size=90))
    W_sr_K_ref = W_sr[:, np.newaxis] * K
    B_ref = np.eye(90) + W_sr_K_ref * W_sr
    for weigh in (gl.weigh_kernel, gl.weigh_kernel_numpy):
        W_sr_K, B = np.empty_like(K), np.zeros((90, 90), order="F")
        weigh(K, W_sr, W_sr_K, B)
        assert np.array_equal(W_sr_K, W_sr_K_ref)
        assert np.array_equal(np.tril(B), np.tril(B_ref))


def test_gaussian_process_other_kernel_falls_back_to_sklearn_fit():
    from sklearn.gaussian_process.kernels import RBF

    from hccstats.signature._cv import single_threaded
    from hccstats.signature._gp import GaussianProcess

    X, y, _ = _data(5, 40, 2, ties=False)
    with single_threaded():  # anisotropic: not the lean path
        gp = GaussianProcess(kernel=RBF(np.ones(2))).fit(X, y)
    assert type(gp.base_estimator_).__name__ == "_BinaryGaussianProcessClassifierLaplace"
    assert gp.predict_proba(X).shape == (40, 2)


# ------------------------------------------------------------------ SVM, Platt scaling
@pytest.mark.parametrize("case", range(4))
def test_platt_svm_against_sklearn_calibrated_bit_identical(case):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    from hccstats.signature import make_classifier
    from hccstats.signature._platt import PlattCalibrated

    n, p = ((130, 40), (104, 5), (70, 20), (130, 10))[case]
    X, y, Xt = _data(400 + case, n, p, ties=case == 3, shift=1.0)
    if case == 2:
        y = np.where(y == 1, "event", "none")  # labels other than 0/1
    lean = make_classifier("svm", case)
    assert isinstance(lean, PlattCalibrated)
    parent = CalibratedClassifierCV(
        SVC(kernel="rbf", C=1.0, gamma="scale"),
        method="sigmoid",
        cv=StratifiedKFold(5, shuffle=True, random_state=case),
        ensemble=False,
    )
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        lean.fit(X, y)
        parent.fit(X, y)
    assert list(lean.classes_) == list(parent.classes_)
    (a,), (b,) = lean.calibrated_classifiers_, parent.calibrated_classifiers_
    assert (a.calibrators[0].a_, a.calibrators[0].b_) == (b.calibrators[0].a_, b.calibrators[0].b_)
    for Z in (X, Xt):
        assert np.array_equal(lean.predict_proba(Z), parent.predict_proba(Z))


def test_platt_svm_other_settings_fall_back_to_sklearn_fit():
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    from hccstats.signature._platt import PlattCalibrated

    X, y, _ = _data(9, 60, 3, ties=False)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    iso = PlattCalibrated(SVC(), method="isotonic", cv=cv, ensemble=False)
    assert not iso._lean(X, y, None, {})
    assert iso.fit(X, y).predict_proba(X).shape == (60, 2)
    ens = PlattCalibrated(SVC(), cv=cv, ensemble=True)
    assert not ens._lean(X, y, None, {}) and len(ens.fit(X, y).calibrated_classifiers_) == 3
    assert not PlattCalibrated(SVC(), cv=cv, ensemble=False)._lean(X, y, np.ones(60), {})


@pytest.mark.parametrize("case", range(4))
def test_lbfgsb_driver_against_scipy_minimize_bit_identical(case):
    # the Gaussian process's objective on search-shaped data (case 2: noise, the length
    # scale at its bound), and a bounded Rosenbrock whose optimum lies outside the box
    from scipy.optimize import minimize
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from hccstats.signature._cv import single_threaded
    from hccstats.signature._gp import _LeanLaplace
    from hccstats.signature._lbfgsb import minimize_lbfgsb

    if case < 3:
        X, y, _ = _gp_data((3, 5, 14)[case])
        gp = _LeanLaplace(kernel=ConstantKernel(1.0) * RBF(1.0))
        gp.X_train_, gp.y_train_ = X, y

        def fun(theta):
            lml, grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
            return -lml, -grad

        x0, bounds = np.zeros(2), np.log([[1e-5, 1e5], [1e-5, 1e5]])
    else:

        def fun(x):
            r = 100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2
            g = np.zeros_like(x)
            g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
            g[1:] += 200 * (x[1:] - x[:-1] ** 2)
            return r.sum(), g

        x0, bounds = np.array([-1.2, 1.0, 0.5, 3.0]), np.array([[-2, 0.5]] * 4, dtype=float)
    with single_threaded():
        ours = minimize_lbfgsb(fun, x0, bounds)
        theirs = minimize(fun, x0, method="L-BFGS-B", jac=True, bounds=bounds)
    assert np.array_equal(ours.x, theirs.x) and np.array_equal(ours.jac, theirs.jac)
    assert ours.fun == theirs.fun
    for key in ("nit", "nfev", "status", "message", "success"):
        assert ours[key] == theirs[key], key
    if case == 3:
        assert ours.x[1] == 0.5  # a bound is active (x0 starts outside the box)
