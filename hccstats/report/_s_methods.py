"""Stage 9: the generated methods paragraph and a TRIPOD-style checklist of what the report covers."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reports import Section

from ._context import Context, stage_label
from ._tripod import tripod_status

REQUIRES: tuple[str, ...] = ()

# (TRIPOD item, what it asks, the stage that covers it)
TRIPOD = [
    ("4a", "Study design and data source", "flow"),
    ("5a", "Study setting, centres", "flow"),
    ("5b", "Eligibility criteria / exclusions", "flow"),
    ("6a", "Outcome definition", "flow"),
    ("7a", "Predictors (definition, readers' agreement)", "agreement"),
    ("8", "Sample size, events", "flow"),
    ("9", "Handling of missing data", "baseline"),
    ("10a", "Handling of predictors in the analysis", "univariate"),
    ("10b", "Model type, predictor selection", "models"),
    ("10d", "Measures of model performance", "performance"),
    ("13a", "Participant flow", "flow"),
    ("13b", "Participant characteristics (development vs validation)", "baseline"),
    ("14a", "Number of participants and events in each analysis", "univariate"),
    ("15a", "Full prediction model (all coefficients)", "models"),
    ("15b", "How to use the model (nomogram)", "models"),
    ("16", "Performance measures with CIs (discrimination, calibration)", "performance"),
    (
        "10e/17",
        "Model updating / comparison (DeLong), clinical usefulness (decision curves)",
        "performance",
    ),
]


def _versions(use_r: bool) -> dict[str, str]:
    import importlib.metadata as md

    out = {"Python": platform.python_version()}  # torch etc. only when a stage used them
    for pkg in (
        "hccstats",
        "numpy",
        "scipy",
        "pandas",
        "statsmodels",
        "scikit-learn",
        "matplotlib",
        *(("rpy2",) if use_r else ()),
    ):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


_SEED_FROM = {
    "split.seed": "split.seed of the study file",
    "--seed": "the run's --seed",
    "seed": "the study's seed",
}


def seeds_sentence(ctx: Context) -> str:
    """Each random step that ran, with the seed it used and where that seed came from."""
    run_from = _SEED_FROM[ctx.run.seed_from]
    split = ctx.study.config["split"]
    if split["method"] == "random":
        steps = [
            f"the training/validation split, seed {split['seed']} ({_SEED_FROM[split['seed_from']]})"
        ]
    else:
        steps = [f"none for the split (given by the column {split['column']!r})"]
    if ctx.stage_status.get("features") == "ok":
        if ctx.run.demo and ctx.study.config.get("images"):
            steps.append(
                f"the random weights of the feature extractor, seed {ctx.seed} ({run_from})"
            )
        steps.append(f"the signature search's cross-validation folds, seed {ctx.seed} ({run_from})")
    if ctx.stage_status.get("performance") == "ok":
        B, seed = ctx.plan.B, ctx.plan.bootstrap_seed
        given = "seed" in ((ctx.study.config.get("analysis") or {}).get("bootstrap") or {})
        steps.append(
            f"the {B} bootstrap resamples of the calibration and the internal validation, "
            f"seed {seed} ({'the study file: analysis.bootstrap.seed' if given else run_from})"
        )
    if ctx.stage_status.get("survival") == "ok":
        steps.append(
            f"the bootstrap of the Cox calibration at the horizon, seed {ctx.seed} ({run_from})"
        )
    return "Random steps and their seeds: " + "; ".join(steps) + "."


@dataclass(frozen=True)
class MethodsResult:
    sentences: Mapping[str, str]  # every stage's methods text, then statistics and seeds
    software: Mapping[str, str]  # package -> version
    tripod: pd.DataFrame  # item, topic, section, status

    @property
    def paragraph(self) -> str:
        return " ".join(self.sentences.values())


def _own_sentences(ctx: Context) -> dict[str, str]:
    out = {}
    if "statistics" not in ctx.methods:
        out["statistics"] = (
            f"All statistical tests were two-sided with p < {ctx.options.alpha:g} considered "
            "significant."
        )
    out["seeds"] = seeds_sentence(ctx)
    return out


def compute(ctx: Context) -> MethodsResult:
    """The methods paragraph from the stages' sentences, and the TRIPOD items' status."""
    rows = []
    for item, what, stage in TRIPOD:
        status = ctx.stage_status.get(stage, "ok" if stage == "methods" else "not run")
        rows.append(
            {
                "item": item,
                "topic": what,
                "section": stage,
                "status": tripod_status(ctx, item, status),
            }
        )
    software = dict(sorted({**ctx.software, **_versions(ctx.options.use_r)}.items()))
    return MethodsResult({**ctx.methods, **_own_sentences(ctx)}, software, pd.DataFrame(rows))


def render(ctx: Context, section: Section, result: MethodsResult) -> None:
    ctx.software.update(result.software)
    sw = ", ".join(f"{k} {v}" for k, v in result.software.items())
    section.text(result.paragraph)
    section.text(f"Software: {sw}.", style="note")
    section.table(
        "tripod",
        result.tripod,
        caption=f"{ctx.next_table(supplementary=True)} TRIPOD checklist: items this report covers",
        formats={
            "TRIPOD item": lambda r: r["item"],
            "Topic": lambda r: r["topic"],
            "Report section": lambda r: stage_label(r["section"]),
            "Status": lambda r: r["status"],
        },
        footnote="TRIPOD: Transparent Reporting of a multivariable prediction model for Individual Prognosis Or "
        "Diagnosis (Collins et al., 2015). Items about the title, abstract, discussion and funding are the authors'.",
    )
    ctx.results["methods"] = {
        "paragraph": result.paragraph,
        "software": dict(result.software),
        "tripod": result.tripod,
    }


def methods(ctx: Context, result: MethodsResult) -> dict[str, str]:
    """The sentences this stage adds to methods.md (statistics, seeds)."""
    return {k: v for k, v in result.sentences.items() if k not in ctx.methods}
