"""The statistician's analysis plan for the model stages, read from study.yaml's ``analysis:``.

``models`` (prespecified models by name), ``selection`` (forward_lr, backward_lr or none),
``bootstrap`` ({B, seed}), ``dca_thresholds`` ({from, to, by}) and ``per`` (odds-ratio units
per variable: a number or ``sd``). Each value is checked here once, with a one-line
:class:`hccstats.InputError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._errors import InputError
from ._context import Context

__all__ = ["Plan", "plan", "SELECTIONS", "DCA_DEFAULT"]

SELECTIONS = ("forward_lr", "backward_lr", "none")
DCA_DEFAULT = {"from": 0.0, "to": 0.6, "by": 0.01}


@dataclass(frozen=True)
class Plan:
    models: dict[str, list[str]] = field(default_factory=dict)
    selection: str = "forward_lr"
    B: int = 1000
    bootstrap_seed: int = 0
    thresholds: np.ndarray = field(default_factory=lambda: _grid(DCA_DEFAULT))
    threshold_range: tuple[float, float, float] = (0.0, 0.6, 0.01)
    per: dict[str, float | str] = field(default_factory=dict)


def _fail(key: str, what: str) -> InputError:
    return InputError(f"study.yaml: analysis.{key}: {what}")


def _grid(spec: dict) -> np.ndarray:
    lo, hi, by = (float(spec[k]) for k in ("from", "to", "by"))
    n = int(np.floor((hi - lo) / by + 1e-9)) + 1
    return np.round(lo + by * np.arange(n), 12)  # R's seq(from, to, by)


def _models(raw, variables) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise _fail("models", "expected a mapping {model name: [variables]}")
    out = {}
    for name, vs in raw.items():
        if isinstance(vs, str):
            vs = [vs]
        if not isinstance(vs, list) or not vs:
            raise _fail(f"models.{name}", "expected a non-empty list of variables")
        bad = [v for v in vs if v not in variables]
        if bad:
            raise _fail(f"models.{name}", f"not declared under variables: {bad}")
        out[str(name)] = [str(v) for v in dict.fromkeys(vs)]
    return out


def _thresholds(raw) -> tuple[np.ndarray, tuple[float, float, float]]:
    spec = dict(DCA_DEFAULT)
    if raw is not None:
        if not isinstance(raw, dict) or set(raw) - set(spec):
            raise _fail("dca_thresholds", "expected {from: 0, to: 0.6, by: 0.01}")
        spec.update(raw)
    lo, hi, by = (spec[k] for k in ("from", "to", "by"))
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi, by)):
        raise _fail("dca_thresholds", "from, to and by must be numbers")
    if not (0 <= lo < hi < 1 and 0 < by <= hi - lo):
        raise _fail("dca_thresholds", f"need 0 ≤ from < to < 1 and 0 < by ≤ to − from, got {spec}")
    return _grid(spec), (float(lo), float(hi), float(by))


def _per(raw, variables) -> dict[str, float | str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail("per", "expected a mapping {variable: units or sd}")
    out = {}
    for var, k in raw.items():
        if var not in variables:
            raise _fail(f"per.{var}", "not declared under variables")
        if k == "sd":
            out[str(var)] = "sd"
        elif isinstance(k, (int, float)) and not isinstance(k, bool) and k > 0:
            out[str(var)] = float(k)
        else:
            raise _fail(f"per.{var}", f"expected a positive number or sd, got {k!r}")
    return out


def plan(ctx: Context) -> Plan:
    """The model stages' plan from ``analysis:`` (defaults where a key is absent)."""
    a = dict(ctx.study.config.get("analysis") or {})
    variables = set(ctx.study.variables)
    selection = a.get("selection", "forward_lr")
    if selection not in SELECTIONS:
        raise _fail("selection", f"expected one of {', '.join(SELECTIONS)}, got {selection!r}")
    models = _models(a.get("models"), variables)
    if selection == "none" and not models:
        raise _fail("selection", "none needs prespecified models (analysis.models)")
    boot = a.get("bootstrap") or {}
    if not isinstance(boot, dict) or set(boot) - {"B", "seed"}:
        raise _fail("bootstrap", "expected {B: resamples, seed: integer}")
    B, seed = boot.get("B", ctx.options.B), boot.get("seed", ctx.seed)
    for key, v, low in (("B", B, 10), ("seed", seed, 0)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise _fail(f"bootstrap.{key}", f"expected an integer ≥ {low}, got {v!r}")
    thresholds, rng = _thresholds(a.get("dca_thresholds"))
    return Plan(
        models=models,
        selection=selection,
        B=int(B),
        bootstrap_seed=int(seed),
        thresholds=thresholds,
        threshold_range=rng,
        per=_per(a.get("per"), variables),
    )
