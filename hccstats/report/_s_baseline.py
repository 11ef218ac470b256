"""Stage 2: baseline characteristics, training vs validation and by outcome.

A manuscript's first table: in a clinical-only study (no images or feature tables) the
training-vs-validation table is Table 1, ahead of the models; in an imaging study it is
supplementary (the reference study's Supplementary Table 2), its Table 1 being the deep-learning
signatures. The table by outcome is supplementary in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context
from ._s_flow import level_scores
from ._stages import asked

REQUIRES: tuple[str, ...] = ("flow",)
ORDINAL_TEST = "Wilcoxon rank sum test on the ordinal scores"


def baseline_variables(ctx: Context) -> list[str]:
    study = ctx.study
    given = ctx.analysis.screening.baseline
    names = (
        list(given)
        if given
        else [v for v in study.variables if v not in (study.outcome, study.center)]
    )
    return [v for v in names if v in study.data.columns]


def ordinal_variables(ctx: Context, data: pd.DataFrame) -> list[str]:
    """The study's ordinal variables present in ``data``."""
    return [n for n, v in ctx.study.variables.items() if v.type == "ordinal" and n in data.columns]


def _scores(data: pd.DataFrame, names) -> dict[str, pd.Series]:
    """Ordinal variables as scores: their level values when numeric, 1..k otherwise (NaN kept)."""
    out = {}
    for name in names:
        col = data[name]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = col.astype(float)
            continue
        scores = level_scores(col.cat.categories)
        codes = col.cat.codes.to_numpy()
        out[name] = pd.Series(
            np.where(codes < 0, np.nan, np.asarray(scores)[np.clip(codes, 0, None)]),
            index=col.index,
        )
    return out


def _ordered_tests(t, data: pd.DataFrame, group: str, scores: dict[str, pd.Series]) -> None:
    """Two groups: replace the χ²/Fisher test of each ordinal variable by Mann–Whitney on its scores."""
    from hccstats.baseline import wilcox_test

    if len(t.groups) != 2:
        return
    for i, r in t.tests.iterrows():
        var = r["variable"]
        if var not in scores:
            continue
        x = scores[var]
        a = x[(data[group] == t.groups[0]) & x.notna()]
        b = x[(data[group] == t.groups[1]) & x.notna()]
        if len(a) == 0 or len(b) == 0:
            continue
        res = wilcox_test(a.to_numpy(), b.to_numpy())
        t.tests.loc[i, ["test", "statistic", "df", "p_value"]] = [
            ORDINAL_TEST,
            res.statistic,
            np.nan,
            res.p_value,
        ]


def _wide(t, data: pd.DataFrame) -> pd.DataFrame:
    """One display row per continuous variable, a header row plus one row per level for categorical ones."""
    s, tests = t.summary, t.tests.set_index("variable")
    rows = []
    for var in dict.fromkeys(s["variable"]):
        sub = s[s["variable"] == var]
        kind = sub["kind"].iloc[0]
        label = sub["label"].iloc[0]
        test = tests.loc[var]
        miss = int(test["n_missing"])
        base = {
            "variable": var,
            "level": "",
            "test": test["test"],
            "p_value": test["p_value"],
            "smd": test["smd"],
            "n_missing": miss,
        }
        if kind == "continuous":
            row = {
                **base,
                "label": f"{label}, median (IQR)" + (f" [missing {miss}]" if miss else ""),
                "integer": _is_integer(data[var]),
            }
            for g in t.groups:
                r = sub[sub["group"] == g].iloc[0]
                row[f"{g}|median"], row[f"{g}|q1"], row[f"{g}|q3"] = r["median"], r["q1"], r["q3"]
            rows.append(row)
        else:
            rows.append(
                {**base, "label": f"{label}, n (%)" + (f" [missing {miss}]" if miss else "")}
            )
            for lv in dict.fromkeys(sub["level"]):
                row = {
                    "variable": var,
                    "level": str(lv),
                    "label": f"    {lv}",
                    "test": "",
                    "p_value": np.nan,
                    "smd": np.nan,
                    "n_missing": np.nan,
                }
                for g in t.groups:
                    r = sub[(sub["group"] == g) & (sub["level"] == lv)].iloc[0]
                    row[f"{g}|n"], row[f"{g}|percent"] = r["n"], r["percent"]
                rows.append(row)
    return pd.DataFrame(rows)


def _cell(r: pd.Series, g) -> str:
    if f"{g}|median" in r and pd.notna(r[f"{g}|median"]):
        values = r[f"{g}|median"], r[f"{g}|q1"], r[f"{g}|q3"]
        if r.get("integer", False):  # integer data: whole numbers print as integers
            m, q1, q3 = (F.fmt_num(v, 0 if float(v).is_integer() else 1) for v in values)
            return f"{m} ({q1}, {q3})"
        return F.fmt_median_iqr(*values, _digits(r[f"{g}|median"]))
    if f"{g}|n" in r and pd.notna(r[f"{g}|n"]):
        return F.fmt_n_pct(r[f"{g}|n"], pct=r[f"{g}|percent"])
    return ""


def _is_integer(col: pd.Series) -> bool:
    x = pd.to_numeric(col, errors="coerce").dropna().to_numpy(float)
    return bool(len(x)) and bool(np.all(x == np.round(x)))


def _digits(x: float) -> int:
    if not np.isfinite(x):
        return 1
    return 0 if abs(x) >= 100 else 1 if abs(x) >= 1 else 2


@dataclass(frozen=True)
class BaselineTable:
    """One Table 1: the library's :class:`~hccstats.baseline.TableOne` and its display rows."""

    name: str  # the report's table name
    title: str  # the caption after the table number
    what: str  # the comparison, as the R checks name it
    data: pd.DataFrame  # the patients compared, with the group column
    group: str
    names: Mapping[str, str]  # group -> column header
    table: Any  # TableOne (tests with the ordinal variables' Mann-Whitney on their scores)
    wide: pd.DataFrame
    ordinal: tuple[str, ...]  # ordinal variables tested on their scores
    scores: Mapping[str, pd.Series]  # those variables' scores (the tests' data)


@dataclass(frozen=True)
class BaselineResult:
    split: BaselineTable  # training vs validation
    outcome: BaselineTable  # by outcome, training set
    differing: tuple[str, ...]  # labels of the variables differing between the sets


def _one(ctx: Context, data, group, order, names, name, title, what) -> BaselineTable:
    from hccstats import table_one

    variables = baseline_variables(ctx)
    t = table_one(
        data,
        group,
        variables,
        labels={
            v: ctx.study.variables[v].display if v in ctx.study.variables else v for v in variables
        },
        group_order=order,
    )
    ordinal = tuple(ordinal_variables(ctx, data))
    scores = _scores(data, ordinal)
    _ordered_tests(t, data, group, scores)
    return BaselineTable(name, title, what, data, group, names, t, _wide(t, data), ordinal, scores)


def _render_one(
    ctx: Context, section: Section, b: BaselineTable, supplementary: bool = True
) -> None:
    t, data = b.table, b.data
    ordinal = [ctx.label(v) for v in b.ordinal]
    counts = data[b.group].value_counts()
    formats = {"Characteristic": F.col("label", "text")}
    for g in t.groups:
        formats[f"{b.names[g]} (n = {int(counts.get(g, 0))})"] = lambda r, g=g: _cell(r, g)
    formats["p value"] = lambda r: "" if r["level"] != "" else F.fmt_p(r["p_value"], star=True)
    formats["Test"] = lambda r: _short(r["test"])
    section.table(
        b.name,
        b.wide,
        caption=f"{ctx.next_table(supplementary=supplementary)} {b.title}",
        formats=formats,
        footnote="Median (interquartile range) with the Mann–Whitney U test (R's wilcox.test); n (%) of the recorded "
        "values with Pearson's χ² test, or Fisher's exact test when an expected count is below 5. Missing values are "
        "counted per variable"
        + (
            f"; ordinal variables ({', '.join(ordinal)}): n (%) per level with the Mann–Whitney U "
            "test on their scores (the level values when numeric, 1..k otherwise), a test for "
            "ordered categories"
            if ordinal and len(t.groups) == 2
            else ""
        )
        + ". *p < 0.05.",
    )


def _check_one(ctx: Context, b: BaselineTable) -> None:
    data, scores = b.data, b.scores
    for _, r in b.table.tests.iterrows():
        if not np.isfinite(r["p_value"]):
            continue
        var = r["variable"]
        col = scores[var] if r["test"] == ORDINAL_TEST else data[var]
        sub = pd.DataFrame({"x": col, "g": data[b.group]}).dropna()
        x, g = sub["x"].to_numpy(), sub["g"].astype(str).to_numpy()
        test = str(r["test"])
        if "Wilcoxon" in test:
            fn, call = (
                (lambda x=x, g=g: _rcheck.wilcox_p(np.asarray(x, float), g)),
                "wilcox.test(x ~ g)",
            )
        elif "Fisher" in test:
            fn, call = (lambda x=x, g=g: _rcheck.fisher_p(x, g)), "fisher.test(table(x, g))"
        else:
            yates = "Yates" in test or "continuity" in test
            fn, call = (
                (lambda x=x, g=g, yates=yates: _rcheck.chisq_p(x, g, correct=yates)),
                f"chisq.test(table(x, g), correct = {'TRUE' if yates else 'FALSE'})",
            )
        if test == ORDINAL_TEST:
            call += " on the scores"
        ctx.check("baseline", f"{b.what}: p, {r['label']}", r["p_value"], call, fn)


def _short(test: str) -> str:
    if not test:
        return ""
    if test == ORDINAL_TEST:
        return "Mann–Whitney U (scores)"
    if "Wilcoxon" in test:
        return "Mann–Whitney U"
    if "Fisher" in test:
        return "Fisher"
    if "Chi" in test:
        return "χ²"
    return test


def compute(ctx: Context, flow) -> BaselineResult:
    """Table 1 on the study's data as recorded (ordinal variables as their levels)."""
    study = ctx.study
    data = study.data
    t1 = _one(
        ctx,
        data,
        "split",
        ["training", "validation"],
        {"training": "Training set", "validation": "Validation set"},
        "supp_baseline_split",
        "Baseline characteristics of the training and validation sets",
        "training vs validation",
    )
    train = data[data["split"] == "training"].copy()
    train["_outcome"] = np.where(train[study.outcome] == 1, "event", "none")
    lab = study.outcome_label
    t2 = _one(
        ctx,
        train,
        "_outcome",
        ["event", "none"],
        {"event": lab, "none": f"No {lab.lower()}"},
        "supp_baseline_outcome",
        "Baseline characteristics by outcome in the training set",
        "by outcome (training)",
    )
    tests = t1.table.tests
    return BaselineResult(
        t1, t2, tuple(tests[tests["p_value"] < ctx.analysis.screening.alpha]["label"])
    )


def render(ctx: Context, section: Section, result: BaselineResult) -> None:
    # a clinical-only study's Table 1; an imaging study's is the signatures' (as the study's)
    _render_one(ctx, section, result.split, supplementary=asked(ctx, "features"))
    _render_one(ctx, section, result.outcome)
    sig = list(result.differing)
    section.text(
        "Training and validation sets differed in "
        + (", ".join(sig) if sig else "no baseline variable")
        + f" (p < {ctx.analysis.screening.alpha:g})."
    )
    ctx.results["baseline"] = {
        part: {"summary": b.table.summary, "tests": b.table.tests}
        for part, b in (("split", result.split), ("outcome", result.outcome))
    }


def r_checks(ctx: Context, result: BaselineResult) -> None:
    _check_one(ctx, result.split)
    _check_one(ctx, result.outcome)


def methods(ctx: Context, result: BaselineResult) -> str:
    return (
        "Baseline characteristics were compared between the training and validation sets, and between patients with "
        "and without the outcome, with the Mann–Whitney U test for continuous variables (median and interquartile "
        "range) and Pearson's χ² test (without continuity correction) or Fisher's exact test (an expected count below "
        "5) for categorical ones, and with the Mann–Whitney U test on the scores for ordinal ones; missing values were counted, not imputed, and each analysis used the recorded values."
    )
