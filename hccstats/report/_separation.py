"""Separation in the report's multivariable models: Firth refits and the warnings that say so."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._context import Context

__all__ = [
    "firth_refit",
    "model_odds_ratios",
    "separating_terms",
    "NOMOGRAM_NOT_DRAWN",
    "separation_alert",
    "failed_refits",
    "calibration_failures",
]

FAILED_WARN = 0.01  # bootstrap fits failing above this share are warned about
NOMOGRAM_NOT_DRAWN = (
    "not drawn: the model separates the outcome; refit with analysis: {firth: true}"
)


def separating_terms(fit) -> list[str]:
    """The design columns of a separated maximum-likelihood fit whose estimates diverge (the
    intercept when no variable is named); empty for Firth fits and fits without separation."""
    sep = None if getattr(fit, "firth", False) else getattr(fit, "separation", None)
    if sep is None:
        return []
    return list(sep.columns) or ["Intercept"]


def firth_refit(fit):
    """The same model (formula, rows) refitted by Firth's penalised likelihood (logistf); a
    Firth fit as it is."""
    from hccstats import lrm

    if getattr(fit, "firth", False):
        return fit
    return lrm(fit.formula, fit.data, firth=True, labels=fit.labels)


def model_odds_ratios(name: str, fit, label: Callable[[str], str]) -> tuple[pd.DataFrame, str]:
    """The model's odds ratios and a footnote sentence ("" when nothing to say).

    Firth fits: profile penalised-likelihood CIs and penalised LR p values (logistf's
    defaults), with a sentence for each coefficient whose limit is not attainable or whose
    CI or p value fell back to the Wald one of the penalised fit. A separated
    maximum-likelihood fit: the separating terms' β, odds ratios, CIs and p values are blanked
    (they diverge, not results); :func:`separation_alert` says it atop the report.
    """
    if getattr(fit, "firth", False):
        ors = fit.odds_ratios(method="profile")
        notes = fit.penalised_profile().notes
        return ors, (
            f"{name}: Firth-penalised likelihood (logistf), profile penalised-likelihood CIs "
            "and penalised likelihood-ratio p values."
            + "".join(f" {_labelled(n, fit, label)}" for n in notes)
        )
    ors = fit.odds_ratios()
    sep = fit.separation
    if sep is None:
        return ors, ""
    ors.loc[
        ors["term"].isin(separating_terms(fit)), ["estimate", "ci_low", "ci_high", "p_value"]
    ] = np.nan
    return ors, (
        f"{name}: {sep.kind} separation by {_who(fit, label)}; the maximum-likelihood estimates "
        "diverge, so its β, odds ratio, CI and p value are not shown (—); refit with "
        "analysis: {firth: true}."
    )


def _labelled(note: str, fit, label: Callable[[str], str]) -> str:
    """A profile note with its term ("V6: ...") shown by the variable's label."""
    term, _, rest = note.partition(": ")
    var = next((t for t, cols in fit.term_columns.items() if term in cols), None)
    return f"{label(var) if var is not None else term}: {rest}" if rest else note


def _who(fit, label: Callable[[str], str]) -> str:
    return ", ".join(label(c) for c in fit.separation.columns) or "the intercept"


def separation_alert(name: str, fit, label: Callable[[str], str]) -> str | None:
    """The warning atop the report for a separated maximum-likelihood fit (None otherwise)."""
    sep = None if getattr(fit, "firth", False) else getattr(fit, "separation", None)
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
