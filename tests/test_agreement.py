"""Cohen's and Fleiss' kappa against vcd (live and stored), Fleiss (1971) and invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstats import InputError, kappa2, kappam_fleiss
from hccstats.agreement import agreement_label

REF = Path(__file__).parent / "reference" / "agreement"


def _fleiss1971() -> np.ndarray:
    counts = pd.read_csv(REF / "fleiss1971_counts.csv").to_numpy()
    # subjects x 6 raters; which psychiatrist gave which diagnosis is not recorded (and
    # does not enter the non-exact Fleiss kappa)
    return np.array([np.repeat(np.arange(counts.shape[1]), row) for row in counts])


def _ratings_from_table(path: Path) -> tuple[list, list, list]:
    tab = pd.read_csv(path)
    a, b = tab.columns[:2]
    levels = list(dict.fromkeys(tab[a]))
    r1 = np.repeat(tab[a].to_numpy(), tab["Freq"].to_numpy())
    r2 = np.repeat(tab[b].to_numpy(), tab["Freq"].to_numpy())
    return list(r1), list(r2), levels


def test_fleiss_kappa_against_fleiss_1971_published():
    k = kappam_fleiss(_fleiss1971(), detail=True)
    # Fleiss (1971) prints kappa to 3 decimals: 0.430; tolerance = half a unit of the last digit
    assert abs(k.value - 0.430) < 5e-4
    published = [0.245, 0.245, 0.520, 0.471, 0.566]
    np.testing.assert_allclose(k.detail["estimate"], published, atol=5e-4)
    assert k.n_subjects == 30 and k.n_raters == 6
    # irr prints z = 17.7 for these data (kappam.fleiss(diagnoses)); 1 decimal
    assert round(k.statistic, 1) == 17.7
    assert k.label() == "moderate"


@pytest.mark.parametrize("table", ["SexualFun", "MSPatients_Winnipeg"])
def test_cohen_kappa_and_ase_against_vcd_stored(table):
    ref = pd.read_csv(REF / "vcd_kappa.csv")
    r1, r2, levels = _ratings_from_table(REF / f"{table}.csv")
    for _, row in ref[ref["table"] == table].iterrows():
        weight = {"Equal-Spacing": "linear", "Fleiss-Cohen": "quadratic"}[row["weights"]]
        u = kappa2(r1, r2, levels=levels)
        w = kappa2(r1, r2, weight, levels=levels)
        # stored with 15 significant digits by write.csv: agree to 1e-12 relative
        np.testing.assert_allclose(
            [u.value, u.se, u.ci.low, u.ci.high, w.value, w.se, w.ci.low, w.ci.high],
            row[
                [
                    "unweighted",
                    "unweighted_ase",
                    "unweighted_lwr",
                    "unweighted_upr",
                    "weighted",
                    "weighted_ase",
                    "weighted_lwr",
                    "weighted_upr",
                ]
            ].to_numpy(float),
            rtol=1e-12,
        )


@pytest.mark.r
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cohen_kappa_against_vcd_live(seed):
    from hccstats import rbridge

    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 5, 120)
    r1 = np.where(rng.random(120) < 0.7, truth, rng.integers(1, 5, 120))
    r2 = np.where(rng.random(120) < 0.6, truth, rng.integers(1, 5, 120))
    got = {w: kappa2(r1, r2, w, levels=[1, 2, 3, 4]) for w in ("unweighted", "linear", "quadratic")}
    # irr's call: kappa2(cbind(r1, r2), weight = "squared") -- one n x 2 matrix, irr's names
    ratings = np.column_stack([r1, r2])
    assert kappa2(ratings, "squared", levels=[1, 2, 3, 4]) == got["quadratic"]
    assert kappa2(ratings, weight="equal", levels=[1, 2, 3, 4]) == got["linear"]
    res = rbridge.run(
        """suppressPackageStartupMessages(library(vcd))
        tab <- table(factor(r1, levels = 1:4), factor(r2, levels = 1:4))
        e <- Kappa(tab, weights = "Equal-Spacing"); f <- Kappa(tab, weights = "Fleiss-Cohen")
        c(e$Unweighted, e$Weighted, f$Weighted)""",
        r1=r1.astype(float),
        r2=r2.astype(float),
    )
    # deterministic closed forms: 1e-10 relative
    np.testing.assert_allclose(
        [
            got["unweighted"].value,
            got["unweighted"].se,
            got["linear"].value,
            got["linear"].se,
            got["quadratic"].value,
            got["quadratic"].se,
        ],
        np.asarray(res, float),
        rtol=1e-10,
    )


def test_null_se_against_simulation():
    """se0 (irr's z) is the SD of kappa under independence: check by simulation."""
    rng = np.random.default_rng(7)
    p1, p2 = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    n = 150
    ks, se0s = [], []
    for _ in range(1500):
        a, b = rng.choice(3, n, p=p1), rng.choice(3, n, p=p2)
        k = kappa2(a, b, levels=[0, 1, 2])
        ks.append(k.value)
        se0s.append(k.se0)
    # Monte-Carlo SD of an SD from 1500 draws is about 1.8%; allow 6%
    assert np.std(ks) == pytest.approx(np.mean(se0s), rel=0.06)
    assert abs(np.mean(ks)) < 0.01


def test_kappa2_takes_an_n_by_2_ratings_matrix_as_irr():
    """irr::kappa2(ratings) takes one subjects x 2 matrix; every matrix form gives the same Kappa."""
    r1, r2 = [1, 2, 3, 3, 2, 1, 2, 3], [1, 2, 3, 2, 2, 1, 3, 3]
    pairs = kappa2(r1, r2, "linear")
    frame = pd.DataFrame({"session1": r1, "session2": r2})
    for ratings in (frame, frame.to_numpy(), list(zip(r1, r2))):
        assert kappa2(ratings, "linear") == pairs
        assert kappa2(ratings, weight="equal") == pairs
    with_missing = frame.astype(float).assign(session2=[1, 2, 3, np.nan, 2, 1, 3, 3])
    assert kappa2(with_missing, nan_policy="omit").n_omitted == 1


def test_perfect_agreement_and_symmetry():
    r = [1, 2, 3, 1, 2, 3, 3]
    assert kappa2(r, r).value == pytest.approx(1.0)
    assert kappam_fleiss(np.column_stack([r, r, r])).value == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=8, max_size=60))
def test_kappa2_symmetric_in_raters(pairs):
    a, b = zip(*pairs)
    if len(set(a) | set(b)) < 2 or not set(a) & set(b):
        return
    try:
        k1, k2 = (
            kappa2(a, b, "quadratic", levels=[0, 1, 2, 3]),
            kappa2(b, a, "quadratic", levels=[0, 1, 2, 3]),
        )
    except InputError:
        return  # a single category used by both
    assert k1.value == pytest.approx(k2.value, abs=1e-12)
    assert k1.se == pytest.approx(k2.se, abs=1e-12)


def test_conger_exact_equals_fleiss_when_raters_share_marginals():
    # each rater uses every category equally often: Conger's correction term is zero
    base = np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 0, 1], [1, 1, 2], [2, 2, 0]])
    ratings = np.vstack([base, base[:, [1, 2, 0]], base[:, [2, 0, 1]]])
    f, c = kappam_fleiss(ratings), kappam_fleiss(ratings, exact=True)
    assert c.value == pytest.approx(f.value, abs=1e-12)
    assert np.isnan(c.se) and np.isnan(c.p_value)


def test_conger_exact_against_hand_computation():
    # 4 subjects, 2 raters: rater A says [0,0,1,1], rater B [0,1,1,1]
    # P_o = (1+0+1+1)/4 = 0.75 ; pooled p = (3/8, 5/8) -> sum p^2 = 0.53125
    # rater proportions A (0.5,0.5), B (0.25,0.75): population variance per category
    # 0.015625 each; Conger chance = 0.53125 - 2*0.015625/(2-1) = 0.5
    k = kappam_fleiss(np.array([[0, 0], [0, 1], [1, 1], [1, 1]]), exact=True)
    assert k.value == pytest.approx((0.75 - 0.5) / 0.5)


@pytest.mark.parametrize(
    "value,study,lk",
    [
        (-0.1, "poor", "poor"),
        (0.2, "poor", "slight"),
        (0.35, "fair", "fair"),
        (0.6, "moderate", "moderate"),
        (0.75, "good", "substantial"),
        (0.9, "excellent", "almost perfect"),
    ],
)
def test_agreement_bands(value, study, lk):
    assert agreement_label(value) == study
    assert agreement_label(value, "landis_koch") == lk


def test_bad_input_errors_name_the_problem():
    with pytest.raises(InputError, match="mismatched lengths"):
        kappa2([1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="missing ratings"):
        kappa2([1, 2, None, 1], [1, 2, 2, 1])
    k = kappa2([1, 2, None, 1, 2], [1, 2, 2, 1, 1], nan_policy="omit")
    assert k.n_omitted == 1 and k.n_subjects == 4
    with pytest.raises(InputError, match="different category sets"):
        kappa2(["yes", "no", "yes"], [1, 0, 1])
    with pytest.raises(InputError, match="not among the levels"):
        kappa2([1, 2, 5], [1, 2, 2], levels=[1, 2, 3])
    with pytest.raises(InputError, match="weight"):
        kappa2([1, 2, 1], [1, 2, 2], "cubic")
    with pytest.raises(InputError, match="at least 2 raters"):
        kappam_fleiss(np.array([[1], [2], [1]]))
    with pytest.raises(InputError, match="exactly 2 raters.*kappam_fleiss"):
        kappa2(np.array([[1, 1, 2], [2, 2, 2], [1, 2, 1]]))
    with pytest.raises(InputError, match="n × 2 matrix"):
        kappa2([1, 2, 1])
    with pytest.raises(InputError, match="single category"):
        kappa2([1, 1, 1], [1, 1, 1])
