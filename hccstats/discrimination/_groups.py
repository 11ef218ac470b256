"""Patients grouped by equal score: the one sort behind every ROC curve.

With numba the score's bits are packed with each patient's index into 64-bit keys in one
compiled pass, numpy sorts the keys (its vectorised integer sort), and a second compiled
pass walks the sorted keys once: it reads each patient's score, opens a group at each new
value, counts cases and controls per group and writes each patient's group. Without numba
the same groups come from :func:`~hccstats.discrimination._sort.sort_order` and vectorised
numpy (a scatter, two gathers, a cumulative sum and a histogram). Both give identical arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import HAVE_NUMBA, njit
from ._sort import packed_index_bits, sort_order

__all__ = ["ScoreGroups", "score_groups"]


@dataclass(frozen=True, repr=False, eq=False)
class ScoreGroups:
    """Patients grouped by equal oriented score (the score for direction "<", minus the score
    for ">"), in ascending order: everything the AUC, DeLong's placements, the bootstrap and the
    cut-offs need, from one sort.

    Attributes
    ----------
    values : numpy.ndarray
        The distinct oriented scores, ascending.
    case_counts, control_counts : numpy.ndarray
        Cases and controls in each group.
    case_group, control_group : numpy.ndarray
        Group index of each case and of each control, in patient order.
    """

    values: np.ndarray
    case_counts: np.ndarray
    control_counts: np.ndarray
    case_group: np.ndarray
    control_group: np.ndarray

    @property
    def size(self) -> int:
        """Number of groups (distinct scores)."""
        return int(self.values.size)

    def of_patients(self, y_true: np.ndarray) -> np.ndarray:
        """Group index of every patient, in patient order (``y_true``: 0/1, 1 = case)."""
        group = np.empty(y_true.size, dtype=self.case_group.dtype)
        is_case = y_true == 1
        group[is_case] = self.case_group
        group[~is_case] = self.control_group
        return group


def score_groups(oriented: np.ndarray, y: np.ndarray, compiled: bool = HAVE_NUMBA) -> ScoreGroups:
    """The patients grouped by distinct ``oriented`` score (finite float64); ``y``: 0/1 int64.

    ``compiled=False`` takes the vectorised numpy path even where numba is installed (the
    tests compare both paths).
    """
    if compiled:
        return _groups_compiled(oriented, y)
    return _groups_vectorised(oriented, y == 1)


def _index_type(n: int):
    return np.int32 if n < 2**31 else np.int64


def _groups_vectorised(oriented: np.ndarray, is_case: np.ndarray) -> ScoreGroups:
    order, sorted_values = sort_order(oriented)
    new = np.empty(sorted_values.size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    group_sorted = np.cumsum(new, dtype=_index_type(sorted_values.size))
    group_sorted -= 1
    n_groups = int(group_sorted[-1]) + 1
    group = np.empty_like(group_sorted)
    group[order] = group_sorted
    case_group = group[is_case]
    case_counts = np.bincount(case_group, minlength=n_groups)
    sizes = np.diff(np.append(np.flatnonzero(new), sorted_values.size))
    return ScoreGroups(
        sorted_values[new], case_counts, sizes - case_counts, case_group, group[~is_case]
    )


def _groups_compiled(oriented: np.ndarray, y: np.ndarray) -> ScoreGroups:
    x = np.ascontiguousarray(oriented, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.int64)
    n = x.size
    k = packed_index_bits(n)
    if k is None:  # too many patients to pack: numpy's sorting permutation, one index per key
        key, k = sort_order(x)[0].astype(np.uint64), 63
    else:
        key = _pack_keys(x, k)
        key.sort()
    group = np.empty(n, dtype=_index_type(n))
    values = np.empty(n)
    counts = np.zeros((2, n), dtype=np.int64)  # patients, cases per group
    is_case = y == 1
    n_groups = _group_sorted_keys(key, k, x, is_case, group, values, counts)
    n_cases = int(np.count_nonzero(is_case))
    case_group = np.empty(n_cases, dtype=group.dtype)
    control_group = np.empty(n - n_cases, dtype=group.dtype)
    _split_by_class(group, is_case, case_group, control_group)
    if n_groups < n:  # keep only the groups' part (copies, so the rest is freed)
        values, counts = values[:n_groups].copy(), counts[:, :n_groups].copy()
    counts[0] -= counts[1]  # controls
    return ScoreGroups(values, counts[1], counts[0], case_group, control_group)


@njit
def _pack_keys(x, k):
    """Sort keys: the bits of ``x[i]`` mapped to an unsigned integer of the same order, the
    lowest ``k`` bits replaced by ``i`` (as :func:`~._sort.sort_order` builds them)."""
    bits = x.view(np.uint64)
    key = np.empty(x.size, dtype=np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    high = ~((np.uint64(1) << np.uint64(k)) - np.uint64(1))
    for i in range(x.size):
        b = bits[i]
        b = ~b if b & sign else b | sign
        key[i] = (b & high) | np.uint64(i)
    return key


@njit
def _group_sorted_keys(key, k, x, is_case, group, values, counts):
    """Walk the sorted keys once; return the number of groups.

    Fills ``group[i]`` (patient i's group), ``values[g]`` (group g's score) and
    ``counts[0, g]``, ``counts[1, g]`` (patients and cases in group g). Keys that share
    their high bits (a stretch of ties, or of values that differ only in the packed-away
    low bits) are first put in the order of their values.
    """
    shift = np.uint64(k)
    low = (np.uint64(1) << shift) - np.uint64(1)
    _order_stretches(key, shift, low, x)
    g = -1
    prev = 0.0
    for j in range(key.size):
        i = np.intp(key[j] & low)
        v = x[i]
        if v != prev or g < 0:
            g += 1
            values[g] = v
            prev = v
        group[i] = g
        counts[0, g] += 1
        counts[1, g] += is_case[i]
    return g + 1


@njit
def _order_stretches(key, shift, low, x):
    """Every stretch of sorted keys with equal high bits in the order of the values."""
    n = key.size
    j = 1
    while j < n:
        high = key[j] >> shift
        if high != key[j - 1] >> shift:
            j += 1
            continue
        end = j + 1
        while end < n and key[end] >> shift == high:
            end += 1
        _order_stretch(key[j - 1 : end], high, shift, low, x)
        j = end + 1


@njit
def _order_stretch(stretch, high, shift, low, x):
    """Put a stretch of keys with equal high bits in the order of their values (stable)."""
    for j in range(1, stretch.size):
        if x[np.intp(stretch[j] & low)] < x[np.intp(stretch[j - 1] & low)]:
            break
    else:
        return
    index = stretch & low
    v = np.empty(stretch.size)
    for j in range(stretch.size):
        v[j] = x[np.intp(index[j])]
    order = np.argsort(v, kind="mergesort")
    for j in range(stretch.size):
        stretch[j] = (high << shift) | index[order[j]]


@njit
def _split_by_class(group, is_case, case_group, control_group):
    """``group`` of the cases and of the controls, each in patient order."""
    a = 0
    b = 0
    for i in range(group.size):
        if is_case[i]:
            case_group[a] = group[i]
            a += 1
        else:
            control_group[b] = group[i]
            b += 1
