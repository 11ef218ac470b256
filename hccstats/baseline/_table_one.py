"""The baseline-characteristics table ("Table 1")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._errors import InputError
from ._smd import smd_categorical, smd_continuous
from ._tests import FisherTooLarge, chisq_test, fisher_test, kruskal_test, wilcox_test

__all__ = ["TableOne", "table_one"]

_SUMMARY_COLUMNS = [
    "variable",
    "label",
    "level",
    "kind",
    "group",
    "n",
    "percent",
    "median",
    "q1",
    "q3",
    "mean",
    "sd",
    "n_missing",
    "n_group",
]


@dataclass(frozen=True)
class TableOne:
    """A baseline table, unrounded.

    Attributes
    ----------
    summary : long DataFrame, one row per variable × level × group (``group == "Overall"``
        for the whole sample when asked): ``n`` and ``percent`` (of non-missing) for
        categorical levels; ``median, q1, q3`` (R's quantile type 7), ``mean, sd`` for
        continuous ones; ``n_missing`` of the variable in the group; ``n_group``.
    tests : one row per variable: ``test`` (its name, e.g. "Pearson's Chi-squared test"),
        ``statistic``, ``df``, ``p_value``, ``smd``, ``n_missing``.
    groups : the group labels in order.
    """

    summary: pd.DataFrame
    tests: pd.DataFrame
    groups: tuple
    group_column: str
    continuous_stat: str
    notes: tuple = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Summary joined with the tests (one test row repeated per level)."""
        return self.summary.merge(
            self.tests, on=["variable", "label"], how="left", suffixes=("", "_variable")
        )

    def formatted(
        self,
        *,
        group_names: Mapping[Any, str] | None = None,
        digits: int | Mapping[str, int] = 1,
        smd: bool = False,
        star: bool = False,
    ) -> pd.DataFrame:
        """The table as a journal prints it (strings), as ``print(CreateTableOne(...))``.

        Columns: Characteristic ("Age, median (IQR)"; "Sex, n (%)" above one indented row per
        level; "[missing k]" when values are missing), one column per group headed
        "<group> (n = N)" (``group_names`` renames groups; "Overall" when asked), p value,
        Test (Mann–Whitney U, Kruskal–Wallis, χ², Fisher's exact) and, with ``smd=True``,
        tableone's SMD. ``digits``: decimals of medians, quartiles, means and SDs (one
        number, or per variable). ``star`` marks p < 0.05. Every rounding rule is
        :mod:`hccstats.formatting`'s (p < 0.001, "54.0 (45.0, 62.0)", "54 (27.7%)").

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "age": [50, 61, 58, 47, 66, 70, 59, 72]})
        >>> table_one(df, "arm", ["age"]).formatted().iloc[0].tolist()
        ['age, median (IQR)', '54.0 (49.2, 58.8)', '68.0 (64.2, 70.5)', '0.057', 'Mann–Whitney U']
        """
        from ._view import formatted_table

        return formatted_table(self, group_names=group_names, digits=digits, smd=smd, star=star)

    def to_docx(
        self,
        path,
        *,
        caption: str = "Table 1 Baseline characteristics",
        footnote: str | None = None,
        **view: Any,
    ):
        """Write :meth:`formatted` as a Word file (journal three-line table) at ``path``.

        The file is written atomically (a temporary file beside it, renamed at the end);
        ``path`` must end in ``.docx`` and its folder exist. ``footnote`` (default: the
        summaries and tests used) is printed under the table; ``view`` goes to
        :meth:`formatted` (``group_names``, ``digits``, ``smd``, ``star``). Returns the path.
        """
        from ._view import write_docx

        return write_docx(self, path, caption=caption, footnote=footnote, **view)

    def __repr__(self) -> str:
        return (
            f"TableOne by {self.group_column!r}: groups {list(self.groups)}; "
            f"{len(self.tests)} variables\n{self.tests.to_string(index=False)}"
        )


def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _levels(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    values = series.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _check_ordinal(data: pd.DataFrame, ordinal) -> dict[str, list[Any]]:
    """``ordinal`` as {column: levels}; InputError for an unknown column or a value not declared."""
    if ordinal is None:
        return {}
    if not isinstance(ordinal, Mapping):
        raise InputError(
            "ordinal: expected a mapping {column: [levels in order]}, "
            f"got {type(ordinal).__name__}"
        )
    out = {}
    for var, levels in ordinal.items():
        if var not in data.columns:
            raise InputError(f"ordinal: column {var!r} not found")
        levels = list(levels)
        unknown = sorted({v for v in data[var].dropna().unique() if v not in levels}, key=str)
        if unknown:
            raise InputError(
                f"ordinal[{var!r}]: value(s) {unknown[:5]} not among the declared levels {levels}"
            )
        out[var] = levels
    return out


def table_one(
    data: pd.DataFrame,
    group: str,
    variables: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    continuous_stat: Literal["median", "mean"] = "median",
    exact: Literal["auto", "always", "never"] = "auto",
    correct: bool = False,
    overall: bool = False,
    group_order: Sequence[Any] | None = None,
    ordinal: Mapping[str, Sequence[Any]] | None = None,
) -> TableOne:
    """Baseline characteristics by group with the tests the reference study used.

    R equivalent: ``tableone::CreateTableOne(vars, strata=group, data, factorVars=,
    testApprox=chisq.test, argsApprox=list(correct=FALSE), testExact=fisher.test,
    testNonNormal=wilcox.test)`` with ``print(..., nonnormal=..., exact=...)``.

    - Continuous variables: median (IQR) (``continuous_stat="mean"``: mean ± SD), tested
      with the Wilcoxon–Mann–Whitney test exactly as ``wilcox.test`` (Kruskal–Wallis for
      more than two groups).
    - Categorical variables (non-numeric columns, and those named in ``categorical``):
      n (%) of non-missing values, Pearson's chi-squared test (``chisq.test(correct=FALSE)``;
      ``correct=True`` for Yates on 2×2 tables) or, when any expected count is below 5
      (``exact="auto"``), Fisher's exact test for r×c tables as ``fisher.test``.
    - Missing values are counted per variable and group (``n_missing``); the tests use the
      non-missing values. Every row names its test; ``smd`` is tableone's standardized mean
      difference (mean over group pairs when there are more than two).
    - Ordinal variables (``ordinal={"size": ["<=20", "20-50", ">50"]}``): n (%) per level in
      the declared order, tested as ordered values: the Wilcoxon rank-sum test of the level
      ranks (Kruskal–Wallis for more than two groups), R's
      ``wilcox.test(as.integer(factor(x, levels = L)) ~ group)``.

    Parameters
    ----------
    data : one row per patient.
    group : the grouping column (e.g. training/validation, or the outcome). Rows with a
        missing group raise :class:`InputError` (no patient is dropped silently).
    variables : the columns to describe, in table order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4, "age": [50, 61, 58, 47, 66, 70, 59, 72],
    ...                    "sex": ["m", "f", "m", "m", "f", "f", "m", "f"]})
    >>> t = table_one(df, "arm", ["age", "sex"])
    >>> t.tests[["variable", "test"]].values.tolist()
    [['age', 'Wilcoxon rank sum exact test'], ['sex', "Fisher's Exact Test for Count Data"]]
    """
    groups = _check_input(data, group, variables, continuous_stat, exact, group_order)
    labels = dict(labels or {})
    ordinal = _check_ordinal(data, ordinal)
    split = {g: data.loc[data[group] == g] for g in groups}
    sets = list(split.items()) + ([("Overall", data)] if overall else [])
    rows, tests, notes = [], [], []
    for var in variables:
        label = labels.get(var, var)
        n_missing = int(data[var].isna().sum())
        if var in ordinal or var in categorical or _is_categorical(data[var]):
            levels = list(ordinal[var]) if var in ordinal else _levels(data[var])
            rows += _level_rows(var, label, levels, sets)
            counts = np.array(
                [[int((part[var] == lv).sum()) for lv in levels] for _, part in split.items()]
            )
            if var in ordinal:
                tests.append(_ordinal_test(var, label, levels, split, counts, n_missing, notes))
            else:
                tests.append(
                    _categorical_test(var, label, counts, exact, correct, n_missing, notes)
                )
        else:
            rows += _continuous_rows(var, label, sets)
            values = [part[var].dropna().to_numpy(float) for _, part in split.items()]
            tests.append(_continuous_test(var, label, values, n_missing, notes))
    summary = pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
    return TableOne(
        summary, pd.DataFrame(tests), tuple(groups), group, continuous_stat, tuple(notes)
    )


def _check_input(data, group, variables, continuous_stat, exact, group_order) -> list:
    """The groups, in table order, once the arguments are checked."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    missing_cols = [c for c in [group, *variables] if c not in data.columns]
    if missing_cols:
        raise InputError(
            f"data: column(s) {missing_cols} not found (columns: {list(data.columns)[:20]})"
        )
    if continuous_stat not in ("median", "mean"):
        raise InputError(f"continuous_stat: expected 'median' or 'mean', got {continuous_stat!r}")
    if exact not in ("auto", "always", "never"):
        raise InputError(f"exact: expected 'auto', 'always' or 'never', got {exact!r}")
    no_group = data[group].isna()
    if no_group.any():
        raise InputError(
            f"group column {group!r}: {int(no_group.sum())} row(s) without a group "
            f"(index {data.index[no_group][:5].tolist()})"
        )
    groups = list(group_order) if group_order is not None else _levels(data[group])
    if len(groups) < 2:
        raise InputError(f"group column {group!r}: need at least 2 groups, got {groups}")
    return groups


def _level_rows(var, label, levels, sets) -> list[dict[str, Any]]:
    """n (%) of the non-missing values at each level, in each group."""
    rows = []
    for gname, part in sets:
        valid = part[var].notna().sum()
        for lv in levels:
            n = int((part[var] == lv).sum())
            rows.append(
                _row(
                    var,
                    label,
                    lv,
                    "categorical",
                    gname,
                    part,
                    n=n,
                    percent=100.0 * n / valid if valid else np.nan,
                )
            )
    return rows


def _continuous_rows(var, label, sets) -> list[dict[str, Any]]:
    """Median, quartiles, mean and SD of the non-missing values, in each group."""
    rows = []
    for gname, part in sets:
        v = part[var].dropna().to_numpy(float)
        q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75]) if len(v) else (np.nan,) * 3
        rows.append(
            _row(
                var,
                label,
                None,
                "continuous",
                gname,
                part,
                n=len(v),
                median=med,
                q1=q1,
                q3=q3,
                mean=float(v.mean()) if len(v) else np.nan,
                sd=float(v.std(ddof=1)) if len(v) > 1 else np.nan,
            )
        )
    return rows


def _ordinal_test(var, label, levels, split, counts, n_missing, notes) -> dict[str, Any]:
    """The rank-sum (Kruskal–Wallis) test of the level ranks; the categorical SMD."""
    rank = {lv: i + 1 for i, lv in enumerate(levels)}
    codes = [part[var].dropna().map(rank).to_numpy(float) for part in split.values()]
    test = _continuous_test(var, label, codes, n_missing, notes)
    smd = smd_categorical(counts.astype(float)) if (counts.sum(axis=1) > 0).all() else np.nan
    return {**test, "kind": "ordinal", "smd": smd}


def _row(var, label, level, kind, gname, part, **values) -> dict[str, Any]:
    row = dict.fromkeys(_SUMMARY_COLUMNS, np.nan)
    row.update(
        variable=var,
        label=label,
        level=level,
        kind=kind,
        group=gname,
        n_missing=int(part[var].isna().sum()),
        n_group=len(part),
    )
    row.update(values)
    return row


def _continuous_test(var, label, values, n_missing, notes) -> dict[str, Any]:
    if any(len(v) == 0 for v in values):
        notes.append(f"{var}: a group has no values; no test")
        res = None
    elif len(values) == 2:
        res = wilcox_test(values[0], values[1])
    else:
        res = kruskal_test(*values)
    return {
        "variable": var,
        "label": label,
        "kind": "continuous",
        "test": res.method if res else "none",
        "statistic": res.statistic if res else np.nan,
        "df": res.df if res and res.df is not None else np.nan,
        "p_value": res.p_value if res else np.nan,
        "smd": smd_continuous(values) if all(len(v) > 1 for v in values) else np.nan,
        "n_missing": n_missing,
    }


def _categorical_test(var, label, counts, exact, correct, n_missing, notes) -> dict[str, Any]:
    used = counts[:, counts.sum(axis=0) > 0]
    used = used[used.sum(axis=1) > 0]  # a group without observations compares nothing
    res = None
    if used.shape[0] < 2:
        notes.append(f"{var}: observed in a single group; no test")
    elif used.shape[1] < 2:
        notes.append(f"{var}: a single observed level; no test")
    else:
        expected = np.outer(used.sum(axis=1), used.sum(axis=0)) / used.sum()
        use_fisher = exact == "always" or (exact == "auto" and (expected < 5).any())
        res = None
        if use_fisher:
            try:
                res = fisher_test(used)
            except FisherTooLarge:
                notes.append(
                    f"{var}: Fisher's exact test is not feasible for this {used.shape[0]}×"
                    f"{used.shape[1]} table of {int(used.sum())} patients (too many tables to "
                    "enumerate); Pearson's χ² test is shown instead"
                )
        if res is None:
            res = chisq_test(used, correct=correct)
    return {
        "variable": var,
        "label": label,
        "kind": "categorical",
        "test": res.method if res else "none",
        "statistic": res.statistic if res else np.nan,
        "df": res.df if res and res.df is not None else np.nan,
        "p_value": res.p_value if res else np.nan,
        "smd": smd_categorical(counts.astype(float)) if (counts.sum(axis=1) > 0).all() else np.nan,
        "n_missing": n_missing,
    }
