"""scikit-learn's dense best-split classification tree (Gini), compiled, operation for operation.

A port of what ``DecisionTreeClassifier(criterion="gini", splitter="best")`` of
scikit-learn 1.9 does on dense float32 data without missing values, two classes, sample
weights, ``min_samples_split=2``, ``min_samples_leaf=1``, no minimum leaf weight and no
impurity decrease threshold (``sklearn/tree/_splitter.pyx``, ``_partitioner.pyx``,
``_criterion.pyx``, ``_tree.pyx``, ``sklearn/utils/_sorting.pyx`` and ``_random.pxd``,
BSD-3-Clause): the splitter's xorshift stream (``our_rand_r``/``rand_int``), the
Fisher-Yates drawing of the features with the known, found and drawn constant features
carried from node to node, the copy of the feature values and their introsort (median of
three, three-way partition, heapsort past ``2 * int(log2(n))`` levels, insertion sort
below 16), the scan over the sorted values skipping ties within ``FEATURE_THRESHOLD``,
the Gini criterion's running class sums (moved forwards or, where fewer samples remain,
backwards from the node's total, as scikit-learn does: the two give different roundings),
the proxy improvement, the threshold as the sum of the halves of the neighbouring values,
the final partition of the samples and the depth-first builder's stack and leaf rules.
Samples of zero weight are left out of the node samples, as the splitter does.

One shortcut, where it cannot change a number: the sort of a large node is replaced by
reading the node's samples off the feature's presorted order (``presort``, once per fit)
when the weights are whole numbers (a forest's bootstrap counts: every sum of them is
exact, so the order of the samples among equal values, which is all the sort decides,
changes no sum, no split and no threshold), or when the node holds every sample and the
feature's values are distinct (their sorted order is unique). Otherwise (AdaBoost's
weights below distinct roots; ties) the node is sorted exactly as scikit-learn sorts it.

The trees are the same node for node (node ids, features, thresholds, impurities, sample
counts, weights and values); ``tests/test_signature_ensembles.py`` compares them with
scikit-learn's on 1,200 varied data sets and the sort with scikit-learn's introsort.

The arrays of one fit (``fit_trees``) hold the trees one after the other; ``offsets[t]``
is the first node of tree ``t``; child ids are local to their tree, as in scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit

__all__ = ["presort", "fit_trees", "misclassified", "forest_proba", "stump_votes"]

FEATURE_THRESHOLD = np.float32(1e-7)  # sklearn/tree/_partitioner.pxd
EPSILON = np.finfo(np.float64).eps  # sklearn/tree/_tree.pyx
_LEAF = -1  # _TREE_LEAF
_UNDEFINED = -2  # _TREE_UNDEFINED


@njit(inline=True)
def _rand_int(low, high, state):
    """``rand_int(low, high, &state)``: ``our_rand_r``'s 32-bit xorshift, kept in an int64."""
    s = state[0]
    if s == 0:
        s = 1  # DEFAULT_SEED
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    state[0] = s
    return low + (s % 2147483648) % (high - low)


@njit(inline=True)
def _swap(values, idx, i, j):
    values[i], values[j] = values[j], values[i]
    idx[i], idx[j] = idx[j], idx[i]


@njit(inline=True)
def _median3(values, lo, n):
    a, b, c = values[lo], values[lo + n // 2], values[lo + n - 1]
    if a < b:
        if b < c:
            return b
        if a < c:
            return c
        return a
    if b < c:
        if a < c:
            return a
        return c
    return b


@njit
def _sift_down(values, idx, lo, start, end):
    root = start
    while True:
        child = root * 2 + 1
        maxind = root
        if child < end and values[lo + maxind] < values[lo + child]:
            maxind = child
        if child + 1 < end and values[lo + maxind] < values[lo + child + 1]:
            maxind = child + 1
        if maxind == root:
            return
        _swap(values, idx, lo + root, lo + maxind)
        root = maxind


@njit
def _heapsort(values, idx, lo, n):
    start = (n - 2) // 2
    while True:
        _sift_down(values, idx, lo, start, n)
        if start == 0:
            break
        start -= 1
    end = n - 1
    while end > 0:
        _swap(values, idx, lo, lo + end)
        _sift_down(values, idx, lo, 0, end)
        end -= 1


@njit
def _insertion_sort(values, idx, lo, n):
    for i in range(1, n):
        v = values[lo + i]
        k = idx[lo + i]
        j = i
        while j > 0 and values[lo + j - 1] > v:
            values[lo + j] = values[lo + j - 1]
            idx[lo + j] = idx[lo + j - 1]
            j -= 1
        values[lo + j] = v
        idx[lo + j] = k


@njit
def _introsort(values, idx, lo, n, maxd, stack):
    """``introsort_3way`` on ``values[lo:lo + n]`` (the recursion on the left part becomes
    the rows of ``stack``: the parts are disjoint, so the order they are sorted in does not
    matter; the rows' depth limits decrease, so ``maxd + 1`` rows suffice)."""
    stack[0, 0], stack[0, 1], stack[0, 2] = lo, n, maxd
    top = 1
    while top > 0:
        top -= 1
        lo, n, maxd = stack[top, 0], stack[top, 1], stack[top, 2]
        heaped = False
        while n > 15:
            if maxd <= 0:
                _heapsort(values, idx, lo, n)
                heaped = True
                break
            maxd -= 1
            pivot = _median3(values, lo, n)
            i = 0
            left = 0
            r = n
            while i < r:
                if values[lo + i] < pivot:
                    _swap(values, idx, lo + i, lo + left)
                    i += 1
                    left += 1
                elif values[lo + i] > pivot:
                    r -= 1
                    _swap(values, idx, lo + i, lo + r)
                else:
                    i += 1
            stack[top, 0], stack[top, 1], stack[top, 2] = lo, left, maxd
            top += 1
            lo += r
            n -= r
        if not heaped:
            _insertion_sort(values, idx, lo, n)


@njit
def _sort(values, idx, lo, n, stack):
    """``simultaneous_sort(..., use_three_way_partition=True)``."""
    if n == 0:
        return
    _introsort(values, idx, lo, n, 2 * int(math.log2(n)), stack)


@njit(inline=True)
def _update(wc, w, samples, pos, new_pos, end, t0, t1, w_node, l0, l1, w_left):
    """``ClassificationCriterion.update`` for two classes: move ``samples[pos:new_pos]``
    to the left child, forwards from ``pos`` or, when fewer samples lie beyond
    ``new_pos``, backwards from the node's totals ``t0``, ``t1``, ``w_node``
    (``reverse_reset``). ``wc[c, i]`` is sample ``i``'s weight where its class is ``c``,
    else +0.0: adding it to the other class's sum changes nothing, and saves a branch.
    Returns the left class sums and weight."""
    if (new_pos - pos) <= (end - new_pos):
        for p in range(pos, new_pos):
            i = samples[p]
            l0 += wc[0, i]
            l1 += wc[1, i]
            w_left += w[i]
    else:
        l0, l1, w_left = t0, t1, w_node
        for p in range(end - 1, new_pos - 1, -1):
            i = samples[p]
            l0 -= wc[0, i]
            l1 -= wc[1, i]
            w_left -= w[i]
    return l0, l1, w_left


@njit
def _scan(fv, samples, wc, w, start, end, t0, t1, w_node, best_proxy):
    """The best split of one feature's sorted values in ``fv[start:end]`` (``samples``
    in the same order), as ``node_split_best`` scans them: positions between values more
    than ``FEATURE_THRESHOLD`` apart, the criterion updated from position to position, the
    first position whose proxy improvement beats ``best_proxy`` and every earlier one.
    Returns that position (``end`` if none), its proxy improvement and its threshold (the
    sum of the halves of the values either side)."""
    best_pos, best_threshold = end, 0.0
    pos, l0, l1, w_left = start, 0.0, 0.0, 0.0  # criterion.reset()
    p = start
    while p < end:
        p += 1
        while p < end and fv[p] <= fv[p - 1] + FEATURE_THRESHOLD:
            p += 1
        if p == end:
            continue
        l0, l1, w_left = _update(wc, w, samples, pos, p, end, t0, t1, w_node, l0, l1, w_left)
        w_right = w_node - w_left
        pos = p
        if w_left < 0.0 or w_right < 0.0:  # min_weight_leaf = 0
            continue
        imp_left = _gini(l0, l1, w_left)
        imp_right = _gini(t0 - l0, t1 - l1, w_right)
        proxy = -w_right * imp_right - w_left * imp_left
        better = proxy > best_proxy  # selected without a branch: the same first maximum
        best_proxy = proxy if better else best_proxy
        best_pos = p if better else best_pos
    if best_pos < end:  # p_prev is p - 1 at every position scanned
        best_threshold = np.float64(fv[best_pos - 1]) / 2.0 + np.float64(fv[best_pos]) / 2.0
    return best_pos, best_proxy, best_threshold


@njit(inline=True)
def _gini(c0, c1, weight):
    """``Gini.node_impurity`` / ``children_impurity`` of class sums ``c0``, ``c1`` (one
    output; the same operations, ``0.0 +`` and ``/ 1`` included)."""
    sq = 0.0 + c0 * c0 + c1 * c1
    return (0.0 + (1.0 - sq / (weight * weight))) / 1.0


@njit(inline=True)
def _sorted_feature(X, ws, pre, start, end, feature, walked):
    """The node's samples and their values of ``feature`` in ascending order, in
    ``samples[start:end]`` and ``fv[start:end]``, as the partitioner's sort leaves them.

    Where the order among equal values cannot change a number (``order_free``: integer
    weights, whose sums are exact in any order; or all the samples in the node with
    distinct values, which have one sorted order), a node of more than an eighth of the
    samples is read off the feature's presorted order instead of being sorted. Returns
    whether the node's samples are marked in ``stamp`` (done on the first such read)."""
    samples, fv, sort_stack, stamp, mark, order_free = ws[0], ws[1], ws[6], ws[7], ws[8], ws[9]
    order, values, distinct = pre
    n = order.shape[1]
    size = end - start
    if 8 * size > n and (order_free[0] or (size == n and distinct[feature])):
        if not walked:
            mark[0] += 1
            for q in range(start, end):
                stamp[samples[q]] = mark[0]
        k = start
        for j in range(n):
            i = order[feature, j]
            if stamp[i] == mark[0]:
                samples[k] = i
                fv[k] = values[feature, j]
                k += 1
        return True
    for q in range(start, end):
        fv[q] = X[samples[q], feature]
    _sort(fv, samples, start, size, sort_stack)
    return walked


@njit
def presort(X):
    """Each feature's ascending order of the samples (any order among equal values), the
    values in that order, and whether the feature's values are all distinct."""
    n, p = X.shape
    order = np.empty((p, n), dtype=np.int64)
    values = np.empty((p, n), dtype=np.float32)
    distinct = np.ones(p, dtype=np.bool_)
    for f in range(p):
        order[f] = np.argsort(X[:, f])
        for j in range(n):
            values[f, j] = X[order[f, j], f]
            if j > 0 and values[f, j] == values[f, j - 1]:
                distinct[f] = False
    return order, values, distinct


@njit(inline=True)
def _node_split(X, wc, w, ws, pre, start, end, n_known, impurity, max_features, totals, w_node):
    """``node_split_best`` (``BestSplitter`` on a ``DensePartitioner``). ``ws`` is the
    splitter's work space (samples, feature values, features, constant features, class
    sums, random state, ...), ``pre`` the features' presorted orders (``presort``).
    Returns (pos, feature, threshold, impurity left, impurity right, improvement,
    n constant features, missing go to left)."""
    samples, fv, features, constant, state, w_all = ws[:6]
    t0, t1 = totals
    walked = False
    n_features = features.shape[0]
    best_pos, best_feature, best_threshold, best_mgl = end, 0, 0.0, False
    best_proxy = -np.inf
    f_i = n_features
    n_visited = 0
    n_found = 0
    n_drawn = 0
    n_total = n_known
    while f_i > n_total and (n_visited < max_features or n_visited <= n_found + n_drawn):
        n_visited += 1
        f_j = _rand_int(n_drawn, f_i - n_found, state)
        if f_j < n_known:
            features[n_drawn], features[f_j] = features[f_j], features[n_drawn]
            n_drawn += 1
            continue
        f_j += n_found
        feature = features[f_j]
        walked = _sorted_feature(X, ws, pre, start, end, feature, walked)
        if fv[end - 1] <= fv[start] + FEATURE_THRESHOLD:
            features[f_j], features[n_total] = features[n_total], features[f_j]
            n_found += 1
            n_total += 1
            continue
        f_i -= 1
        features[f_i], features[f_j] = features[f_j], features[f_i]
        p, proxy, threshold = _scan(fv, samples, wc, w, start, end, t0, t1, w_node, best_proxy)
        if p < end:
            best_proxy, best_threshold = proxy, threshold
            best_mgl = (p - start) > (end - p)
            best_pos, best_feature = p, feature
    imp_left, imp_right, improvement = np.inf, np.inf, -np.inf
    if best_pos < end:
        lo, hi = start, end  # partition_samples_final
        while lo < hi:
            if X[samples[lo], best_feature] <= best_threshold:
                lo += 1
            else:
                hi -= 1
                samples[lo], samples[hi] = samples[hi], samples[lo]
        l0, l1, w_left = _update(
            wc, w, samples, start, best_pos, end, t0, t1, w_node, 0.0, 0.0, 0.0
        )
        w_right = w_node - w_left
        imp_left = _gini(l0, l1, w_left)
        imp_right = _gini(t0 - l0, t1 - l1, w_right)
        improvement = (w_node / w_all[0]) * (
            impurity - (w_right / w_node * imp_right) - (w_left / w_node * imp_left)
        )
    features[:n_known] = constant[:n_known]
    constant[n_known : n_known + n_found] = features[n_known : n_known + n_found]
    return (
        best_pos,
        best_feature,
        best_threshold,
        imp_left,
        imp_right,
        improvement,
        n_total,
        best_mgl,
    )


@njit(inline=True)
def _node_totals(wc, w, samples, start, end):
    """``ClassificationCriterion.init``: the class sums and the weight of a node."""
    t0, t1, w_node = 0.0, 0.0, 0.0
    for p in range(start, end):
        i = samples[p]
        t0 += wc[0, i]
        t1 += wc[1, i]
        w_node += w[i]
    return t0, t1, w_node


@njit(inline=True)
def _push(stack, stack_imp, top, start, end, depth, parent, is_left, n_const, impurity):
    """One record of the builder's stack."""
    stack[top, 0], stack[top, 1], stack[top, 2] = start, end, depth
    stack[top, 3], stack[top, 4], stack[top, 5] = parent, is_left, n_const
    stack_imp[top] = impurity


@njit
def _integral(w):
    """Whether the weights are whole numbers whose sums are exact in any order."""
    total = 0.0
    for wi in w:
        if wi != math.floor(wi):
            return False
        total += wi
    return total < 2.0**53


@njit
def _build(X, y, w, pre, max_features, max_depth, seed, out, first):
    """``DepthFirstTreeBuilder.build`` of one tree into the node arrays ``out`` from node
    ``first`` on. Returns (node count, depth)."""
    n, p = X.shape
    feat, thr, imp, n_node, w_nodes, left_child, right_child, mgl, value = out
    samples = np.empty(n, dtype=np.int64)
    m = 0
    w_all = np.zeros(1)
    wc = np.zeros((2, n))
    for i in range(n):
        if w[i] != 0.0:
            samples[m] = i
            m += 1
        w_all[0] += w[i]
        wc[y[i], i] = w[i]
    samples = samples[:m]
    state = np.array([seed], dtype=np.int64)
    ws = (
        samples,
        np.empty(n, dtype=np.float32),
        np.arange(p),
        np.empty(p, dtype=np.int64),
        state,
        w_all,
        np.empty((2 * int(math.log2(max(m, 1))) + 2, 3), dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.array([_integral(w)]),
    )
    # stack rows: start, end, depth, parent, is_left, n constant features; impurity apart
    stack = np.empty((m + 2, 6), dtype=np.int64)
    stack_imp = np.empty(m + 2)
    _push(stack, stack_imp, 0, 0, m, 0, _UNDEFINED, 0, 0, np.inf)
    top = 1
    count = 0
    depth_seen = -1
    while top > 0:
        top -= 1
        start, end, depth, parent = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        is_left, n_const, impurity = stack[top, 4], stack[top, 5], stack_imp[top]
        t0, t1, w_node = _node_totals(wc, w, samples, start, end)
        is_leaf = depth >= max_depth or end - start < 2
        if count == 0:
            impurity = _gini(t0, t1, w_node)
        is_leaf = is_leaf or impurity <= EPSILON
        node = first + count
        pos, f, t, il, ir, miss = end, 0, 0.0, np.inf, np.inf, False
        if not is_leaf:
            pos, f, t, il, ir, improvement, n_const, miss = _node_split(
                X, wc, w, ws, pre, start, end, n_const, impurity, max_features, (t0, t1), w_node
            )
            is_leaf = pos >= end or improvement + EPSILON < 0.0
        imp[node] = impurity
        n_node[node] = end - start
        w_nodes[node] = w_node
        if parent != _UNDEFINED:
            if is_left:
                left_child[first + parent] = count
            else:
                right_child[first + parent] = count
        value[node, 0] = t0 / w_node
        value[node, 1] = t1 / w_node
        if is_leaf:
            left_child[node] = _LEAF
            right_child[node] = _LEAF
            feat[node] = _UNDEFINED
            thr[node] = _UNDEFINED
            mgl[node] = 0
        else:
            feat[node] = f
            thr[node] = t
            mgl[node] = miss
            _push(stack, stack_imp, top, pos, end, depth + 1, count, 0, n_const, ir)
            _push(stack, stack_imp, top + 1, start, pos, depth + 1, count, 1, n_const, il)
            top += 2
        count += 1
        if depth > depth_seen:
            depth_seen = depth
    return count, depth_seen


@njit
def fit_trees(X, y, pre, weights, seeds, max_features, max_depth):
    """Grow one tree per row of ``weights`` (the sample weights) and ``seeds`` (the
    splitter's ``rand_r_state``) on float32 ``X`` and class codes ``y``; ``pre`` is ``presort(X)``.

    Returns the node arrays (feature, threshold, impurity, n_node_samples,
    weighted_n_node_samples, left_child, right_child, missing_go_to_left, value), the
    first node of each tree (one more entry: the total) and each tree's depth.
    """
    n_trees, n = weights.shape
    cap = n_trees * (2 * n + 1)
    out = (
        np.empty(cap, dtype=np.int64),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap, dtype=np.int64),
        np.empty(cap),
        np.empty(cap, dtype=np.int64),
        np.empty(cap, dtype=np.int64),
        np.empty(cap, dtype=np.uint8),
        np.empty((cap, 2)),
    )
    offsets = np.zeros(n_trees + 1, dtype=np.int64)
    depths = np.empty(n_trees, dtype=np.int64)
    for t in range(n_trees):
        count, depths[t] = _build(
            X, y, weights[t], pre, max_features, max_depth, seeds[t], out, offsets[t]
        )
        offsets[t + 1] = offsets[t] + count
    k = offsets[n_trees]
    nodes = (
        out[0][:k].copy(),
        out[1][:k].copy(),
        out[2][:k].copy(),
        out[3][:k].copy(),
        out[4][:k].copy(),
        out[5][:k].copy(),
        out[6][:k].copy(),
        out[7][:k].copy(),
        out[8][:k].copy(),
    )
    return nodes, offsets, depths


@njit(inline=True)
def _leaf(X, i, feature, threshold, left, right, node):
    """The leaf sample ``i`` reaches from ``node`` (``Tree.apply`` on dense data)."""
    root = node
    while left[node] != _LEAF:
        if X[i, feature[node]] <= threshold[node]:
            node = root + left[node]
        else:
            node = root + right[node]
    return node


@njit
def misclassified(X, y, feature, threshold, left, right, value, first):
    """Whether the tree at ``first`` predicts each row of ``X`` wrongly: the class of its
    leaf's larger fraction (the first of equal ones, as ``argmax``) against the class code
    ``y``."""
    out = np.empty(X.shape[0], dtype=np.bool_)
    for i in range(X.shape[0]):
        leaf = _leaf(X, i, feature, threshold, left, right, first)
        out[i] = (1 if value[leaf, 1] > value[leaf, 0] else 0) != y[i]
    return out


@njit
def forest_proba(X, feature, threshold, left, right, value, offsets):
    """The forest's probabilities: the trees' leaf fractions summed in tree order, then
    divided by the number of trees (``ForestClassifier.predict_proba``)."""
    n_trees = offsets.shape[0] - 1
    proba = np.zeros((X.shape[0], value.shape[1]))
    for t in range(n_trees):
        for i in range(X.shape[0]):
            proba[i] += value[_leaf(X, i, feature, threshold, left, right, offsets[t])]
    return proba / n_trees


@njit
def stump_votes(X, feature, threshold, left, right, value, offsets, weights):
    """SAMME's summed votes on two classes: each tree adds its weight to the column of
    the class it predicts (the first of equal fractions) and subtracts it from the other
    column, in tree order (``AdaBoostClassifier.decision_function`` before its division)."""
    n_trees = offsets.shape[0] - 1
    votes = np.zeros((X.shape[0], 2))
    for t in range(n_trees):
        wt = weights[t]
        for i in range(X.shape[0]):
            leaf = _leaf(X, i, feature, threshold, left, right, offsets[t])
            one = value[leaf, 1] > value[leaf, 0]
            votes[i, 0] += -wt if one else wt
            votes[i, 1] += wt if one else -wt
    return votes
