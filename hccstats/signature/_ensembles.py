"""The random forest and the boosted stumps of the search, fitted without per-tree overhead.

scikit-learn's ``RandomForestClassifier`` and ``AdaBoostClassifier`` spend most of their
time on these small data (about 130 patients x at most 40 features) in per-tree
bookkeeping (cloning the template tree, validating the same input again for every tree)
and in the tree builder's sorts. ``RandomForest`` and ``AdaBoostStumps`` are the same
estimators (subclasses, same parameters, same fitted attributes) whose ``fit`` grows the
trees from exactly the inputs the parent would give them (the same per-tree seeds, drawn
in the same order from the same generator, the same bootstrap counts, float32 data and
encoded labels) in ``_cart``, a compiled port of scikit-learn's tree builder: a whole
forest in one call, each boosting round's stump in one call. The trees are kept as packed
node arrays, which ``predict_proba`` walks in one compiled call (the trees' leaf fractions
summed in tree order, as the parent sums them); ``estimators_`` gives them as genuine
``DecisionTreeClassifier`` trees (made on first read: scikit-learn's node arrays, node for
node). Without numba, and for a forest of more than two classes, the trees go to
scikit-learn's own compiled builder one by one. The trees, and therefore the
probabilities, are bit-identical to the parent's (checked against scikit-learn in
``tests/test_signature_ensembles.py``). Any setting other than the ones the search uses
(sample weights, class weights, other tree settings, missing values, warm start,
out-of-bag score, another base estimator, stumps on more than two classes) falls back to
the parent's ``fit``.

R equivalents: ``randomForest::randomForest`` and ``ada::ada`` / ``adabag::boosting`` with
stumps (neither gives the same numbers: the random streams differ).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import issparse
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._criterion import Gini
from sklearn.tree._splitter import BestSplitter
from sklearn.tree._tree import NODE_DTYPE, DepthFirstTreeBuilder, Tree
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._jit import HAVE_NUMBA
from . import _cart

__all__ = ["RandomForest", "AdaBoostStumps"]

_MAX_SEED = np.iinfo(np.int32).max  # the parent's per-tree seeds: randint(2**31 - 1)
_UNLIMITED = np.iinfo(np.int32).max  # the tree's max_depth when max_depth is None
_RAND_R_MAX = 2147483647  # the splitter draws its xorshift state as randint(0, RAND_R_MAX)
_NODE_FIELDS = (  # the order of fit_trees' node arrays
    "feature",
    "threshold",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
    "left_child",
    "right_child",
    "missing_go_to_left",
)
_TREE_DEFAULTS = {
    "criterion": "gini",
    "splitter": "best",
    "min_samples_split": 2,
    "min_samples_leaf": 1,
    "min_weight_fraction_leaf": 0.0,
    "max_leaf_nodes": None,
    "min_impurity_decrease": 0.0,
    "class_weight": None,
    "ccp_alpha": 0.0,
    "monotonic_cst": None,
}


def _same(value, default) -> bool:
    """``value`` is ``default``, of the same type (``1.0`` is a fraction where ``1`` is a
    count)."""
    return type(value) is type(default) and value == default


def _n_split_features(max_features, p: int) -> int | None:
    """The number of features tried per split, as ``DecisionTreeClassifier`` sets
    ``max_features_``; ``None`` for a setting this module leaves to scikit-learn."""
    if max_features is None:
        return p
    if max_features == "sqrt":
        return max(1, int(np.sqrt(p)))
    return None


def _grow(tree, X32, y_code, n_classes, weight, rng, seed: int, depth: int, n_split: int):
    """Fit ``tree`` (a fresh ``DecisionTreeClassifier``) as its ``_fit(check_input=False)``
    would with these settings, and set the attributes ``predict`` reads.

    ``rng`` is re-seeded with the tree's seed: a fresh ``RandomState(seed)`` is what the
    tree would create (the splitter draws from it once, when the build starts).
    """
    rng.seed(seed)
    criterion = Gini(1, n_classes)
    splitter = BestSplitter(criterion, n_split, 1, 0.0, rng, None)
    tree.tree_ = Tree(X32.shape[1], n_classes, 1)
    DepthFirstTreeBuilder(splitter, 2, 1, 0.0, depth, 0.0).build(
        tree.tree_, X32, y_code, weight, None
    )
    tree.n_features_in_ = X32.shape[1]
    tree.n_outputs_ = 1
    tree.max_features_ = n_split
    return tree


def _encode(y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes, the labels coded 0..K-1 as the (n, 1) float64 column the tree builder
    reads, and the number of classes as the builder's array."""
    classes, code = np.unique(y, return_inverse=True)
    y_code = np.ascontiguousarray(code.reshape(-1, 1), dtype=np.float64)
    return classes, y_code, np.array([len(classes)], dtype=np.intp)


def _splitter_state(rng, seed: int) -> int:
    """The xorshift state the splitter of a tree seeded ``seed`` starts from: the first
    draw of a fresh ``RandomState(seed)``."""
    rng.seed(seed)
    return rng.randint(0, _RAND_R_MAX)


def _pack(parts: list) -> dict:
    """The compiled stumps of ``parts`` (one ``fit_trees`` result each) as one set of node
    arrays, with each tree's first node in ``offsets`` and its depth in ``depths``."""
    nodes = tuple(np.concatenate(a) for a in zip(*(q[0] for q in parts)))
    sizes = np.concatenate([np.diff(q[1]) for q in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return {"nodes": nodes, "offsets": offsets, "depths": np.concatenate([q[2] for q in parts])}


def _sklearn_tree(packed: dict, t: int, n_features: int, n_classes: int) -> Tree:
    """Tree ``t`` of ``packed`` as scikit-learn's ``Tree`` (the node arrays it would have
    built)."""
    lo, hi = packed["offsets"][t], packed["offsets"][t + 1]
    nodes = np.zeros(hi - lo, dtype=NODE_DTYPE)
    for name, column in zip(_NODE_FIELDS, packed["nodes"]):
        nodes[name] = column[lo:hi]
    tree = Tree(n_features, np.array([n_classes], dtype=np.intp), 1)
    values = np.ascontiguousarray(packed["nodes"][8][lo:hi].reshape(hi - lo, 1, n_classes))
    depth = int(packed["depths"][t])
    tree.__setstate__({"max_depth": depth, "node_count": hi - lo, "nodes": nodes, "values": values})
    return tree


def _predict_args(packed: dict) -> tuple:
    """The node arrays the compiled predictions walk."""
    feature, threshold, *_, left, right, _, value = packed["nodes"]
    return feature, threshold, left, right, value, packed["offsets"]


class _PackedTrees:
    """``estimators_`` for a fit that grew its trees compiled: genuine
    ``DecisionTreeClassifier`` objects, made from the packed node arrays when first read
    (the predictions of this module walk the arrays themselves)."""

    @property
    def estimators_(self):
        d = self.__dict__
        if "_estimators" not in d:
            if "_packed_trees" not in d:
                raise AttributeError("estimators_")
            d["_estimators"] = self._unpack(d["_packed_trees"])
        return d["_estimators"]

    @estimators_.setter
    def estimators_(self, trees):
        self.__dict__["_estimators"] = trees
        self.__dict__.pop("_packed_trees", None)

    @estimators_.deleter
    def estimators_(self):
        self.__dict__.pop("_estimators", None)
        self.__dict__.pop("_packed_trees", None)

    def _set_packed(self, packed: dict) -> None:
        self.__dict__.pop("_estimators", None)
        self.__dict__["_packed_trees"] = packed

    def _packed(self) -> dict | None:
        return self.__dict__.get("_packed_trees")

    def _unpack(self, packed: dict) -> list:
        trees = []
        for t, seed in enumerate(packed["seeds"]):
            tree = DecisionTreeClassifier(random_state=int(seed), **packed["params"])
            tree.classes_, tree.n_classes_ = packed["classes"], len(packed["classes"])
            tree.n_features_in_, tree.n_outputs_ = packed["n_features"], 1
            tree.max_features_ = packed["n_split"]
            tree.tree_ = _sklearn_tree(packed, t, packed["n_features"], tree.n_classes_)
            trees.append(tree)
        return trees


class RandomForest(_PackedTrees, RandomForestClassifier):
    """``sklearn.ensemble.RandomForestClassifier`` with a lean ``fit``: the same trees.

    The lean ``fit`` grows the trees one after the other in this thread (``n_jobs`` and
    ``verbose`` are not used by it; the trees do not depend on them).

    R equivalent: ``randomForest::randomForest(x, factor(y), ntree, mtry = floor(sqrt(p)))``
    (same algorithm, different random streams).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 5)), np.repeat([0, 1], 30)
    >>> kw = dict(n_estimators=20, max_features="sqrt", random_state=3)
    >>> a = RandomForest(**kw).fit(X, y).predict_proba(X)
    >>> b = RandomForestClassifier(**kw).fit(X, y).predict_proba(X)
    >>> bool(np.array_equal(a, b))
    True
    """

    def _lean(self, X, y, sample_weight) -> bool:
        params = self.get_params(deep=False)
        return (
            sample_weight is None
            and all(_same(params[k], v) for k, v in _TREE_DEFAULTS.items() if k != "splitter")
            and params["max_depth"] is None
            and params["max_features"] in ("sqrt", None)
            and params["bootstrap"]
            and params["max_samples"] is None
            and not params["oob_score"]
            and not params["warm_start"]
            and np.ndim(y) == 1
            and not issparse(X)
        )

    def fit(self, X, y, sample_weight=None):
        if not self._lean(X, y, sample_weight):
            return super().fit(X, y, sample_weight)
        Xv, y = validate_data(self, X, y, dtype=np.float32, ensure_all_finite=False)
        if not np.isfinite(Xv).all():  # missing values: the parent's trees handle them
            return super().fit(X, y, sample_weight)
        X = Xv
        check_classification_targets(y)
        classes, y_code, n_classes = _encode(y)
        # the trees see the forest's float64 label codes: their classes are 0.0, 1.0, ...
        tree_classes = np.arange(len(classes), dtype=np.float64)
        n, p = X.shape
        n_split = _n_split_features(self.max_features, p)
        self._validate_estimator()
        self._n_samples, self.n_outputs_ = n, 1
        self.classes_, self.n_classes_ = classes, len(classes)
        self._sample_weight, self._n_samples_bootstrap = None, n
        seeds = check_random_state(self.random_state)
        # the parent draws every tree's seed first, then grows the trees
        tree_seeds = [seeds.randint(_MAX_SEED) for _ in range(self.n_estimators)]
        if HAVE_NUMBA and len(classes) == 2:  # the compiled trees are two-class trees
            self._fit_compiled(X, y_code, tree_seeds, classes, n_split)
            return self
        rng = np.random.RandomState()
        trees = []
        for s in tree_seeds:
            rng.seed(s)
            weight = np.bincount(rng.randint(0, n, n), minlength=n).astype(np.float64)
            tree = DecisionTreeClassifier(
                max_features=self.max_features, random_state=s, **_TREE_DEFAULTS
            )
            tree.classes_, tree.n_classes_ = tree_classes, len(classes)
            trees.append(_grow(tree, X, y_code, n_classes, weight, rng, s, _UNLIMITED, n_split))
        self.estimators_ = trees
        return self

    def _fit_compiled(self, X, y_code, tree_seeds, classes, n_split) -> None:
        """All the trees in one compiled call, from the same bootstrap counts and splitter
        states as the parent's trees (drawn here from the trees' seeds)."""
        n, p = X.shape
        rng = np.random.RandomState()
        draws = np.empty((len(tree_seeds), n), dtype=np.int64)
        states = np.empty(len(tree_seeds), dtype=np.int64)
        for t, s in enumerate(tree_seeds):
            rng.seed(s)
            draws[t] = rng.randint(0, n, n)
            states[t] = _splitter_state(rng, s)
        draws += n * np.arange(len(tree_seeds))[:, None]  # one bincount for all the trees
        weights = np.bincount(draws.ravel(), minlength=draws.size).astype(np.float64)
        X = np.ascontiguousarray(X)
        nodes, offsets, depths = _cart.fit_trees(
            X,
            y_code[:, 0].astype(np.int64),
            _cart.presort(X),
            weights.reshape(draws.shape),
            states,
            n_split,
            _UNLIMITED,
        )
        self._set_packed(
            {
                "nodes": nodes,
                "offsets": offsets,
                "depths": depths,
                "seeds": tree_seeds,
                "params": {"max_features": self.max_features, **_TREE_DEFAULTS},
                "classes": np.arange(len(classes), dtype=np.float64),
                "n_features": p,
                "n_split": n_split,
            }
        )

    def predict_proba(self, X):
        """Class probabilities: the mean of the trees' leaf class fractions, summed in
        tree order as the parent does (its one-job path)."""
        check_is_fitted(self)
        if issparse(X) or self.n_outputs_ != 1:
            return super().predict_proba(X)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        packed = self._packed()
        if packed is not None:
            return _cart.forest_proba(np.ascontiguousarray(X), *_predict_args(packed))
        proba = np.zeros((X.shape[0], self.n_classes_), dtype=np.float64)
        for tree in self.estimators_:
            proba += tree.predict_proba(X, check_input=False)
        proba /= len(self.estimators_)
        return proba


class AdaBoostStumps(_PackedTrees, AdaBoostClassifier):
    """``sklearn.ensemble.AdaBoostClassifier`` (SAMME) on decision stumps with a lean
    ``fit``: the same stumps, weights and probabilities.

    R equivalent: ``adabag::boosting(coeflearn = "Zhu", control = rpart.control(maxdepth
    = 1))`` (same algorithm; ties between equally good splits broken differently).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 5)), np.repeat([0, 1], 30)
    >>> a = AdaBoostStumps(random_state=3).fit(X, y).predict_proba(X)
    >>> b = AdaBoostClassifier(random_state=3).fit(X, y).predict_proba(X)
    >>> bool(np.array_equal(a, b))
    True
    """

    def _lean_inputs(self, X, y, sample_weight) -> dict | None:
        """What the lean rounds share, or ``None`` where the parent's ``fit`` is used."""
        if self.estimator is not None or sample_weight is not None or issparse(X):
            return None
        Xv, yv = validate_data(self, X, y, dtype=None)  # as the parent: X's own dtype
        check_classification_targets(yv)
        classes, y_code, n_classes = _encode(yv)
        numeric = Xv.dtype.kind in "biuf"
        if len(classes) != 2 or not numeric or not np.isfinite(Xv).all():
            return None  # missing values are left to the parent's stumps, which handle them
        return {
            "X32": np.ascontiguousarray(Xv, dtype=np.float32),
            "classes": classes,
            "y_code": y_code,
            "y_int": y_code[:, 0].astype(np.int64),
            "n_classes": n_classes,
            "rng": np.random.RandomState(),
            "parts": [],  # the compiled stumps' node arrays, with their seeds
            "seeds": [],
        }

    def fit(self, X, y, sample_weight=None):
        self._lean_fit = lean = self._lean_inputs(X, y, sample_weight)
        try:
            super().fit(X, y, sample_weight)
        finally:
            del self._lean_fit
        if lean is not None and lean["parts"]:
            packed = _pack(lean["parts"])
            packed.update(
                seeds=lean["seeds"],
                params={"max_depth": 1, **_TREE_DEFAULTS},
                classes=lean["classes"],
                n_features=lean["X32"].shape[1],
                n_split=lean["X32"].shape[1],
            )
            self._set_packed(packed)
        return self

    def _boost(self, iboost, X, y, sample_weight, random_state):
        """One SAMME round, as the parent's, with the stump grown directly."""
        lean = self._lean_fit
        if lean is None:
            return super()._boost(iboost, X, y, sample_weight, random_state)
        # the parent's _make_estimator: one seed drawn for the stump's random_state
        seed = random_state.randint(_MAX_SEED)
        grow = self._stump_compiled if HAVE_NUMBA else self._stump_sklearn
        incorrect = grow(lean, seed, sample_weight, y)
        if iboost == 0:
            self.classes_ = lean["classes"]
            self.n_classes_ = len(self.classes_)
        # np.mean(np.average(incorrect, weights=sample_weight, axis=0)), its operations
        error = np.multiply(incorrect, sample_weight, dtype=np.float64).sum(axis=0)
        estimator_error = error / sample_weight.sum(axis=0, dtype=np.float64)
        if estimator_error <= 0:
            return sample_weight, 1.0, 0.0
        n_classes = self.n_classes_
        if estimator_error >= 1.0 - (1.0 / n_classes):
            stumps = lean["parts"] if HAVE_NUMBA else self.estimators_
            stumps.pop(-1)
            del lean["seeds"][len(stumps) :]
            if len(stumps) == 0:
                raise ValueError(
                    "BaseClassifier in AdaBoostClassifier ensemble is worse than random, "
                    "ensemble can not be fit."
                )
            return None, None, None
        estimator_weight = self.learning_rate * (
            np.log((1.0 - estimator_error) / estimator_error) + np.log(n_classes - 1.0)
        )
        if not iboost == self.n_estimators - 1:
            sample_weight = np.exp(
                np.log(sample_weight) + estimator_weight * incorrect * (sample_weight > 0)
            )
        return sample_weight, estimator_weight, estimator_error

    def _stump_compiled(self, lean: dict, seed: int, sample_weight, y) -> np.ndarray:
        """Grow the round's stump compiled (kept in ``lean``); which training samples it
        misclassifies."""
        X32 = lean["X32"]
        weight = np.asarray(sample_weight, dtype=np.float64)[None, :]
        state = np.array([_splitter_state(lean["rng"], seed)], dtype=np.int64)
        if "presorted" not in lean:
            lean["presorted"] = _cart.presort(X32)
        args = (lean["y_int"], lean["presorted"], weight, state, X32.shape[1], 1)
        part = _cart.fit_trees(X32, *args)
        lean["parts"].append(part)
        lean["seeds"].append(seed)
        nodes = part[0]
        return _cart.misclassified(
            X32, lean["y_int"], nodes[0], nodes[1], nodes[5], nodes[6], nodes[8], 0
        )

    def _stump_sklearn(self, lean: dict, seed: int, sample_weight, y) -> np.ndarray:
        """Grow the round's stump with scikit-learn's builder (kept in ``estimators_``);
        which training samples it misclassifies."""
        stump = DecisionTreeClassifier(max_depth=1, random_state=seed, **_TREE_DEFAULTS)
        stump.classes_, stump.n_classes_ = lean["classes"], len(lean["classes"])
        X32 = lean["X32"]
        weight = np.asarray(sample_weight, dtype=np.float64)
        args = (lean["y_code"], lean["n_classes"], weight, lean["rng"], seed, 1, X32.shape[1])
        _grow(stump, X32, *args)
        self.estimators_.append(stump)
        return stump.predict(X32, check_input=False) != y

    def decision_function(self, X):
        """The parent's decision function (weighted votes of the stumps, same sums in the
        same order), with the input converted once instead of once per stump."""
        check_is_fitted(self)
        X = self._check_X(X)
        n_classes = self.n_classes_
        if n_classes != 2 or issparse(X):
            return super().decision_function(X)
        X32 = np.asarray(X, dtype=np.float32)
        packed = self._packed()
        if packed is not None:
            n_stumps = len(packed["seeds"])
            weights = self.estimator_weights_[:n_stumps]
            pred = _cart.stump_votes(np.ascontiguousarray(X32), *_predict_args(packed), weights)
            pred /= self.estimator_weights_.sum()
            pred[:, 0] *= -1
            return pred.sum(axis=1)
        classes = self.classes_[:, np.newaxis]
        pred = sum(
            np.where(
                (est.predict(X32, check_input=False) == classes).T, w, -1 / (n_classes - 1) * w
            )
            for est, w in zip(self.estimators_, self.estimator_weights_)
        )
        pred /= self.estimator_weights_.sum()
        pred[:, 0] *= -1
        return pred.sum(axis=1)
