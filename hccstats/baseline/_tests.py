"""Two-group and contingency-table tests with R's defaults: wilcox.test, chisq.test, fisher.test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from .._errors import InputError
from .._results import TestResult
from .._validation import as_finite

__all__ = [
    "wilcox_test",
    "chisq_test",
    "fisher_test",
    "kruskal_test",
    "FisherTooLarge",
    "WilcoxonTest",
    "ChisqTest",
]

_REL_ERR = 1 + 1e-7  # R's fisher.test: tables with P <= P_obs * (1 + 1e-7) count as "as extreme"


@dataclass(frozen=True, repr=False)
class WilcoxonTest(TestResult):
    """The Wilcoxon rank-sum test: ``statistic`` (R's W), ``p_value``, ``exact`` (the exact
    distribution was used), ``ties`` (the pooled values hold ties). ``to_frame()`` is the
    one-row test."""

    exact: bool = False
    ties: bool = False


@dataclass(frozen=True, repr=False)
class ChisqTest(TestResult):
    """Pearson's chi-squared test: ``statistic``, ``df``, ``p_value`` and ``min_expected``, the
    smallest expected count (below 5, R warns that the approximation may be incorrect).
    ``to_frame()`` is the one-row test."""

    min_expected: float = float("nan")


def wilcox_test(x: Any, y: Any, *, exact: bool | None = None, correct: bool = True) -> WilcoxonTest:
    """Two-sample Wilcoxon rank-sum (Mann–Whitney U) test, two-sided, as R's ``wilcox.test(x, y)``.

    R's defaults: the exact distribution when both samples have fewer than 50 values and there
    are no ties; otherwise the normal approximation with tie correction and (``correct=True``)
    continuity correction. The statistic is R's W (the U of ``x``).

    Examples
    --------
    >>> wilcox_test([1.1, 2.2, 3.3], [4.4, 5.5, 6.6]).p_value
    0.1
    """
    x, y = as_finite(x, "x"), as_finite(y, "y")
    nx, ny = len(x), len(y)
    if nx == 0 or ny == 0:
        raise InputError(f"wilcox_test: both samples need values (x has {nx}, y has {ny})")
    ranks = stats.rankdata(np.concatenate([x, y]))
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    _, tie_counts = np.unique(ranks, return_counts=True)
    ties = bool((tie_counts > 1).any())
    use_exact = (nx < 50 and ny < 50) if exact is None else exact
    if use_exact and not ties:
        p = float(stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue)
        method = "Wilcoxon rank sum exact test"
    else:
        z = w - nx * ny / 2
        sigma = math.sqrt(
            (nx * ny / 12)
            * ((nx + ny + 1) - (tie_counts**3 - tie_counts).sum() / ((nx + ny) * (nx + ny - 1)))
        )
        if sigma == 0:
            return WilcoxonTest(
                w, float("nan"), "Wilcoxon rank sum test (all values tied)", ties=True
            )
        z = (z - (np.sign(z) * 0.5 if correct else 0.0)) / sigma
        p = float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))
        method = "Wilcoxon rank sum test" + (" with continuity correction" if correct else "")
    return WilcoxonTest(w, min(p, 1.0), method, exact=use_exact and not ties, ties=ties)


def kruskal_test(*samples: Any) -> TestResult:
    """Kruskal–Wallis rank-sum test (tie-corrected), as R's ``kruskal.test``."""
    arrays = [as_finite(s, f"sample {i + 1}") for i, s in enumerate(samples)]
    h, p = stats.kruskal(*arrays)
    return TestResult(float(h), float(p), "Kruskal-Wallis rank sum test", df=len(arrays) - 1)


def _table(table: Any) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or min(t.shape) < 2:
        raise InputError(
            f"table: need a 2-D contingency table with at least 2 rows and columns, got {t.shape}"
        )
    if (t < 0).any() or not np.allclose(t, np.round(t)):
        raise InputError("table: counts must be non-negative integers")
    return np.round(t)


def chisq_test(table: Any, *, correct: bool = False) -> ChisqTest:
    """Pearson's chi-squared test of independence, as R's ``chisq.test(table, correct=)``.

    ``correct=True`` applies Yates's continuity correction to 2×2 tables only, as R does
    (``min(0.5, |O - E|)`` subtracted from each ``|O - E|``). Note R's default is
    ``correct=TRUE``; the reference study's Table 1 uses the uncorrected test.
    """
    t = _table(table)
    n = t.sum()
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    if (expected == 0).any():
        raise InputError("chisq_test: a row or column of the table is empty (expected count 0)")
    diff = np.abs(t - expected)
    yates = correct and t.shape == (2, 2)
    if yates:
        diff = diff - np.minimum(0.5, diff)
    stat = float((diff**2 / expected).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    method = "Pearson's Chi-squared test" + (" with Yates' continuity correction" if yates else "")
    return ChisqTest(
        stat,
        float(stats.chi2.sf(stat, df)),
        method,
        df=df,
        min_expected=float(expected.min()),
    )


def fisher_test(table: Any, *, max_nodes: int = 2_000_000) -> TestResult:
    """Fisher's exact test for an r×c table, two-sided, as R's ``fisher.test``.

    The p-value sums the probabilities (fixed margins, multiple hypergeometric) of all
    tables no more likely than the observed one (R's relative tolerance 1e-7). The
    enumeration is a depth-first network search over columns that counts whole sub-trees
    at once where bounds show all (closed form) or none of their tables qualify. For a 2×2
    table ``estimate`` is R's conditional maximum-likelihood odds ratio (``statistic`` is nan:
    the test has none).
    """
    t = _table(table)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(t.shape) < 2:
        return TestResult(float("nan"), 1.0, "Fisher's Exact Test for Count Data")
    if t.shape[0] > t.shape[1]:
        t = t.T
    t = t[:, np.argsort(-t.sum(axis=0), kind="stable")]
    rows, cols = t.sum(axis=1).astype(int), t.sum(axis=0).astype(int)
    lg = special.gammaln
    p = _FisherNetwork(rows, cols, max_nodes).p_value(float(-lg(t + 1).sum()))
    estimate = _conditional_mle_or(t) if t.shape == (2, 2) else None
    return TestResult(float("nan"), p, "Fisher's Exact Test for Count Data", estimate=estimate)


MAX_STORED = 4_000_000  # partial-table values held at once (about 64 MB with their weights)


class FisherTooLarge(InputError):
    """The r×c table is too large for the exact enumeration within the time and memory bounds."""


class _FisherNetwork:
    """Network enumeration of tables with fixed margins, column by column (as FEXACT).

    Level j holds, for each node (row totals still to fill), the distinct log-probabilities
    of the partial tables reaching it with their multiplicities. Per node, bounds of the
    completions decide for each past value whether all completions qualify (added in
    closed form), none do (dropped), or the node must be expanded.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, max_nodes: int):
        self.rows, self.cols, self.max_nodes = rows, cols, max_nodes
        n = int(rows.sum())
        lg = special.gammaln
        # log P(table) = const + sum_ij -log x_ij!
        self.const = float(lg(rows + 1).sum() + lg(cols + 1).sum() - lg(n + 1))

    def p_value(self, obs_term: float) -> float:
        limit = self.const + obs_term + math.log(_REL_ERR)
        level = {tuple(int(r) for r in self.rows): (np.array([self.const]), np.array([1.0]))}
        total, nodes, stored = 0.0, 0, 1
        last = len(self.cols) - 1
        for j in range(last):
            nxt: dict[tuple[int, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
            for node, (vals, wts) in level.items():
                nodes += 1
                if nodes > self.max_nodes:
                    raise FisherTooLarge(
                        f"fisher_test: the table is too large for the exact enumeration (over {self.max_nodes} "
                        "nodes); use chisq_test or raise max_nodes"
                    )
                lo, hi = self._bounds(j, node)
                every = vals + hi <= limit
                if every.any():
                    total += float(
                        (
                            wts[every] * np.exp(vals[every] + self._log_all_completions(j, node))
                        ).sum()
                    )
                keep = ~every & (vals + lo <= limit)
                if not keep.any():
                    continue
                v, w = vals[keep], wts[keep]
                for x in _compositions(int(self.cols[j]), node):
                    new = tuple(r - xi for r, xi in zip(node, x))
                    term = -float(sum(math.lgamma(xi + 1) for xi in x))
                    nxt.setdefault(new, []).append((v + term, w))
                    stored += v.size
                    if stored > MAX_STORED:  # memory, not only the number of nodes, is bounded
                        raise FisherTooLarge(
                            f"fisher_test: the table is too large for the exact enumeration (over "
                            f"{MAX_STORED:,} partial tables held at once); use chisq_test"
                        )
            level = {node: _merge(parts) for node, parts in nxt.items()}
            stored = sum(v.size for v, _ in level.values())
        for node, (vals, wts) in level.items():
            vals = vals - float(sum(math.lgamma(r + 1) for r in node))
            ok = vals <= limit
            total += float((wts[ok] * np.exp(vals[ok])).sum())
        return float(min(1.0, total))

    def _log_all_completions(self, j: int, remaining: tuple[int, ...]) -> float:
        # log of the sum over completions of prod 1/x! = prod_j 1/c_j! * (sum c)! / prod_i R_i!
        lg = special.gammaln
        cols = self.cols[j:]
        return float(-lg(cols + 1).sum() + lg(cols.sum() + 1) - lg(np.array(remaining) + 1).sum())

    def _bounds(self, j: int, remaining: tuple[int, ...]) -> tuple[float, float]:
        """Lower and upper bounds of sum_ij -log x_ij! over completions from column j on."""
        lo = hi = 0.0
        caps = np.array(remaining, dtype=float)
        for c in self.cols[j:]:
            lo -= _greedy_fill(caps, c)
            hi -= _even_fill(caps, c)
        return lo, hi


def _merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join the past values reaching one node; equal values (to 1e-11) merge, weights add."""
    vals = np.concatenate([p[0] for p in parts])
    wts = np.concatenate([p[1] for p in parts])
    keys, first, inverse = np.unique(np.round(vals, 11), return_index=True, return_inverse=True)
    return vals[first], np.bincount(inverse, weights=wts, minlength=len(keys))


def _greedy_fill(caps: np.ndarray, c: int) -> float:
    """max of sum log x_i! with sum x = c, 0 <= x_i <= caps (fill the largest caps first)."""
    out, left = 0.0, c
    for cap in sorted(caps, reverse=True):
        take = min(cap, left)
        out += math.lgamma(take + 1)
        left -= take
        if left <= 0:
            break
    return out


def _even_fill(caps: np.ndarray, c: int) -> float:
    """min of sum log x_i! with sum x = c, 0 <= x_i <= caps (water-filling, as even as possible)."""
    x = np.zeros(len(caps))
    left = c
    order = np.argsort(caps)
    k = len(caps)
    for idx, i in enumerate(order):
        share = left / (k - idx)
        x[i] = min(caps[i], math.floor(share)) if idx < k - 1 else min(caps[i], left)
        left -= x[i]
    # distribute the integer remainder one by one where capacity allows
    for i in order[::-1]:
        while left > 0 and x[i] < caps[i]:
            x[i] += 1
            left -= 1
    return float(special.gammaln(x + 1).sum())


def _compositions(total: int, caps: tuple[int, ...]):
    """All integer x with sum x = total and 0 <= x_i <= caps_i."""
    k = len(caps)

    def rec(i: int, left: int, prefix: list[int]):
        if i == k - 1:
            if left <= caps[i]:
                yield (*prefix, left)
            return
        room = sum(caps[i + 1 :])
        for v in range(max(0, left - room), min(caps[i], left) + 1):
            yield from rec(i + 1, left - v, prefix + [v])

    yield from rec(0, total, [])


def _conditional_mle_or(t: np.ndarray) -> float:
    """R's conditional MLE of the odds ratio of a 2×2 table (noncentral hypergeometric)."""
    x = int(t[0, 0])
    m, n, k = int(t[0].sum()), int(t[1].sum()), int(t[:, 0].sum())
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)
    if x == lo:
        return 0.0
    if x == hi:
        return float("inf")

    def mean(log_or: float) -> float:
        d = logdc + log_or * support
        d = np.exp(d - d.max())
        return float((support * d).sum() / d.sum())

    from scipy.optimize import brentq

    return float(math.exp(brentq(lambda u: mean(u) - x, -50, 50, xtol=1e-12)))
