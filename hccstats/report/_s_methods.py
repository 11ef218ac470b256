"""Stage 9: the generated methods paragraph and the TRIPOD+AI checklist of what the report covers."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reports import Section

from ._context import Context
from ._layout import not_part_sentence
from ._tripod import TRIPOD_AI, tripod_status

REQUIRES: tuple[str, ...] = ()


def _versions(used_r: bool) -> dict[str, str]:
    """The software every run uses (rpy2 when the R cross-check ran); the stages add their own
    (torch and SimpleITK when images were extracted, scikit-learn for the signature search,
    R and its packages from the cross-check)."""
    import importlib.metadata as md

    out = {"Python": platform.python_version()}
    for pkg in (
        "hccstats",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        *(("rpy2",) if used_r else ()),
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def seeds_sentence(ctx: Context) -> str:
    """Each random step that ran, with its seed (and resamples) and where each came from: the
    analysis tree's provenance (study file, command line, default, the run seed)."""
    a = ctx.analysis
    split = ctx.study.split_spec
    if split["method"] == "random":
        steps = [
            f"the training/validation split, seed {a.split_seed} ({a.described('split_seed')})"
        ]
    else:
        steps = [f"none for the split (given by the column {split['column']!r})"]
    run_seed = f"seed {a.seed} ({a.described('seed')})"
    if ctx.stage_status.get("features") == "ok":
        if ctx.run.demo and ctx.study.has_images:
            steps.append(f"the random weights of the feature extractor, {run_seed}")
        steps.append(f"the signature search's cross-validation folds, {run_seed}")
    boot = (
        f"B = {a.bootstrap.B} ({a.described('bootstrap.B')}), seed {a.bootstrap.seed} "
        f"({a.described('bootstrap.seed')})"
    )
    if ctx.stage_status.get("performance") == "ok":
        steps.append(f"the bootstrap of the calibration and the internal validation, {boot}")
    if ctx.stage_status.get("cox") == "ok":
        steps.append(f"the bootstrap of the Cox models' internal validation, {boot}")
    return "Random steps and their seeds: " + "; ".join(steps) + "."


@dataclass(frozen=True)
class MethodsResult:
    sentences: Mapping[str, str]  # every stage's methods text, then statistics and seeds
    software: Mapping[str, str]  # package -> version
    tripod: pd.DataFrame  # item, part, topic, section (stage), status

    @property
    def paragraph(self) -> str:
        return " ".join(self.sentences.values())


def _own_sentences(ctx: Context) -> dict[str, str]:
    out = {}
    if "statistics" not in ctx.methods:
        out["statistics"] = (
            f"All statistical tests were two-sided with p < {ctx.analysis.screening.alpha:g} "
            "considered significant."
        )
    out["seeds"] = seeds_sentence(ctx)
    not_part = not_part_sentence(ctx)
    if not_part:
        out["not_part"] = not_part
    return out


def compute(ctx: Context) -> MethodsResult:
    """The methods paragraph from the stages' sentences, and the TRIPOD+AI items' status."""
    text = " ".join(ctx.methods.values())
    rows = []
    for item, part, topic, stage in TRIPOD_AI:
        status = None if stage is None else ctx.stage_status.get(stage, "not run")
        rows.append(
            {
                "item": item,
                "part": part,
                "topic": topic,
                "section": stage or "",
                "status": tripod_status(ctx, item, status, text),
            }
        )
    software = dict(
        sorted({**ctx.software, **_versions(ctx.stage_status.get("rcheck") == "ok")}.items())
    )
    return MethodsResult({**ctx.methods, **_own_sentences(ctx)}, software, pd.DataFrame(rows))


def render(ctx: Context, section: Section, result: MethodsResult) -> None:
    ctx.software.update(result.software)
    sw = ", ".join(f"{k} {v}" for k, v in result.software.items())
    section.text(result.paragraph)
    section.text(f"Software: {sw}.", style="note")
    section.table(
        "tripod",
        result.tripod,
        caption=f"{ctx.next_table(supplementary=True)} TRIPOD+AI checklist: what this report "
        "holds and what the authors write",
        formats={
            "TRIPOD+AI item": lambda r: r["item"],
            "Section": lambda r: r["part"],
            "Topic": lambda r: r["topic"],
            "Status": lambda r: r["status"],
        },
        footnote="TRIPOD+AI: reporting guideline for clinical prediction models that use "
        "regression or machine learning methods (Collins et al., BMJ 2024;385:e078378), every "
        "item by its number. Reported (where): the tables, figures or methods of this report "
        "that hold the item; for the authors: items only the study's authors can write (title, "
        "abstract, background, objectives, data sources, setting, eligibility, outcome "
        "definition, sample size rationale, ethics, open science, patient involvement, "
        "discussion); not reported: the report's analysis ran but lacks the item.",
    )
    ctx.results["methods"] = {
        "paragraph": result.paragraph,
        "software": dict(result.software),
        "tripod": result.tripod,
    }


def methods(ctx: Context, result: MethodsResult) -> dict[str, str]:
    """The sentences this stage adds to methods.md (statistics, seeds)."""
    return {k: v for k, v in result.sentences.items() if k not in ctx.methods}
