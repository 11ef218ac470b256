"""Stage 1: patient flow (screened, excluded and why, included; per centre; training/validation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reports import Section

from ._context import Context
from ._stages import SplitData

REQUIRES: tuple[str, ...] = ()


def _flow_figure(flow: pd.DataFrame, center_names: list[str]):
    import matplotlib.pyplot as plt

    from hccstats.plots import DOUBLE_COLUMN

    allrows = flow[flow["center"] == "All"]
    n = {r.step: int(r.n) for r in allrows.itertuples() if r.step != "excluded"}
    excl = [(r.reason, int(r.n)) for r in allrows.itertuples() if r.step == "excluded" and r.n > 0]
    fig, ax = plt.subplots(figsize=(DOUBLE_COLUMN, 4.2))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    box = dict(boxstyle="round,pad=0.4", facecolor="#f4f6f8", edgecolor="#333333", linewidth=0.8)
    per_center = ", ".join(
        f"{c}: {int(flow[(flow.center == c) & (flow.step == 'screened')].n.iloc[0])}"
        for c in center_names
    )
    screened = f"Patients screened\nn = {n.get('screened', 0)}" + (
        f"\n({per_center})" if per_center else ""
    )
    ax.text(3.5, 9, screened, ha="center", va="center", fontsize=9, bbox=box)
    if excl:
        import textwrap

        text = f"Excluded (n = {sum(k for _, k in excl)})\n" + "\n".join(
            textwrap.fill(f"• {r}: n = {k}", 54, subsequent_indent="   ") for r, k in excl
        )
        ax.text(5.6, 6.9, text, ha="left", va="center", fontsize=7.5, bbox=box)
        ax.annotate("", xy=(5.45, 6.9), xytext=(3.5, 6.9), arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.text(
        3.5,
        5,
        f"Patients included\nn = {n.get('included', 0)}",
        ha="center",
        va="center",
        fontsize=9,
        bbox=box,
    )
    ax.annotate("", xy=(3.5, 5.7), xytext=(3.5, 8.2), arrowprops=dict(arrowstyle="->", lw=0.8))
    for x, part in ((1.5, "training"), (5.5, "validation")):
        ax.text(
            x,
            1.6,
            f"{part.capitalize()} set\nn = {n.get(part, 0)}",
            ha="center",
            va="center",
            fontsize=9,
            bbox=box,
        )
        ax.annotate("", xy=(x, 2.3), xytext=(3.5, 4.3), arrowprops=dict(arrowstyle="->", lw=0.8))
    return fig


@dataclass(frozen=True)
class FlowResult(SplitData):
    """The analysis data and the patient flow.

    ``data``: the included patients (the study's data; ordinal variables as numeric scores
    with ``ordinal_as: numeric``), the frame every later stage reads and none changes.
    """

    data: pd.DataFrame
    flow: pd.DataFrame  # step, reason, center, n (the study's flow, per centre and "All")
    centers: tuple[str, ...]
    ordinal_numeric: tuple[str, ...]  # ordinal variables entered as scores
    ordinal_scores: Mapping[str, Mapping[float, str]]  # {variable: {score: level label}}


def level_scores(levels) -> list[float]:
    """An ordinal variable's scores: its level values when numeric, 1..k otherwise."""
    try:
        return [float(v) for v in levels]
    except (TypeError, ValueError):
        return [float(i + 1) for i in range(len(levels))]


def prepare_data(
    data: pd.DataFrame, variables, ordinal_as: str
) -> tuple[pd.DataFrame, list[str], dict]:
    """A copy of a study's ``data`` as analysed: ordinal ``variables`` as numeric scores (option
    ``ordinal_as``); with the converted variables and their {score: level label}."""
    data = data.copy()
    converted, scores_of = [], {}
    if ordinal_as == "numeric":
        for name, var in variables.items():
            if var.type == "ordinal" and name in data:
                col = data[name]
                levels = list(col.cat.categories)
                scores = level_scores(levels)
                data[name] = col.cat.codes.map(
                    lambda c, scores=scores: float("nan") if c < 0 else scores[c]
                ).astype("float64")
                converted.append(name)
                scores_of[name] = {s: str(v) for s, v in zip(scores, levels)}
    return data, converted, scores_of


def compute(ctx: Context) -> FlowResult:
    study = ctx.study
    data, converted, scores_of = prepare_data(
        study.data, study.variables, ctx.analysis.screening.ordinal_as
    )
    flow = study.flow.copy()
    centers = tuple(c for c in flow["center"].unique() if c != "All")
    return FlowResult(data, flow, centers, tuple(converted), scores_of)


def _wide(flow: pd.DataFrame, centers) -> pd.DataFrame:
    item = flow.apply(lambda r: r.step + (f": {r.reason}" if r.reason else ""), axis=1)
    wide = flow.assign(item=item).pivot_table(
        index="item", columns="center", values="n", sort=False, aggfunc="sum"
    )
    wide = wide.reset_index()[["item", "All", *centers]].rename(columns={"item": "step"})
    return wide.set_index("step").loc[list(dict.fromkeys(item))].reset_index()


def render(ctx: Context, section: Section, result: FlowResult) -> None:
    study, flow, centers = ctx.study, result.flow, list(result.centers)
    data = study.data
    y = data[study.outcome]
    section.text(
        f"{len(data)} patients were included"
        + (f" from {len(centers)} centres" if len(centers) > 1 else "")
        + f"; {int(y.sum())} ({100 * y.mean():.1f}%) had the outcome ({study.outcome_label}). "
        f"Training set: {int((data.split == 'training').sum())} patients "
        f"({int(y[data.split == 'training'].sum())} events); validation set: "
        f"{int((data.split == 'validation').sum())} patients ({int(y[data.split == 'validation'].sum())} events)."
    )
    section.table(
        "flow",
        _wide(flow, centers),
        caption=f"{ctx.next_table(supplementary=True)} Patient flow",
        formats={
            "Step": lambda r: str(r["step"])[:1].upper() + str(r["step"])[1:],
            "All": "int",
            **{c: "int" for c in centers},
        },
        footnote="Counts of patients screened, excluded (with the reason), included and assigned to "
        "the training and validation sets, overall and per centre.",
    )
    section.figure(
        "fig_flow",
        _flow_figure(flow, centers),
        caption=f"{ctx.next_figure()} Flowchart of patient inclusion",
    )
    ctx.results["flow"] = {
        "table": flow,
        "n_included": int(len(data)),
        "n_excluded": int(len(study.excluded)),
        "events": int(y.sum()),
        "split": {k: int(v) for k, v in data["split"].value_counts().sort_index().items()},
        "missing": study.missing,
    }


def methods(ctx: Context, result: FlowResult) -> str:
    split = ctx.study.split_spec
    how = (
        "a given split column"
        if split["method"] == "column"
        else f"a random {split['ratio']:g}:{1 - split['ratio']:g} split"
        + (f" stratified by {' and '.join(split['stratify'])}" if split.get("stratify") else "")
        + f" (seed {ctx.analysis.split_seed})"
    )
    text = (
        f"Patients were assigned to training and validation sets by {how}. "
        "Every exclusion is listed with its reason in the patient flow."
    )
    if result.ordinal_numeric:
        text += (
            " Ordinal variables ("
            + ", ".join(ctx.label(v) for v in result.ordinal_numeric)
            + ") entered the regression models as numeric scores."
        )
    return text
