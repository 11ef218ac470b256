"""hccstats.signature building blocks against R, the published definitions and sklearn.

Stored R outputs: tests/reference/signature/ (make_reference.R, R 4.2.2, stats 4.2.2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_selection import RFE, SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression

from hccstats import InputError
from hccstats.baseline import wilcox_test
from hccstats.signature import (
    AnovaSelector,
    CorrelationPruner,
    ReliefF,
    RFESelector,
    SpearmanFilter,
    difference_table,
    relieff_weights,
    spearman_outcome,
)

REF = Path(__file__).parent / "reference" / "signature"
SMALL = pd.read_csv(REF / "data_small.csv")
BIG = pd.read_csv(REF / "data_big.csv")


# ---------------------------------------------------------------- Spearman filter
def test_spearman_p_against_stored_r_cor_test():
    # R: cor.test(x, y, method = "spearman", exact = FALSE); the same t approximation,
    # so agreement to the 15 digits write.csv keeps
    ref = pd.read_csv(REF / "spearman.csv")
    rho, p = spearman_outcome(SMALL[ref["feature"]].to_numpy(), SMALL["y"].to_numpy())
    np.testing.assert_allclose(rho, ref["rho"], rtol=1e-12)
    np.testing.assert_allclose(p, ref["p_value"], rtol=1e-10)


@pytest.mark.r
def test_spearman_p_against_r_live():
    from hccstats import rbridge

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 70).astype(float)
    X = pd.DataFrame(np.round(rng.normal(size=(70, 6)) + 0.4 * y[:, None], 1)).add_prefix("v")
    r = rbridge.run(
        "sapply(X, function(col) suppressWarnings(cor.test(col, y, method = 'spearman', "
        "exact = FALSE))$p.value)",
        X=X,
        y=y,
    )
    np.testing.assert_allclose(spearman_outcome(X.to_numpy(), y)[1], np.asarray(r), rtol=1e-10)


@pytest.mark.filterwarnings("ignore:No features were selected")  # sklearn, on the empty case
def test_spearman_filter_keeps_p_below_alpha_and_skips_constants():
    X = SMALL[["x1", "x2", "x3"]].to_numpy()
    X = np.c_[X, np.ones(len(X))]
    f = SpearmanFilter(alpha=0.05).fit(X, SMALL["y"])
    assert f.get_support().tolist() == [True, False, False, False]  # p = 0.0125, 0.96, 0.39, nan
    assert np.isnan(f.pvalues_[3])
    assert SpearmanFilter(alpha=0.001).fit(X, SMALL["y"]).transform(X).shape == (40, 0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_spearman_filter_invariant_to_monotone_transforms(seed):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], 15)
    X = rng.normal(size=(30, 5)) + 0.7 * y[:, None]
    a = SpearmanFilter().fit(X, y)
    b = SpearmanFilter().fit(np.exp(3 * X) + 7, y)
    np.testing.assert_allclose(a.pvalues_, b.pvalues_, rtol=1e-12)


# ---------------------------------------------------------------- pruning
def test_pruner_drops_the_partner_less_related_to_outcome():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    strong = y + 0.5 * rng.normal(size=100)
    weak_copy = strong + 0.2 * rng.normal(size=100)  # r > 0.9 with strong, weaker on y
    other = rng.normal(size=100)
    X = np.c_[weak_copy, other, strong]  # weak one first: column order must not matter
    pr = CorrelationPruner(0.9).fit(X, y)
    assert abs(np.corrcoef(weak_copy, strong)[0, 1]) > 0.9
    assert pr.get_support().tolist() == [False, True, True]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 0.95))
def test_pruner_leaves_no_pair_above_threshold(seed, thr):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(40, 3))
    X = np.c_[base, base + 0.3 * rng.normal(size=(40, 3)), rng.normal(size=(40, 2))]
    y = np.repeat([0, 1], 20)
    kept = CorrelationPruner(thr).fit_transform(X, y)
    r = np.abs(np.corrcoef(kept, rowvar=False))
    np.fill_diagonal(r, 0)
    assert kept.shape[1] >= 1 and r.max() <= thr


# ---------------------------------------------------------------- ReliefF
def _relieff_loop(X, y, k):
    """ReliefF as written in Robnik-Sikonja & Kononenko (2003), Fig. 3, two classes, m = n."""
    X = np.asarray(X, float)
    lo, hi = X.min(0), X.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    m, p = X.shape
    W = np.zeros(p)
    for i in range(m):
        dist = [(np.sum(np.abs(X[i] - X[j]) / span), j) for j in range(m) if j != i]
        dist.sort()  # ties by index, as the vectorised version
        hits = [j for _, j in dist if y[j] == y[i]][:k]
        misses = [j for _, j in dist if y[j] != y[i]][:k]
        for a in range(p):
            W[a] -= sum(abs(X[i, a] - X[j, a]) / span[a] for j in hits) / (m * len(hits))
            W[a] += sum(abs(X[i, a] - X[j, a]) / span[a] for j in misses) / (m * len(misses))
    return W


@pytest.mark.parametrize("k", [1, 3, 10])
def test_relieff_against_definition_loop(k):
    rng = np.random.default_rng(k)
    X = np.c_[rng.normal(size=(30, 4)), rng.integers(0, 3, 30)]  # a discrete, tied column
    y = rng.integers(0, 2, 30)
    # same sums in a different order: equal to rounding
    np.testing.assert_allclose(relieff_weights(X, y, k), _relieff_loop(X, y, k), atol=1e-13)


def test_relieff_informative_feature_gets_top_weight():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 60)
    X = rng.normal(size=(120, 20))
    X[:, 7] += 2.0 * y
    w = relieff_weights(X, y, 10)
    assert np.argmax(w) == 7 and w[7] > 0.05 > np.max(np.delete(w, 7))
    assert ReliefF(k=1).fit(X, y).get_support().nonzero()[0].tolist() == [7]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.01, 100), st.floats(-50, 50))
def test_relieff_invariant_to_positive_affine_rescaling(seed, scale, shift):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 2, 40)
    y[:2] = [0, 1]
    Z = X.copy()
    Z[:, 1] = scale * Z[:, 1] + shift  # diff() uses min-max scaled values
    np.testing.assert_allclose(relieff_weights(Z, y, 5), relieff_weights(X, y, 5), atol=1e-10)


def test_relieff_against_skrebate():
    skrebate = pytest.importorskip("skrebate")
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(60, 8)), rng.integers(0, 2, 60)
    ref = skrebate.ReliefF(n_neighbors=10, n_jobs=1).fit(X, y).feature_importances_
    np.testing.assert_allclose(relieff_weights(X, y, 10), ref, atol=1e-12)


# ---------------------------------------------------------------- selectors vs sklearn
@pytest.mark.parametrize("k", [1, 4, 12])
def test_rfe_selector_against_sklearn_rfe_step1(k):
    rng = np.random.default_rng(k)
    X, y = rng.uniform(size=(80, 15)), rng.integers(0, 2, 80)
    X[:, 3] += 0.5 * y
    ref = (
        RFE(LogisticRegression(solver="liblinear", max_iter=1000), n_features_to_select=k, step=1)
        .fit(X, y)
        .support_
    )
    assert (RFESelector(k=k).fit(X, y).get_support() == ref).all()


def test_anova_selector_against_selectkbest():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(50, 12)), rng.integers(0, 2, 50)
    for k in (1, 5, 12):
        ref = SelectKBest(f_classif, k=k).fit(X, y).get_support()
        assert (AnovaSelector(k=k).fit(X, y).get_support() == ref).all()
    assert AnovaSelector(k=99).fit(X, y).get_support().all()  # clipped, no error


# ---------------------------------------------------------------- Table 1 difference analysis
def _check_difference(got, ref):
    for col in [
        "q1_events",
        "median_events",
        "q3_events",
        "q1_nonevents",
        "median_nonevents",
        "q3_nonevents",
        "mw_statistic",
    ]:
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-12)
    assert got["mw_method"].tolist() == ref["mw_method"].tolist()
    # p-values: same formula (exact distribution / normal approximation with continuity
    # and tie correction); 1e-8 covers scipy's and R's different summation order
    np.testing.assert_allclose(got["mw_p_value"], ref["mw_p_value"], rtol=1e-8)
    # R fitted with glm.control(epsilon = 1e-14); glm's SE still uses the working weights
    # of its last IRLS step, which moves the CI limits by up to ~4e-8 relative: 1e-6
    np.testing.assert_allclose(
        got[["estimate", "ci_low", "ci_high"]].to_numpy(float),
        ref[["estimate", "ci_low", "ci_high"]].to_numpy(float),
        rtol=1e-6,
    )
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=1e-6)


def test_difference_table_against_stored_r():
    ref = pd.read_csv(REF / "difference.csv")
    small = difference_table(SMALL[["s_exact", "s_ties"]], SMALL["y"], per=0.1)
    big = difference_table({"s_big": BIG["s_big"]}, BIG["y"], per=0.1)
    _check_difference(pd.concat([small, big], ignore_index=True), ref)


@pytest.mark.r
def test_difference_table_against_r_live():
    from hccstats import rbridge

    rng = np.random.default_rng(8)
    y = np.repeat([0, 1], [30, 18]).astype(float)
    s = 1 / (1 + np.exp(-(rng.normal(size=48) + y)))
    r = rbridge.run(
        "w <- wilcox.test(s[y == 1], s[y == 0]); fit <- glm(y ~ I(s / 0.1), family = binomial, "
        "control = glm.control(epsilon = 1e-14, maxit = 100));"
        "c(w$statistic, w$p.value, exp(coef(fit)[2]), exp(confint.default(fit))[2, ],"
        "summary(fit)$coefficients[2, 4])",
        s=s,
        y=y,
    )
    got = difference_table({"s": s}, y).iloc[0]
    np.testing.assert_allclose(
        got[["mw_statistic", "mw_p_value"]].to_numpy(float), r[:2], rtol=1e-8
    )
    np.testing.assert_allclose(
        got[["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float), r[2:], rtol=1e-6
    )  # as in the stored test


def test_wilcox_branch_follows_r_default():
    x, y = np.arange(10.0), np.arange(10.0) + 0.5
    assert wilcox_test(x, y).method == "Wilcoxon rank sum exact test"
    assert "continuity" in wilcox_test(np.r_[x, 1.0], y).method  # a tie
    assert "continuity" in wilcox_test(np.arange(50.0), np.arange(50.0) + 0.5).method  # n >= 50


def test_difference_table_bad_input():
    with pytest.raises(InputError, match="signatures"):
        difference_table({"s": [0.1, np.nan, 0.3, 0.4]}, [0, 0, 1, 1])
    with pytest.raises(InputError, match="y"):
        difference_table({"s": [0.1, 0.2, 0.3, 0.4]}, [0, 0, 0, 0])
    with pytest.raises(InputError, match="per"):
        difference_table({"s": [0.1, 0.2, 0.3, 0.4]}, [0, 1, 0, 1], per=0)
