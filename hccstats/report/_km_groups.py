"""Kaplan–Meier curves by a Cox model's risk group (cut-off: the Youden index of the event by
the horizon in the training set), with the log-rank test and its R check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..rbridge import survival_checks as R
from ._context import Context
from ._time import at_horizon, time_axis

__all__ = ["KmGroups", "km_by_risk", "render_km", "check_logrank", "SETS"]

SETS = ("training", "validation")


@dataclass(frozen=True)
class KmGroups:
    """Kaplan–Meier curves of one set by risk group, with the log-rank test."""

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray  # "Low risk" / "High risk"
    km: Any  # Survfit
    test: Any  # Survdiff, None with a single group


def km_by_risk(sets, risk, time, event, horizon) -> tuple[float, dict, pd.DataFrame]:
    """Kaplan–Meier curves of each set by risk group (the Youden cut-off of the event by the
    horizon in the training set): (cut-off, set -> KmGroups, counts and log-rank p per set)."""
    from hccstats import coords, roc
    from hccstats.survival import survdiff, survfit

    y_tr = ((sets["training"][event] == 1) & (sets["training"][time] <= horizon)).to_numpy(float)
    cut = coords(roc(y_tr, risk["training"], direction="<"), "best", best_method="youden")[0]
    rows, groups = [], {}
    for part in SETS:
        d = sets[part]
        group = np.where(risk[part] >= cut.threshold, "High risk", "Low risk")
        t, e = d[time].to_numpy(float), d[event].to_numpy(float)
        km = survfit(t, e, group=pd.Categorical(group, ["Low risk", "High risk"]))
        test = survdiff(t, e, group) if len(set(group)) > 1 else None
        groups[part] = KmGroups(t, e, group, km, test)
        p = test.p_value if test is not None else np.nan
        rows.append({"set": part, "cutoff": cut.threshold, "p_value": p, **_counts(group, e)})
    return cut.threshold, groups, pd.DataFrame(rows)


def _counts(group, e) -> dict:
    out = {}
    for g in ("Low risk", "High risk"):
        m = group == g
        out[f"n_{g.split()[0].lower()}"] = int(m.sum())
        out[f"events_{g.split()[0].lower()}"] = int(e[m].sum())
    return out


def render_km(
    ctx: Context, section, km: Mapping[str, KmGroups], *, time, horizon, model, cutoff
) -> None:
    """One Kaplan–Meier figure per set by ``model``'s risk group (see :func:`km_by_risk`)."""
    from hccstats.survival import km_plot

    step = horizon / 2
    for part in SETS:
        g = km[part]
        fig = km_plot(
            g.km,
            risk_times=np.arange(0, g.time.max() + step, step),
            logrank=g.test,
            xlabel=time_axis(ctx, time),
            ylabel="Event-free probability",
            title=f"{part.capitalize()} set",
        )
        section.figure(
            f"fig_km_{part}",
            fig,
            caption=f"{ctx.next_figure()} Kaplan–Meier curves of the {part} set by the "
            f"{model}'s risk group (cut-off {cutoff:.3f} of the predicted risk by "
            f"{at_horizon(ctx, time, horizon)}, Youden index of the event by then in the "
            f"training set), log-rank p and numbers at risk; time axis: "
            f"{time_axis(ctx, time)}",
        )


def check_logrank(ctx: Context, stage: str, km: Mapping[str, KmGroups], model: str) -> None:
    """Register each set's log-rank p of ``model``'s risk groups for the R check."""
    for part, g in km.items():
        if g.test is not None:
            ctx.check(
                stage,
                f"Log-rank p, {model} risk groups, {part}",
                g.test.p_value,
                "survival::survdiff(Surv(time, event) ~ group)",
                lambda g=g: R.logrank_p(g.time, g.event, g.group),
            )
