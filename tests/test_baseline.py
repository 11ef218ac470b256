"""table_one and its tests against R (wilcox.test, chisq.test, fisher.test): stored and live."""

from __future__ import annotations

from pathlib import Path

import _datasets
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hccstats as hs
from hccstats import InputError, table_one
from hccstats.baseline import chisq_test, fisher_test, wilcox_test

REF = Path(__file__).parent / "reference" / "baseline"
SETS = {
    "birthwt": ("smoke", ["age", "lwt", "bwt"], ["race", "ht", "ui", "ftv", "low", "ptl"]),
    "infert": (
        "case",
        ["age", "parity", "pooled.stratum"],
        ["education", "induced", "spontaneous"],
    ),
}


def _table_data(dataset: str) -> pd.DataFrame:
    """The data of make_baseline_tests.R: birthwt with race labelled and ftv as 0, 1, 2+;
    infert with education as text."""
    if dataset == "birthwt":
        d = _datasets.birthwt_race_labelled()
        d["race"] = d["race"].astype(str)
        d["ftv"] = np.minimum(d["ftv"], 2).map({0: "0", 1: "1", 2: "2+"})
        return d
    d = _datasets.infert()
    d["education"] = d["education"].astype(str)
    return d


@pytest.mark.parametrize("dataset", sorted(SETS))
def test_table_one_pvalues_against_stored_r(dataset):
    group, cont, cat = SETS[dataset]
    data = _table_data(dataset)
    ref = pd.read_csv(REF / "baseline_tests.csv").query("dataset == @dataset").set_index("variable")
    t = table_one(data, group, cont + cat, categorical=cat).tests.set_index("variable")
    for var, row in ref.iterrows():
        assert t.loc[var, "test"] == row["test"], var
        # R wrote 15 significant digits; closed forms and exact enumerations agree to 1e-10
        assert t.loc[var, "p_value"] == pytest.approx(row["p_value"], rel=1e-10), var
        if np.isfinite(row["statistic"]):
            assert t.loc[var, "statistic"] == pytest.approx(row["statistic"], rel=1e-10), var


def test_table_one_summary_quantiles_and_missing():
    df = pd.DataFrame(
        {
            "g": ["a"] * 5 + ["b"] * 5,
            "x": [1, 2, 3, 4, np.nan, 5, 6, 7, 8, 9.5],
            "c": ["u", "v", "u", None, "u", "v", "v", "v", "u", "v"],
        }
    )
    t = table_one(df, "g", ["x", "c"], overall=True)
    s = t.summary.set_index(["variable", "group", "level"], drop=False)
    # R: quantile(c(1,2,3,4)) -> 1.75 2.5 3.25 (type 7)
    xa = t.summary.query("variable == 'x' and group == 'a'").iloc[0]
    assert (xa["q1"], xa["median"], xa["q3"], xa["n_missing"], xa["n"]) == (1.75, 2.5, 3.25, 1, 4)
    # categorical percent among non-missing: group a has u,v,u,(missing),u -> u = 3/4
    ca = t.summary.query("variable == 'c' and group == 'a' and level == 'u'").iloc[0]
    assert ca.n == 3 and ca.percent == pytest.approx(75.0) and ca.n_missing == 1
    assert set(t.summary.group) == {"a", "b", "Overall"}
    assert int(t.tests.set_index("variable").loc["x", "n_missing"]) == 1
    assert len(s) == len(t.summary)


@pytest.mark.r
@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=4), min_size=2, max_size=3))
def test_fisher_rxc_against_r_live(rows):
    from hccstats import rbridge

    width = min(len(r) for r in rows)
    tab = np.array([r[:width] for r in rows], dtype=float)
    if (tab.sum(axis=0) == 0).sum() > width - 2 or (tab.sum(axis=1) == 0).sum() > len(tab) - 2:
        return
    ours = fisher_test(tab).p_value
    ref = rbridge.run("fisher.test(m)$p.value", m=tab)
    # network enumeration vs FEXACT: equal up to floating-point summation order
    assert ours == pytest.approx(ref, rel=1e-8)


@pytest.mark.r
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wilcox_and_chisq_against_r_live(seed):
    from hccstats import rbridge

    rng = np.random.default_rng(seed)
    x = np.round(rng.gamma(2, 10, 40 + 20 * seed), 0 if seed else 3)  # ties when rounded
    y = np.round(rng.gamma(2.5, 10, 30 + 25 * seed), 0 if seed else 3)
    tab = rng.integers(5, 40, (2, 2)).astype(float)
    res = rbridge.run(
        """w <- suppressWarnings(wilcox.test(x, y)); a <- chisq.test(m, correct = FALSE); b <- chisq.test(m)
        c(w$statistic, w$p.value, a$statistic, a$p.value, b$statistic, b$p.value)""",
        x=x,
        y=y,
        m=tab,
    )
    w, a, b = wilcox_test(x, y), chisq_test(tab), chisq_test(tab, correct=True)
    np.testing.assert_allclose(
        [w.statistic, w.p_value, a.statistic, a.p_value, b.statistic, b.p_value],
        np.asarray(res, float),
        rtol=1e-10,
    )


def test_wilcox_exact_rule_as_r():
    # fewer than 50 per group and no ties: exact; a tie switches to the normal approximation
    assert "exact" in wilcox_test([1.5, 2.5, 3.5], [4.5, 5.5, 6.5, 7.5]).method
    assert "continuity" in wilcox_test([1, 2, 2], [4, 5, 6]).method
    # R: wilcox.test(c(1.1,2.2,3.3), c(4.4,5.5,6.6))$p.value == 0.1 (exact, 2/20)
    assert wilcox_test([1.1, 2.2, 3.3], [4.4, 5.5, 6.6]).p_value == pytest.approx(0.1)


def test_smd_binary_against_formula():
    # tableone's binary SMD = |p1 - p2| / sqrt((p1(1-p1) + p2(1-p2)) / 2)
    df = pd.DataFrame(
        {"g": [0] * 10 + [1] * 10, "b": ["y"] * 3 + ["n"] * 7 + ["y"] * 6 + ["n"] * 4}
    )
    smd = table_one(df, "g", ["b"]).tests.smd.iloc[0]
    p1, p2 = 0.3, 0.6
    assert smd == pytest.approx(abs(p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2))


def test_table_one_bad_input():
    df = pd.DataFrame({"g": ["a", "b", None], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="without a group"):
        table_one(df, "g", ["x"])
    with pytest.raises(InputError, match=r"\['nope'\] not found"):
        table_one(df.dropna(), "g", ["nope"])
    with pytest.raises(InputError, match="at least 2 groups"):
        table_one(df.assign(g="a"), "g", ["x"])
    with pytest.raises(InputError, match="non-numeric"):
        wilcox_test(["a", "b"], [1.0, 2.0])
    with pytest.raises(InputError, match="non-negative integers"):
        fisher_test([[1, -1], [2, 3]])


@pytest.mark.r
def test_table_one_formatted_against_r_sprintf():
    """The formatted view prints what R's quantile/table/tests give, rounded as sprintf does
    (one decimal for medians, quartiles and percentages, three for p, "< 0.001" below):
    the strings are equal."""
    from hccstats import rbridge

    data = _table_data("birthwt")
    data.loc[[4, 9], "age"] = np.nan  # missing values are counted, not hidden
    view = table_one(data, "smoke", ["age", "race"], categorical=["race"]).formatted(
        group_names={0: "Non-smoker", 1: "Smoker"}
    )
    r = rbridge.run(
        """fp <- function(p) if (p < 0.001) "< 0.001" else sprintf("%.3f", p)
        q <- function(x) { v <- quantile(x, na.rm = TRUE, names = FALSE)
                              sprintf("%.1f (%.1f, %.1f)", v[3], v[2], v[4]) }
        tab <- table(d$race, d$smoke); pct <- 100 * prop.table(tab, 2)
        c(q(d$age[d$smoke == 0]), q(d$age[d$smoke == 1]),
          fp(wilcox.test(age ~ smoke, data = d)$p.value),
          fp(chisq.test(tab, correct = FALSE)$p.value),
          sprintf("%d (%.1f%%)", tab[, 1], pct[, 1]), sprintf("%d (%.1f%%)", tab[, 2], pct[, 2]),
          as.character(sum(d$smoke == 0)), as.character(sum(d$smoke == 1)))""",
        d=data,
    )
    r = list(np.asarray(r, dtype=object))
    assert list(view.columns) == [
        "Characteristic",
        f"Non-smoker (n = {r[10]})",
        f"Smoker (n = {r[11]})",
        "p value",
        "Test",
    ]
    age, race = view.iloc[0], view.iloc[1]
    assert age.tolist() == ["age, median (IQR) [missing 2]", r[0], r[1], r[2], "Mann–Whitney U"]
    assert race["Characteristic"] == "race, n (%)" and race["p value"] == r[3]
    assert race["Test"] == "χ²"
    levels = view.iloc[2:5]
    assert levels["Characteristic"].str.strip().tolist() == sorted(data["race"].unique())
    assert levels.iloc[:, 1].tolist() == r[4:7] and levels.iloc[:, 2].tolist() == r[7:10]


def test_table_one_to_docx_reads_back(tmp_path):
    """to_docx writes the formatted table (header and every cell) into a Word table."""
    from docx import Document

    data = _table_data("birthwt")
    t = table_one(data, "smoke", ["age", "lwt", "race"], categorical=["race"], overall=True)
    view = t.formatted(smd=True)
    path = t.to_docx(tmp_path / "table1.docx", caption="Table 1 Mothers by smoking", smd=True)
    doc = Document(str(path))
    (table,) = doc.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == list(view.columns) and "Overall (n = 189)" in cells[0]
    assert cells[1:] == view.to_numpy().tolist()
    assert any("Table 1" in p.text for p in doc.paragraphs)
    assert [p.name for p in tmp_path.iterdir()] == ["table1.docx"]  # no temporary file left
    with pytest.raises(InputError, match=".docx"):
        t.to_docx(tmp_path / "table1.csv")
    with pytest.raises(InputError, match="does not exist"):
        t.to_docx(tmp_path / "nope" / "t.docx")


@pytest.mark.r
@pytest.mark.parametrize("n_groups", [2, 3])
def test_table_one_ordinal_keeps_declared_order_and_tests_ranks_against_r(n_groups):
    from hccstats import rbridge

    order = ["<=20", "20-50", ">50"]  # sorted as text this would be 20-50, <=20, >50
    rng = np.random.default_rng(n_groups)
    n = 90
    group = rng.choice(["A", "B", "C"][:n_groups], n)
    size = np.array(order)[np.minimum(rng.integers(0, 3, n) + (group == "B"), 2)].astype(object)
    size[size == ">50"] = np.where(rng.uniform(size=(size == ">50").sum()) < 0.3, None, ">50")
    df = pd.DataFrame({"g": group, "size": size})
    t = table_one(df, "g", ["size"], ordinal={"size": order})
    levels = t.summary.loc[t.summary["group"] == t.groups[0], "level"].tolist()
    assert levels == order
    row = t.tests.iloc[0]
    test = "wilcox.test(r ~ g, data = d)" if n_groups == 2 else "kruskal.test(r ~ g, data = d)"
    ref = rbridge.run(
        f"""d$r <- as.integer(factor(d$size, levels = L))
        w <- suppressWarnings({test}); c(w$statistic, w$p.value)""",
        d=df.assign(size=df["size"].astype("string")),
        L=order,
    )
    assert row["kind"] == "ordinal"
    np.testing.assert_allclose(
        [row["statistic"], row["p_value"]], np.asarray(ref, float), rtol=1e-10
    )


def test_table_one_ordinal_value_not_declared_named():
    df = pd.DataFrame({"g": ["a", "b"] * 5, "size": ["<=20", "20-50", ">50", "huge", "<=20"] * 2})
    with pytest.raises(InputError, match=r"ordinal\['size'\].*'huge'"):
        table_one(df, "g", ["size"], ordinal={"size": ["<=20", "20-50", ">50"]})


@pytest.mark.r
def test_fisher_too_large_falls_back_to_chisq_with_a_note_against_r():
    """MASS::biopsy's 10-level clump thickness by class: R's fisher.test stops (FEXACT error 7,
    workspace); the enumeration here stops within its memory bound, and Table 1 shows
    Pearson's χ² (R: chisq.test(correct = FALSE)) with a note saying why."""
    from hccstats import rbridge
    from hccstats.baseline import FisherTooLarge

    d = _datasets.biopsy()
    with pytest.raises(FisherTooLarge):
        fisher_test(pd.crosstab(d["V1"], d["class"]).to_numpy())
    t = table_one(d.assign(V1=d["V1"].astype(str)), "class", ["V1"])
    row = t.tests.iloc[0]
    assert row["test"] == "Pearson's Chi-squared test"
    assert any("not feasible" in n and "2×10" in n for n in t.notes)
    ref = rbridge.run(
        "suppressWarnings(chisq.test(table(x, g), correct = FALSE)$p.value)",
        x=d["V1"].astype(str).to_numpy(),
        g=d["class"].to_numpy(),
    )
    assert row["p_value"] == pytest.approx(float(ref), rel=1e-10)


def test_tests_have_their_own_results_one_value_per_cell():
    """wilcox_test and chisq_test say more than statistic and p: typed fields, one flat row."""
    w = wilcox_test([1.1, 2.2, 3.3], [4.4, 5.5, 6.6])
    assert isinstance(w, hs.WilcoxonTest) and w.exact and not w.ties
    tied = wilcox_test([1, 2, 2], [4, 5, 6])
    assert not tied.exact and tied.ties
    tab = np.array([[12, 5], [7, 9]])
    c = chisq_test(tab)
    assert isinstance(c, hs.ChisqTest)
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    assert c.min_expected == pytest.approx(expected.min(), rel=1e-15)
    for res in (w, tied, c, fisher_test(tab)):
        row = res.to_frame()
        assert row.shape[0] == 1 and not hasattr(res, "extra")
        assert all(np.ndim(v) == 0 and not isinstance(v, pd.DataFrame) for v in row.iloc[0])
    assert row.loc[0, "estimate"] == fisher_test(tab).estimate
    assert list(w.to_frame().columns[-2:]) == ["exact", "ties"]
    assert w.to_frame().loc[0, "statistic"] == w.statistic


def test_a_group_without_patients_gets_no_test_not_a_p_value():
    # an external validation: every patient in one set; a test of "training vs validation"
    # compares nothing (R's chisq.test/fisher.test of table(x, g) stop on it)
    d = _datasets.birthwt_race_labelled()
    d["set"] = pd.Categorical(["validation"] * len(d), categories=["training", "validation"])
    t = table_one(d, "set", ["race", "age"], group_order=["training", "validation"])
    race = t.tests.set_index("variable").loc["race"]
    assert race["test"] == "none" and np.isnan(race["p_value"])
    assert any("race: observed in a single group; no test" in n for n in t.notes)
    assert np.isnan(t.tests.set_index("variable").loc["age", "p_value"])
