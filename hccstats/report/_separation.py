"""Separation in the report's multivariable models: Firth refits and the warnings that say so."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._context import Context

__all__ = [
    "firth_refit",
    "model_odds_ratios",
    "separation_alert",
    "failed_refits",
    "calibration_failures",
]

FAILED_WARN = 0.01  # bootstrap fits failing above this share are warned about


def firth_refit(fit):
    """The same model (formula, rows) refitted by Firth's penalised likelihood (logistf)."""
    from hccstats import lrm

    return lrm(fit.formula, fit.data, firth=True, labels=fit.labels)


def model_odds_ratios(name: str, fit, label: Callable[[str], str]) -> tuple[pd.DataFrame, str]:
    """The model's odds ratios and a footnote sentence ("" when nothing to say).

    Firth fits: profile penalised-likelihood CIs and penalised LR p values (logistf's
    defaults). A separated maximum-likelihood fit: the separating terms' odds ratios are
    blanked (they are infinite, not results); :func:`separation_alert` says it atop the report.
    """
    if getattr(fit, "firth", False):
        return fit.odds_ratios(method="profile"), (
            f"{name}: Firth-penalised likelihood (logistf), profile penalised-likelihood CIs "
            "and penalised likelihood-ratio p values."
        )
    ors = fit.odds_ratios()
    sep = fit.separation
    if sep is None:
        return ors, ""
    ors.loc[ors["term"].isin(list(sep.columns)), ["estimate", "ci_low", "ci_high", "p_value"]] = (
        np.nan
    )
    return ors, (
        f"{name}: {sep.kind} separation by {_who(fit, label)}; its odds ratio is infinite (NA, "
        "not estimable); refit with analysis: {firth: true}."
    )


def _who(fit, label: Callable[[str], str]) -> str:
    return ", ".join(label(c) for c in fit.separation.columns) or "the intercept"


def separation_alert(name: str, fit, label: Callable[[str], str]) -> str | None:
    """The warning atop the report for a separated maximum-likelihood fit (None otherwise)."""
    sep = None if getattr(fit, "firth", False) else fit.separation
    if sep is None:
        return None
    return (
        f"{name}: {sep.kind} separation by {_who(fit, label)} in the training set. The "
        "maximum-likelihood odds ratios do not exist (they are infinite) and are not shown; the "
        "model's discrimination and calibration are over-optimistic. Set analysis: {firth: true} "
        "in study.yaml for Firth-penalised estimates."
    )


def failed_refits(cals: dict) -> tuple[str, list[str]]:
    """The methods sentence about the failed bootstrap fits, and a warning per model whose
    failed fits exceed 1%."""
    parts, alerts = [], []
    for (model, part), c in cals.items():
        if not getattr(c, "B", 0):
            continue
        parts.append(f"{model}: {c.n_failed} of {c.B}")
        if c.n_failed > FAILED_WARN * c.B:
            alerts.append(
                f"Calibration of the {model} ({part} set): {c.n_failed} of {c.B} bootstrap "
                f"refits failed ({100 * c.n_failed / c.B:.1f}%); the bias-corrected curve "
                "rests on the others and is unreliable (separation or too few events)."
            )
    text = " Failed bootstrap refits (left out): " + "; ".join(parts) + "." if parts else ""
    return text, alerts


def calibration_failures(ctx: Context, cals: dict) -> str:
    """Warn atop the report when more than 1% of a model's bootstrap fits failed; returns the
    methods sentence about the failed fits."""
    text, alerts = failed_refits(cals)
    for a in alerts:
        ctx.alert(a)
    return text
