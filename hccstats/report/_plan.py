"""The statistician's analysis plan for the model stages, from study.yaml's ``analysis:``.

``models`` (prespecified models by name; ``published``: those given by their equation),
``selection`` (forward_lr, backward_lr or none),
``bootstrap`` ({B, seed}), ``dca_thresholds`` ({from, to, by}) and ``per`` (odds-ratio units
per variable: a number or ``sd``). The study loader has checked each value against the schema
(:data:`hccstats.study.ANALYSIS_KEYS`); this module fills the defaults and checks what
involves two keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Plan", "make_plan"]


def _grid(lo: float, hi: float, by: float) -> np.ndarray:
    """R's ``seq(from, to, by)``."""
    n = int(np.floor((hi - lo) / by + 1e-9)) + 1
    return np.round(lo + by * np.arange(n), 12)


@dataclass(frozen=True)
class Plan:
    models: dict[str, list[str]] = field(default_factory=dict)
    #: models given by their published equation: name -> hccstats.study PublishedSpec
    published: dict[str, object] = field(default_factory=dict)
    selection: str = "forward_lr"
    B: int = 1000
    bootstrap_seed: int = 0
    threshold_range: tuple[float, float, float] = (0.0, 0.6, 0.01)
    per: dict[str, float | str] = field(default_factory=dict)

    @property
    def thresholds(self) -> np.ndarray:
        return _grid(*self.threshold_range)


def make_plan(study, options) -> Plan:
    """The model stages' plan from the study file (defaults where a key is absent); the
    bootstrap's B and seed default to the run's options (``analysis.B``, the run's seed)."""
    from hccstats.study import ANALYSIS_KEYS

    defaults = {k.name: k.default for k in ANALYSIS_KEYS}
    a = {**defaults, **dict(study.config.get("analysis") or {})}
    models = dict(a.get("models") or {})
    boot = a.get("bootstrap") or {}
    rng = a["dca_thresholds"]
    return Plan(
        models=models,
        published=dict(a.get("published") or {}),
        selection=a["selection"],
        B=int(boot.get("B", options.B)),
        bootstrap_seed=int(boot.get("seed", options.seed)),
        threshold_range=(float(rng["from"]), float(rng["to"]), float(rng["by"])),
        per=dict(a.get("per") or {}),
    )
