"""Stage 3: reader agreement (intra-reader Cohen kappa, inter-reader Fleiss kappa; Supplementary Table 5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._context import Context, StageUnavailable

REQUIRES: tuple[str, ...] = ()


def _wide(
    readers: pd.DataFrame, id_col: str, reader_col: str, session_col: str, feature: str
) -> pd.DataFrame:
    return readers.pivot_table(
        index=id_col,
        columns=[reader_col, session_col],
        values=feature,
        aggfunc="first",
        observed=True,
    )


@dataclass(frozen=True)
class AgreementResult:
    table: pd.DataFrame  # one row per feature: distribution, intra- and inter-reader kappa
    intra_reader: str | None  # the reader read twice (Cohen's kappa between the readings)
    sessions: tuple  # that reader's two sessions
    readers: tuple[str, ...]
    intra_pairs: Mapping[str, tuple[list, list]]  # feature -> the two readings (complete pairs)
    inter_ratings: Mapping[str, pd.DataFrame]  # feature -> patients × readers (first readings)


def compute(ctx: Context) -> AgreementResult:
    from hccstats import kappa2, kappam_fleiss

    study = ctx.study
    if study.readers is None or not study.reader_features:
        raise StageUnavailable("the study has no readers section")
    spec = study.reader_spec
    id_col, reader_col, session_col = spec["id"], spec["reader"], spec["session"]
    readers = study.readers.copy()
    for f in study.reader_features:  # categories as text so pivoting keeps them
        readers[f] = readers[f].astype(object)
    sessions = readers.groupby(reader_col)[session_col].nunique()
    intra_reader = next((r for r in sorted(sessions.index) if sessions[r] >= 2), None)
    reader_names = sorted(readers[reader_col].unique())
    s = ()
    if intra_reader is not None:
        s = tuple(
            sorted(readers.loc[readers[reader_col] == intra_reader, session_col].unique())[:2]
        )
    rows, pairs, ratings = [], {}, {}
    for feat, var in study.reader_features.items():
        wide = _wide(readers, id_col, reader_col, session_col, feat)
        row = {"feature": feat, "label": var.label}
        first = sorted(readers[session_col].unique())[0]
        dist = readers[(readers[session_col] == first)][feat].value_counts(normalize=True)
        row["distribution"] = "; ".join(
            f"{k}: {100 * dist.get(k, 0):.1f}%" for k in (var.levels or dist.index)
        )
        if intra_reader is not None:
            pair = wide[[(intra_reader, s[0]), (intra_reader, s[1])]].dropna()
            pairs[feat] = a, b = pair.iloc[:, 0].tolist(), pair.iloc[:, 1].tolist()
            k = kappa2(a, b)
            row.update(
                intra_kappa=k.value,
                intra_ci_low=k.ci.low,
                intra_ci_high=k.ci.high,
                intra_p=k.p_value,
                intra_n=k.n_subjects,
            )
        if len(reader_names) >= 2:
            cols = [
                (r, sorted(readers.loc[readers[reader_col] == r, session_col].unique())[0])
                for r in reader_names
            ]
            ratings[feat] = mat = wide[cols].dropna()
            kf = kappam_fleiss(mat.astype(str).to_numpy())
            row.update(
                inter_kappa=kf.value,
                inter_ci_low=kf.ci.low,
                inter_ci_high=kf.ci.high,
                inter_p=kf.p_value,
                inter_n=kf.n_subjects,
                n_readers=len(reader_names),
            )
        rows.append(row)
    return AgreementResult(pd.DataFrame(rows), intra_reader, s, tuple(reader_names), pairs, ratings)


def render(ctx: Context, section: Section, result: AgreementResult) -> None:
    table, intra_reader = result.table, result.intra_reader
    formats = {
        "Feature": F.col("label", "text"),
        "Distribution (first reading)": F.col("distribution", "text"),
    }
    if "intra_kappa" in table:
        formats["Intra-reader κ (95% CI)"] = F.est_ci(
            "intra_kappa", "intra_ci_low", "intra_ci_high", 2
        )
        formats["Intra-reader agreement"] = lambda r: _label(r["intra_kappa"])
    if "inter_kappa" in table:
        formats["Inter-reader κ (95% CI)"] = F.est_ci(
            "inter_kappa", "inter_ci_low", "inter_ci_high", 2
        )
        formats["Inter-reader agreement"] = lambda r: _label(r["inter_kappa"])
    section.table(
        "agreement",
        table,
        caption=f"{ctx.next_table(supplementary=True)} Intra- and inter-reader "
        "agreement of the qualitative MR features",
        formats=formats,
        footnote=(
            f"Intra-reader: Cohen's κ between the two readings of {intra_reader}; "
            if intra_reader
            else ""
        )
        + f"inter-reader: Fleiss' κ across {len(result.readers)} readers (first readings). κ 0.00–0.20 poor, "
        "0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 good, 0.81–1.00 excellent agreement.",
    )
    ctx.results["agreement"] = {
        "table": table,
        "intra_reader": intra_reader,
        "readers": list(result.readers),
    }


def r_checks(ctx: Context, result: AgreementResult) -> None:
    by_feature = result.table.set_index("feature")
    labels = {f: v.label for f, v in ctx.study.reader_features.items()}
    s, n = result.sessions, len(result.readers)
    for feat in by_feature.index:
        if feat in result.intra_pairs:
            a, b = result.intra_pairs[feat]
            ctx.check(
                "agreement",
                f"Cohen kappa, {labels[feat]} ({result.intra_reader} sessions {s[0]} vs {s[1]})",
                by_feature.loc[feat, "intra_kappa"],
                "vcd::Kappa(table(r1, r2))",
                lambda a=a, b=b: _rcheck.kappa2(a, b),
            )
        if feat in result.inter_ratings:
            ctx.check(
                "agreement",
                f"Fleiss kappa, {labels[feat]} ({n} readers)",
                by_feature.loc[feat, "inter_kappa"],
                "Fleiss kappa (irr::kappam.fleiss formula) in R",
                lambda m=result.inter_ratings[feat]: _rcheck.fleiss(m),
            )


def methods(ctx: Context, result: AgreementResult) -> str:
    intra_reader = result.intra_reader
    return (
        (
            f"Intra-reader agreement ({intra_reader}, two readings) was assessed with Cohen's unweighted κ "
            "(asymptotic 95% CI) and "
            if intra_reader
            else ""
        )
        + f"inter-reader agreement across {len(result.readers)} readers with Fleiss' κ; κ was graded as poor "
        "(0.00–0.20), fair (0.21–0.40), moderate (0.41–0.60), good (0.61–0.80) or excellent (0.81–1.00)."
    )


def _label(value: float) -> str:
    from hccstats.agreement import agreement_label

    return agreement_label(value)
