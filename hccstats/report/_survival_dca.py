"""Decision curves at the horizon of the Cox models (both stages that fit them): the net benefit
of each model, of treating all and of treating none over the study's threshold grid
(``analysis.dca_thresholds``), its table at round thresholds, results.json, the figure beside
the flexible calibration curves, and the R check of the net benefits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import survival_checks as R
from ._context import Context
from ._cox_perf import SETS
from ._time import at_horizon

__all__ = [
    "common_patients",
    "decision_curves",
    "shown_thresholds",
    "dca_results",
    "render_dca_table",
    "render_calibration_dca",
    "check_dca",
]

TREAT = ("Treat all", "Treat none")


def common_patients(sets: Mapping[str, Mapping[str, pd.DataFrame]], part: str) -> pd.DataFrame:
    """The patients of set ``part`` that every model covers (``sets``: model -> set -> its
    patients, those with its variables, the time and the event)."""
    frames = [s[part] for s in sets.values()]
    keep = frames[0].index
    for f in frames[1:]:
        keep = keep.intersection(f.index, sort=False)
    # as objects: pandas' isin on Arrow strings makes a scalar of every value looked for
    return frames[0][frames[0].index.astype(object).isin(keep.astype(object))]


def decision_curves(ctx: Context, fits, sets, time, event, horizon) -> dict:
    """Each set's decision curves at the horizon (Kaplan–Meier event rates) over the patients
    every model covers (``sets``: model -> set -> its patients), at the thresholds of
    ``analysis.dca_thresholds``."""
    from hccstats import dca

    out = {}
    for p in SETS:
        d = common_patients(sets, p)
        out[p] = dca(
            d[event].to_numpy(float),
            {n: f.predict_risk(d, times=horizon) for n, f in fits.items()},
            ctx.analysis.dca.thresholds,
            time=d[time].to_numpy(float),
            horizon=horizon,
        )
    return out


def shown_thresholds(grid) -> np.ndarray:
    """The thresholds the table shows: the multiples of 0.1 on the grid (0.1, 0.2, ...); when
    the grid holds fewer than two, up to six of its points evenly spaced (both ends in)."""
    grid = np.asarray(grid, float)
    tenths = [g for g in grid if g > 0 and np.isclose(g * 10, round(g * 10), atol=1e-9)]
    if len(tenths) >= 2:
        return np.array(tenths)
    idx = np.unique(np.linspace(0, len(grid) - 1, min(6, len(grid))).round().astype(int))
    return grid[idx]


def _range_text(ctx: Context) -> str:
    lo, hi, by = ctx.analysis.dca.range
    return f"{lo:g}–{hi:g} in steps of {by:g}"


def dca_results(dcas: Mapping[str, Any]) -> dict:
    """results.json's decision curves: per set the net benefit of each model, treat all and
    treat none at every threshold of the grid (``model, threshold, net_benefit, ...``), and n."""
    return {
        "tables": {p: d.table for p, d in dcas.items()},
        "n": {p: int(d.n) for p, d in dcas.items()},
        "thresholds": [float(t) for t in next(iter(dcas.values())).table["threshold"].unique()],
    }


def _wide(dcas: Mapping[str, Any], shown) -> tuple[pd.DataFrame, list[str]]:
    rows, models = [], []
    for part, d in dcas.items():
        table = d.table[np.isin(d.table["threshold"], shown)]
        wide = table.pivot(index="threshold", columns="model", values="net_benefit")
        models = [*d.models, *TREAT]
        rows.append(wide[models].reset_index().assign(set=part))
    return pd.concat(rows, ignore_index=True), models


def render_dca_table(
    ctx: Context, section: Section, key: str, dcas: Mapping[str, Any], *, time, horizon
) -> None:
    """The net benefit of each model, treat all and treat none at :func:`shown_thresholds`."""
    grid = next(iter(dcas.values())).table["threshold"].unique()
    shown = shown_thresholds(grid)
    wide, models = _wide(dcas, shown)
    formats = {
        "Set": lambda r: str(r["set"]).capitalize(),
        "Threshold probability": lambda r: F.fmt_num(r["threshold"], 2),
    }
    for m in models:
        formats[m] = lambda r, m=m: F.fmt_num(r[m], 3)
    at = at_horizon(ctx, time, horizon)
    n = ", ".join(f"{p} n = {d.n}" for p, d in dcas.items())
    section.table(
        key,
        wide,
        caption=f"{ctx.next_table()} Net benefit of the models at {at} by threshold probability",
        formats=formats,
        footnote=f"Net benefit at {at} (Kaplan–Meier event rates; dcurves's survival method) of "
        "treating the patients whose predicted risk by then reaches the threshold, of treating "
        f"all and of treating none; {n} (the patients with every model's variables). Shown: "
        "the multiples of 0.1 within the study's threshold grid (analysis.dca_thresholds: "
        f"{_range_text(ctx)}); results.json holds every threshold of the grid.",
    )


def render_calibration_dca(
    ctx: Context, section: Section, key: str, curves, dcas, *, time, horizon, what: str
) -> None:
    """Flexible calibration curves of the models per set (A, B) over the decision curves (C, D)."""
    from hccstats.plots import calibration_curves, decision_curves, journal_style, new_figure

    at = at_horizon(ctx, time, horizon)
    with journal_style():
        fig, axes = new_figure("double", 6.0, nrows=2, ncols=2)
    for j, part in enumerate(SETS):
        calibration_curves(
            {n: c[part] for n, c in curves.items()},
            ax=axes[0][j],
            title=f"{'AB'[j]}  Calibration, {part} set",
            xlabel=f"Predicted risk by {at}",
            ylabel=f"Observed risk by {at}",
        )
        decision_curves(dcas[part].table, ax=axes[1][j], title=f"{'CD'[j]}  DCA, {part} set")
    n = ", ".join(f"{p} n = {d.n}" for p, d in dcas.items())
    section.figure(
        key,
        fig,
        caption=f"{ctx.next_figure()} Flexible calibration curves of {what} at {at} "
        "(A, training set, apparent; B, validation set; Cox model of the observed event on "
        "restricted cubic splines of log(-log(1 - risk)), with the distribution of the predicted "
        f"risks) and decision curves at {at} with Kaplan–Meier event rates (C, D; threshold "
        f"probabilities {_range_text(ctx)}; {n}, the patients with every model's variables)",
    )


def check_dca(ctx: Context, stage: str, fits, sets, dcas, time, event, horizon) -> None:
    """Register the net benefit of each model and of treating all at the shown thresholds."""
    for part, d in dcas.items():
        common = common_patients(sets, part)
        t, e = common[time].to_numpy(float), common[event].to_numpy(float)
        shown = shown_thresholds(d.table["threshold"].unique())
        nb = d.table.set_index(["model", "threshold"])["net_benefit"]
        checks = [(name, fit, 0) for name, fit in fits.items()]
        checks.append(("Treat all", next(iter(fits.values())), 1))  # any model's R call has it
        for who, fit, col in checks:
            x = fit.predict_risk(common, times=horizon)
            for k, th in enumerate(shown):
                ctx.check(
                    stage,
                    f"Net benefit at {horizon:g}, {who}, threshold {th:g}, {part}",
                    nb[(who, th)],
                    "survival::survfit Kaplan–Meier risks of the test positives "
                    "(dcurves's survival method written in R)",
                    lambda t=t, e=e, x=x, k=k, c=col, s=shown: R.net_benefit(t, e, x, horizon, s)[
                        k, c
                    ],
                    rtol=1e-9,
                    atol=1e-12,
                )
