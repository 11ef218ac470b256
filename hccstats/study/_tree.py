"""The analysis tree: every setting of a run, frozen, with where each value came from.

```
Analysis
├─ seed                 the run seed (study file ``seed``, or ``--seed``)
├─ split_seed           the random split's seed (``split.seed``, else the run seed)
├─ bootstrap            B, seed (``analysis.bootstrap``; the seed defaults to the run seed)
├─ screening            alpha, entry, removal, selection, ordinal_as, firth, per,
│                       candidates, baseline
├─ models               {name: (variables or terms)}: the prespecified models
├─ published            {name: PublishedSpec}: the models given by their published equation
├─ dca                  range (from, to, by) → thresholds
├─ survival             time, event, horizon, label, unit (None without ``survival:``)
├─ extraction           crop_size, n4_iterations, n4_convergence, scheduler, n_jobs, preset
└─ report               layout (the ``report:`` section)
```

Built and validated once by :func:`hccstats.study.load` (:func:`build_analysis`), carried
unchanged by the report's ``Context`` (``ctx.analysis``). Values are read plainly
(``tree.bootstrap.B``); :meth:`Analysis.provenance` says where one came from (``"study
file"``, ``"command line"``, ``"default"``, or ``"run seed"`` for a seed that follows it) and
:meth:`Analysis.origin` under which key.

The horizon is ``survival.horizon`` in the study file and ``times=`` in the library
(``hccstats.survival``: ``td_auc(..., times=)``, ``CoxFit.predict_risk(data, times=)``): the
report passes ``tree.survival.horizon`` as ``times``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import InputError
from .._validation import check_seed
from ._analysis import analysis_defaults, check_combinations, read_analysis

__all__ = [
    "Analysis",
    "Bootstrap",
    "Screening",
    "DecisionCurves",
    "Survival",
    "Extraction",
    "ReportLayout",
    "Origin",
    "build_analysis",
    "check_run_options",
    "STUDY_FILE",
    "COMMAND_LINE",
    "DEFAULT",
    "RUN_SEED",
    "TREE_PATHS",
]

STUDY_FILE, COMMAND_LINE, DEFAULT, RUN_SEED = "study file", "command line", "default", "run seed"

#: ``analysis:`` key -> the tree's path (``bootstrap`` holds two: bootstrap.B, bootstrap.seed;
#: ``B`` is the old spelling of ``bootstrap.B``, refused beside it)
TREE_PATHS = {
    "clinical_candidates": "screening.candidates",
    "baseline_variables": "screening.baseline",
    "alpha": "screening.alpha",
    "entry": "screening.entry",
    "removal": "screening.removal",
    "selection": "screening.selection",
    "ordinal_as": "screening.ordinal_as",
    "firth": "screening.firth",
    "per": "screening.per",
    "B": "bootstrap.B",
    "signature_preset": "extraction.preset",
    "crop_size": "extraction.crop_size",
    "n4_iterations": "extraction.n4_iterations",
    "n4_convergence": "extraction.n4_convergence",
    "n_jobs": "extraction.n_jobs",
    "models": "models",
    "dca_thresholds": "dca.range",
}


@dataclass(frozen=True)
class Origin:
    """Where a value came from: ``source`` (study file, command line, default, run seed) and
    ``key`` (the study file's key, the CLI flag, or the key whose default it is)."""

    source: str
    key: str


@dataclass(frozen=True)
class Bootstrap:
    """Resamples of the calibration curves, the internal validation and the Cox calibration."""

    B: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class Screening:
    """The univariable screen and the stepwise selection."""

    alpha: float = 0.05
    entry: float = 0.05
    removal: float = 0.10
    selection: str = "forward_lr"
    ordinal_as: str = "numeric"
    firth: bool = False
    per: Mapping[str, float | str] = field(default_factory=lambda: MappingProxyType({}))
    candidates: tuple[str, ...] | None = None  # None: every declared variable but the outcome
    baseline: tuple[str, ...] | None = None  # None: every declared variable


def _grid(lo: float, hi: float, by: float) -> np.ndarray:
    """R's ``seq(from, to, by)``."""
    n = int(np.floor((hi - lo) / by + 1e-9)) + 1
    return np.round(lo + by * np.arange(n), 12)


@dataclass(frozen=True)
class DecisionCurves:
    """``range``: (from, to, by) of the threshold probabilities; ``thresholds``: the grid."""

    range: tuple[float, float, float] = (0.0, 0.6, 0.01)

    @property
    def thresholds(self) -> np.ndarray:
        return _grid(*self.range)


@dataclass(frozen=True)
class Survival:
    """Time to the event: its columns, the horizon (the library's ``times``), the time's label
    and unit (from its ``variables:`` entry; None when not declared)."""

    time: str
    event: str
    horizon: float
    label: str
    unit: str | None = None


@dataclass(frozen=True)
class Extraction:
    """Deep-feature extraction and the signature search (None: extract's own default)."""

    crop_size: int | None = None
    n4_iterations: tuple[int, ...] | None = None
    n4_convergence: float | None = None
    scheduler: str | None = None
    n_jobs: int = 1
    preset: str = "standard"


@dataclass(frozen=True)
class ReportLayout:
    """The ``report:`` section (sections, supplementary, nomogram, r_check_in_docx)."""

    layout: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Analysis:
    """Every setting of a run (see the module's tree), with each value's :class:`Origin`."""

    seed: int = 0
    split_seed: int | None = 0
    bootstrap: Bootstrap = field(default_factory=Bootstrap)
    screening: Screening = field(default_factory=Screening)
    models: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    #: the models given by their published equation: name -> PublishedSpec (never fitted)
    published: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    dca: DecisionCurves = field(default_factory=DecisionCurves)
    survival: Survival | None = None
    extraction: Extraction = field(default_factory=Extraction)
    report: ReportLayout = field(default_factory=ReportLayout)
    origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}))

    def value(self, path: str) -> Any:
        """The value at a dotted path (``"bootstrap.seed"``)."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part)
        return node

    def origin(self, path: str) -> Origin:
        """Where the value at ``path`` came from (a path never set is a default)."""
        self.value(path)  # an unknown path is an AttributeError, not a default
        return self.origins.get(path, Origin(DEFAULT, path))

    def provenance(self, path: str) -> str:
        """``"study file"``, ``"command line"``, ``"default"`` or ``"run seed"``."""
        return self.origin(path).source

    def described(self, path: str) -> str:
        """Where the value came from, in words: ``from the command line, --seed``, ``from the
        study file, analysis.bootstrap.seed``, ``the default``, ``the run seed, from the
        command line, --seed``."""
        o = self.origin(path)
        if o.source == RUN_SEED:
            return "the run seed, " + self.described("seed")
        if o.source == DEFAULT:
            return "the default"
        return f"from the {o.source}, {o.key}"


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(value)
    return value


class _Given:
    """The values given for the tree's paths, each with its origin (later calls win)."""

    def __init__(self):
        self.values: dict[str, Any] = {}
        self.origins: dict[str, Origin] = {}

    def put(self, path: str, value: Any, origin: Origin) -> None:
        self.values[path] = _frozen(value)
        self.origins[path] = origin

    def analysis(self, checked: Mapping[str, Any], source: str, prefix: str) -> None:
        """Checked ``analysis:`` keys (one key per setting: ``B`` beside ``bootstrap.B`` is
        refused by :func:`one_spelling` before)."""
        for name, value in checked.items():
            if name == "bootstrap":
                for sub, v in value.items():
                    self.put(f"bootstrap.{sub}", v, Origin(source, f"{prefix}bootstrap.{sub}"))
            elif name == "published":  # analysis.models given by their equation (read_analysis)
                self.put("published", value, Origin(source, f"{prefix}models"))
            elif name == "dca_thresholds":
                rng = tuple(float(value[k]) for k in ("from", "to", "by"))
                self.put("dca.range", rng, Origin(source, f"{prefix}{name}"))
            else:
                self.put(TREE_PATHS[name], value, Origin(source, f"{prefix}{name}"))


def one_spelling(given: Mapping[str, Any], where: str) -> None:
    """``B`` and ``bootstrap.B`` name one setting: both given is an InputError naming both."""
    if "B" in given and "B" in (given.get("bootstrap") or {}):
        raise InputError(
            f"{where}: analysis.B ({given['B']}) and analysis.bootstrap.B "
            f"({given['bootstrap']['B']}) both set the bootstrap resamples; give only "
            "analysis.bootstrap.B"
        )


def _section(cls, given: _Given, prefix: str):
    """A section's dataclass from the defaults and the given values under ``prefix``."""
    names = cls.__dataclass_fields__
    return cls(
        **{n: given.values[f"{prefix}.{n}"] for n in names if f"{prefix}.{n}" in given.values}
    )


def _survival(spec: Mapping | None, variables: Mapping[str, Any]) -> Survival | None:
    if not spec:
        return None
    var = variables.get(spec["time"])
    return Survival(
        time=spec["time"],
        event=spec["event"],
        horizon=float(spec["horizon"]),
        label=spec.get("label") or getattr(var, "label", None) or spec["time"],
        unit=spec.get("unit") or getattr(var, "unit", None),
    )


def _run_options(overrides: Mapping[str, Any], given: _Given) -> dict[str, Any]:
    """The CLI's own options (--seed, --scheduler) put; the rest (``analysis:`` keys) returned."""
    rest = dict(overrides)
    seed = rest.pop("seed", None)
    if seed is not None:
        given.put(
            "seed", check_seed(seed, "the run", name="--seed"), Origin(COMMAND_LINE, "--seed")
        )
    scheduler = rest.pop("scheduler", None)
    if scheduler is not None:
        from extract.address import address_problem

        problem = address_problem(scheduler)
        if problem:
            raise InputError(problem)
        given.put("extraction.scheduler", scheduler, Origin(COMMAND_LINE, "--scheduler"))
    return rest


def check_run_options(overrides: Mapping[str, Any]) -> None:
    """The run's own options (``seed``, ``scheduler``) checked as :func:`build_analysis` checks
    them, before a study is there (the demo writes its study first)."""
    _run_options(overrides, _Given())


def build_analysis(
    cfg: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    *,
    yaml_name: str = "study.yaml",
) -> Analysis:
    """The analysis tree of a validated study file (``cfg``, from ``read_config``).

    ``overrides`` are the run's options (the command line): ``seed``, ``scheduler`` and any
    ``analysis:`` key, checked by the same rules, winning over the study file. ``defaults``
    replace the schema's defaults (the demo's quick extraction). InputError (one line) for a
    bad override or two spellings of one setting.
    """
    given = _Given()
    variables = cfg.get("variables") or {}
    given.put("seed", cfg["seed"], Origin(STUDY_FILE if cfg.get("seed_given") else DEFAULT, "seed"))
    schema = {k: v for k, v in analysis_defaults().items() if v is not None}
    given.analysis(schema, DEFAULT, "analysis.")
    given.analysis(read_analysis(defaults, variables, "the demo's defaults"), DEFAULT, "analysis.")
    file_analysis = cfg.get("analysis") or {}
    one_spelling(file_analysis, yaml_name)
    given.analysis(file_analysis, STUDY_FILE, "analysis.")
    rest = _run_options(overrides or {}, given)
    one_spelling(rest, "the run's options")
    checked = read_analysis(rest, variables, "the run's options", between=False)
    if checked:  # the file's keys with the run's, as one analysis: section
        check_combinations({**file_analysis, **checked}, "the study file with the run's options")
    given.analysis(checked, COMMAND_LINE, "")
    seed = given.values["seed"]
    if "bootstrap.seed" not in given.values:
        given.put("bootstrap.seed", seed, Origin(RUN_SEED, "seed"))
    split = cfg["split"]
    if split["method"] != "random":
        split_seed = None
    elif split.get("seed") is not None:
        split_seed = split["seed"]
        given.put("split_seed", split_seed, Origin(STUDY_FILE, "split.seed"))
    else:
        split_seed = seed
        given.put("split_seed", seed, Origin(RUN_SEED, "seed"))
    extraction = _section(Extraction, given, "extraction")
    check_extraction(extraction, given.origins, yaml_name)
    return Analysis(
        seed=seed,
        split_seed=split_seed,
        bootstrap=_section(Bootstrap, given, "bootstrap"),
        screening=_section(Screening, given, "screening"),
        models=given.values.get("models") or MappingProxyType({}),
        published=given.values.get("published") or MappingProxyType({}),
        dca=_section(DecisionCurves, given, "dca"),
        survival=_survival(cfg.get("survival"), variables),
        extraction=extraction,
        report=ReportLayout(_frozen(cfg.get("report") or {})),
        origins=MappingProxyType(dict(given.origins)),
    )


def check_extraction(extraction: Extraction, origins: Mapping[str, Origin], yaml_name: str) -> None:
    """The extraction values as extract itself checks them (:func:`extract.limits.settings_problem`),
    refused at load naming the key they came from."""
    from extract.limits import settings_problem

    values = {
        "size": extraction.crop_size,
        "n4_iterations": extraction.n4_iterations,
        "n4_convergence": extraction.n4_convergence,
    }
    problem = settings_problem(**values)
    if problem is None:
        return
    setting, why = problem
    path = "extraction." + {"size": "crop_size"}.get(setting, setting)
    o = origins.get(path, Origin(DEFAULT, path))
    where = yaml_name if o.source == STUDY_FILE else "the run's options"
    raise InputError(
        f"{where}: {o.key}: {values[setting]!r} refused by the extraction: {setting} {why}"
    )
