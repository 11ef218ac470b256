"""The report's stages and how one runs: compute a typed result, render it, register its R
checks, write its methods text.

A stage is a module ``hccstats.report._s_<key>`` with

- ``REQUIRES``: the stages whose results it needs (it does not run unless they ended "ok");
  each result is passed to ``compute`` as the keyword argument of that name;
- ``USES`` (optional): stages whose results it uses when they ended "ok" (else ``None``);
- ``compute(ctx, **results) -> result``: the numbers, as a frozen dataclass; raises
  :class:`StageUnavailable` when the study or installation cannot give them (not a shortfall
  unless the study asks for the stage), :class:`StageFailed` when the study asks for them and
  its data cannot give them (a shortfall);
- ``render(ctx, section, result)``: the tables, figures, text and results.json entries;
- ``r_checks(ctx, result)`` (optional): the headline numbers R recomputes;
- ``methods(ctx, result) -> str | dict[str, str]``: the methods sentences.

A result is never changed after ``compute``: the runner fingerprints the tables of each result
when it is made and again at the end of the run, and a change is a bug that stops the run.
"""

from __future__ import annotations

import dataclasses
import errno
import importlib
import pickle
import time
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports import Figure

from .._errors import InputError
from ._context import Context, Progress, StageFailed, StageUnavailable

__all__ = [
    "STAGES",
    "run_stages",
    "SplitData",
    "fingerprint",
    "asked",
    "stage_titles",
    "survival_only",
    "binary_only",
]

# (module, title) in the study's order
STAGES: list[tuple[str, str]] = [
    ("_s_flow", "Patient flow"),
    ("_s_baseline", "Baseline characteristics"),
    ("_s_agreement", "Reader agreement"),
    ("_s_features", "Deep-learning signatures"),
    ("_s_univariate", "Univariable analysis and collinearity"),
    ("_s_models", "Multivariable models and nomograms"),
    ("_s_performance", "Model performance"),
    ("_s_survival", "Time to the event"),
    ("_s_cox", "Cox models of the time to the event"),
    ("_s_rcheck", "R cross-check"),
    ("_s_methods", "Methods and TRIPOD+AI checklist"),
]


class SplitData:
    """The training and validation patients of a result's ``data`` (its ``split`` column)."""

    data: pd.DataFrame

    def training(self) -> pd.DataFrame:
        return self.data[self.data["split"] == "training"]

    def validation(self) -> pd.DataFrame:
        return self.data[self.data["split"] == "validation"]


def _tables(value: Any, depth: int = 0):
    """The frames and arrays in a result field (into dicts, lists and tuples, two levels)."""
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)):
        yield value
    elif depth < 2 and isinstance(value, Mapping):
        for v in value.values():
            yield from _tables(v, depth + 1)
    elif depth < 2 and isinstance(value, (list, tuple)):
        for v in value:
            yield from _tables(v, depth + 1)


def _digest(value) -> int:
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return hash(tuple(map(str, value.ravel().tolist())))
        return hash(np.ascontiguousarray(value).tobytes())
    frame = value if isinstance(value, pd.DataFrame) else value.to_frame()
    try:  # each column as stored: far cheaper than hashing every cell
        hashed = tuple(
            hash(_stored(col))
            for col in (frame.index, *(frame.iloc[:, j] for j in range(frame.shape[1])))
        )
    except (TypeError, AttributeError):
        hashed = _cell_hashes(value)
    names = value.columns if isinstance(value, pd.DataFrame) else [value.name]
    return hash((hashed, tuple(map(str, names))))


def _stored(values: pd.Series | pd.Index) -> bytes:
    """A column's (or an index's) contents as bytes: numbers as stored, categorical values as
    their codes and categories, other values by their repr (by value, never by identity)."""
    array = values.array
    if isinstance(array, pd.Categorical):
        return array.codes.tobytes() + pickle.dumps((list(array.categories), array.ordered))
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biufcmM":
        data = np.ascontiguousarray(values.to_numpy())
        return data.dtype.str.encode() + data.tobytes()
    cells = "\x1f".join(map(repr, values.to_numpy(dtype=object).tolist()))
    return f"{values.dtype}\x1e{cells}".encode()


def _cell_hashes(value) -> bytes:
    try:
        return pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
    except TypeError:  # cells pandas cannot hash (lists, dicts): their pickled bytes
        return pickle.dumps(value)


def fingerprint(result) -> tuple[int, ...]:
    """Hashes of every table (DataFrame, Series, array) a result holds, field by field."""
    out = []
    for f in dataclasses.fields(result):
        out += [_digest(t) for t in _tables(getattr(result, f.name))]
    return tuple(out)


def _check_result(key: str, result) -> None:
    if not (dataclasses.is_dataclass(result) and result.__dataclass_params__.frozen):
        raise TypeError(f"stage {key}: compute() must return a frozen dataclass")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"{type(exc).__name__}: {text}"
        if not isinstance(exc, (InputError, StageUnavailable, StageFailed))
        else text
    )


def _missing_module(exc: BaseException) -> str | None:
    """The hccstats/extract module whose absence made a stage unavailable, if that is what happened."""
    if (
        isinstance(exc, ModuleNotFoundError)
        and exc.name
        and exc.name.split(".")[0] in ("hccstats", "extract")
    ):
        return exc.name
    if (
        isinstance(exc, (ImportError, AttributeError))
        and "hccstats" in str(exc)
        and "has no attribute" in str(exc)
    ):
        return str(exc)
    return None


def survival_only(ctx: Context) -> bool:
    """Whether the study's only endpoint is the time to the event (its models are Cox models)."""
    return bool(getattr(ctx.study, "survival_only", False))


def binary_only(ctx: Context, what: str) -> None:
    """StageUnavailable for a stage that needs the binary outcome, in a survival-only study."""
    if survival_only(ctx):
        raise StageUnavailable(
            f"{what} needs a binary outcome (outcome:); this study's endpoint is the time to "
            "the event, analysed in 'Cox models of the time to the event'"
        )


# stages the study asks for only with a matching section (or, for the R check, without --no-r)
_ASKED = {
    "agreement": lambda ctx: bool(ctx.study.reader_spec),
    "features": lambda ctx: ctx.study.has_features,
    "rcheck": lambda ctx: ctx.options.use_r,
    "survival": lambda ctx: bool(ctx.analysis.survival) and not survival_only(ctx),
    "cox": survival_only,
    # the binary outcome's stages: not asked for in a survival-only study
    **{
        key: (lambda ctx: not survival_only(ctx)) for key in ("univariate", "models", "performance")
    },
}


def asked(ctx: Context, key: str) -> bool:
    """Whether the study asks for the stage ``key`` (agreement, features, survival only with
    their sections; the logistic stages only with a binary outcome, the Cox stage only
    without one; the R check unless --no-r; every other stage always)."""
    return _ASKED.get(key, lambda _: True)(ctx)


def stage_titles() -> dict[str, str]:
    """Stage key -> the title of its section."""
    return {m[3:]: t for m, t in STAGES}


# stages whose own "not available" is a shortfall when the study asks for them
_NEEDS_RESULT = ("agreement", "features", "rcheck", "survival", "cox")
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _incomplete(ctx: Context, key: str, exc: BaseException | None, blocked: list[str]) -> bool:
    """Whether a stage that did not end "ok" leaves the report short of what the study asks."""
    status = ctx.stage_status.get(key)
    if status == "ok":
        return False
    if status == "failed":
        return True
    wanted = asked(ctx, key)
    if blocked:  # a stage the study does not ask for is no shortfall, blocked or not
        return wanted and any(b in ctx.failed for b in blocked)
    if exc is not None and _missing_module(exc):
        return wanted
    return wanted and key in _NEEDS_RESULT


def _run_one(ctx: Context, mod, key: str, section, results: dict, prints: dict) -> None:
    """compute → render → R checks → methods, for one stage whose requirements are met."""
    given = {r: results[r] for r in getattr(mod, "REQUIRES", ())}
    given.update(
        {
            u: results[u] if ctx.stage_status.get(u) == "ok" else None
            for u in getattr(mod, "USES", ())
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library warnings are summarised by each stage
        result = mod.compute(ctx, **given)
        _check_result(key, result)
        results[key], prints[key] = result, fingerprint(result)
        ctx.labels.update(getattr(result, "labels", None) or {})
        mod.render(ctx, section, result)
        if hasattr(mod, "r_checks"):
            mod.r_checks(ctx, result)
        text = mod.methods(ctx, result)
    ctx.methods.update(text if isinstance(text, dict) else {key: text} if text else {})
    if ctx.writer is not None:  # the stage's figures are final: saved while the run goes on
        ctx.writer.save([b for b in section.blocks if isinstance(b, Figure)])


def run_stages(ctx: Context, progress: Progress) -> dict[str, Any]:
    """Run every stage in order, each in isolation; returns the typed results of those that ran.

    A stage whose requirements did not end "ok" is "not available"; one that raises is
    "failed" (or "not available" for :class:`StageUnavailable` and a missing module); one that
    ran but said a shortfall (:meth:`Context.shortfall`) is "incomplete"; a full disk stops
    the run. ``ctx.failed`` collects the stages the study asked for that fell short.
    """
    results: dict[str, Any] = {}
    prints: dict[str, tuple[int, ...]] = {}
    for mod_name, title in STAGES:
        section = ctx.section(title)
        key = mod_name[3:]
        ctx.sections[key] = section
        progress.start(title)
        t0 = time.perf_counter()
        error, blocked = None, []
        try:
            mod = importlib.import_module(f"hccstats.report.{mod_name}")
            blocked = [r for r in getattr(mod, "REQUIRES", ()) if ctx.stage_status.get(r) != "ok"]
            if blocked:
                raise StageUnavailable(
                    f"needs the stage(s) {', '.join(blocked)}, which did not complete"
                )
            _run_one(ctx, mod, key, section, results, prints)
            status = section.status if section.status != "ok" else "ok"
        except StageUnavailable as exc:
            error = exc
            status = section.status = "not available"
            section.message = _one_line(exc)
        except StageFailed as exc:  # the study's data cannot give what it asks for: said plainly
            error = exc
            status = section.status = "failed"
            section.message = f"This stage failed: {_one_line(exc)}"
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise  # the disk is full: no stage can write, the run stops
            error = exc
            status = section.status = "failed"
            section.message = f"This stage failed: {_one_line(exc)}"
        except Exception as exc:  # a failed stage is reported; the others still run
            error = exc
            missing = _missing_module(exc)
            if missing:
                status = section.status = "not available"
                section.message = f"not available in this installation ({missing})"
            else:
                status = section.status = "failed"
                section.message = f"This stage failed: {_one_line(exc)}"
                ctx.results.setdefault("errors", {})[key] = traceback.format_exception_only(
                    type(exc), exc
                )[-1].strip()
        if status == "ok" and key in ctx.failed:  # a shortfall the stage said (ctx.shortfall)
            status = section.status = "incomplete"
            section.message = section.message or ctx.failed[key]
        ctx.stage_status[key] = status
        if _incomplete(ctx, key, error, blocked):
            ctx.failed[key] = ctx.failed.get(key) or section.message or status
        note = section.message[:110] if section.message and status != "ok" else ""
        progress.stage(title, time.perf_counter() - t0, status, note)
    _unchanged(results, prints)
    return results


def _unchanged(results: dict, prints: dict) -> None:
    """Every result as its stage computed it: a later stage that changed one is a bug."""
    for key, result in results.items():
        if fingerprint(result) != prints[key]:
            raise RuntimeError(
                f"the result of the stage {key!r} was changed after it was computed "
                "(a later stage wrote into it); the report would not be what the stages computed"
            )
