"""Bootstrap internal validation of the Cox models of a survival-only study.

Per model, in the training set, with the plan's B and seed (``analysis.bootstrap``): the
optimism-corrected Harrell's C (from Somers' Dxy), calibration slope and R2 of
``rms::validate.cph`` (:func:`hccstats.validate`), and the calibration at the horizon of
``rms::calibrate.cph`` (KM groups, :func:`hccstats.survival.calibrate`) with the mean and
90th percentile of the absolute error of its apparent and bias-corrected curves. A model chosen
by the stepwise selection (``forward_cox`` / ``backward_cox``) is validated with that selection
repeated in every resample, as ``rms::validate(fit, bw = TRUE)``, so the optimism includes the
selection's. Failed refits are counted ("used (failed)") and warned about above
:data:`~._calib.VALIDATE_FAILED_WARN` of the resamples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports import Section

from ._calib import (
    VALIDATE_FAILED_WARN,
    bootstrap_threads,
    selection_text,
    validate_indices,
    validation_failures,
)
from ._context import Context
from ._published import internal_validation_formats

__all__ = [
    "CoxInternal",
    "cox_internal_validation",
    "render_cox_internal",
    "cox_internal_checks",
    "cox_internal_results",
    "cox_internal_methods",
    "internal_rows",
    "refit_alerts",
    "calibration_group_size",
    "calibration_errors",
]

#: rms validate.cph rows shown, with the report's names
COX_VALIDATE_ROWS = {"C": "Harrell's C", "Slope": "Calibration slope", "R2": "R² (Nagelkerke)"}
GROUPS = 5  # KM groups of the calibration at the horizon
MIN_GROUP = 50  # patients per group at least


@dataclass(frozen=True)
class CoxInternal:
    """Each model's bootstrap validation (``Validation``) and calibration at the horizon
    (``CoxCalibration``), and the table the report shows."""

    table: pd.DataFrame  # model, index, apparent, optimism, corrected, B, n_failed, n
    validations: Mapping[str, Any]
    calibrations: Mapping[str, Any]
    repeated: tuple[str, ...]  # models whose selection was repeated in every resample
    B: int
    seed: int


def calibration_group_size(n: int) -> int:
    """Patients per KM group of the calibration (rms's ``m``): about n / 5, at least 50."""
    return max(MIN_GROUP, n // GROUPS)


def calibration_errors(cal) -> dict[str, float]:
    """Mean and 90th percentile over the patients of |predicted - observed| at the horizon,
    the curve (apparent KM, or bias-corrected) read at each patient's predicted survival by
    linear interpolation between the groups (constant beyond the outer ones, R's
    ``approx(rule = 2)``)."""
    t = cal.table.dropna(subset=["predicted"]).sort_values("predicted")
    x, pred = t["predicted"].to_numpy(float), np.asarray(cal.predicted, float)
    out = {}
    for key, col in (("apparent", "observed"), ("corrected", "observed_corrected")):
        y = t[col].to_numpy(float)
        ok = np.isfinite(y)
        if not ok.any():
            out[f"mean_{key}"] = out[f"q90_{key}"] = float("nan")
            continue
        err = np.abs(pred - np.interp(pred, x[ok], y[ok]))
        out[f"mean_{key}"], out[f"q90_{key}"] = float(err.mean()), float(np.quantile(err, 0.9))
    return out


def _validation_rows(name: str, v) -> list[dict]:
    return [
        _row(name, label, app, opt, corr, v.B, v.n_failed, v.n, "validate")
        for label, app, opt, corr in validate_indices(v, COX_VALIDATE_ROWS)
    ]


def _row(model, index, app, opt, corr, B, failed, n, source) -> dict:
    return {
        "model": model,
        "index": index,
        "apparent": float(app),
        "optimism": float(opt),
        "corrected": float(corr),
        "B": int(B),
        "n_failed": int(failed),
        "n": int(n),
        "source": source,
    }


def internal_rows(name: str, validation, calibration, horizon: float) -> list[dict]:
    """The table rows of one model: validate's C, slope and R2 (apparent, optimism,
    corrected), the calibration's mean and 90th-percentile absolute error (apparent and
    bias-corrected curve), each with its bootstrap's B, failed refits and n."""
    rows = _validation_rows(name, validation)
    e = calibration_errors(calibration)
    c = calibration
    for what, key in (("Mean", "mean"), ("90th percentile of", "q90")):
        app, corr = e[f"{key}_apparent"], e[f"{key}_corrected"]
        label = f"{what} absolute calibration error at {horizon:g}"
        rows.append(
            _row(name, label, app, app - corr, corr, c.B, c.n_failed, validation.n, "calibrate")
        )
    return rows


def cox_internal_validation(ctx: Context, fits, selections, horizon: float) -> CoxInternal:
    """Validate and calibrate every model (training set) with the plan's B and seed."""
    from hccstats import validate
    from hccstats.survival import calibrate

    boot = ctx.analysis.bootstrap
    rows, vals, cals = [], {}, {}
    for name, fit in fits.items():
        sel = selections.get(name)
        vals[name] = validate(
            sel if sel is not None else fit, B=boot.B, seed=boot.seed,
            n_jobs=bootstrap_threads(),
        )  # fmt: skip
        cals[name] = calibrate(
            fit, horizon, B=boot.B, m=calibration_group_size(fit.n), seed=boot.seed,
            selection=sel,
        )  # fmt: skip
        rows += internal_rows(name, vals[name], cals[name], horizon)
    return CoxInternal(
        pd.DataFrame(rows), vals, cals, tuple(n for n in fits if selections.get(n) is not None),
        boot.B, boot.seed,
    )  # fmt: skip


def _failures(table: pd.DataFrame) -> pd.DataFrame:
    """One row per model and bootstrap (validate, calibrate): model, B, n_failed."""
    t = table[table["B"] > 0].drop_duplicates(["model", "source"])  # published: no bootstrap
    what = {"validate": "", "calibrate": " (calibration at the horizon)"}
    return pd.DataFrame(
        {"model": t["model"] + t["source"].map(what), "B": t["B"], "n_failed": t["n_failed"]}
    )


def refit_alerts(table: pd.DataFrame) -> list[str]:
    """A warning per model and bootstrap (validate, calibrate) of :func:`internal_rows`'
    ``table`` that lost more than :data:`~._calib.VALIDATE_FAILED_WARN` of its refits."""
    return validation_failures(_failures(table))


def render_cox_internal(ctx: Context, section: Section, iv: CoxInternal, at: str) -> None:
    """The internal-validation table and the bias-corrected calibration figure (``at``: the
    horizon with its unit, "5 years"); alerts for failed refits."""
    for text in refit_alerts(iv.table):
        ctx.alert(text)
    freq = {
        n: v.selection_frequency.rename(index=ctx.label)
        for n, v in iv.validations.items()
        if v.retained is not None
    }
    note = ""
    if iv.repeated:
        note = (
            f" {', '.join(iv.repeated)}: the stepwise selection (same candidates, entry and "
            "removal p) was repeated in every resample, as rms::validate(bw = TRUE), so the "
            "optimism includes that of the selection; share of the resamples that selected each "
            f"candidate: {selection_text(freq)}."
        )
    section.table(
        "table_cox_internal_validation",
        iv.table,
        caption=f"{ctx.next_table()} Internal validation of the Cox models in the training set "
        f"(bootstrap, B = {iv.B}, seed {iv.seed})",
        formats=internal_validation_formats(),
        footnote="Resamples used: the B bootstrap resamples drawn less those whose refit failed "
        "(not converged, a column constant in the resample, a diverging coefficient; left out of "
        f"the averages, above {100 * VALIDATE_FAILED_WARN:g}% the report warns). "
        "rms::validate.cph-equivalent bootstrap: the model refitted in each resample, optimism = "
        "mean(index in the resample − index of that refit on the original patients); corrected "
        "= apparent − optimism. Harrell's C = Dxy / 2 + 0.5 (the linear predictor); calibration "
        "slope: the Cox coefficient of the refit's linear predictor on the original patients "
        "(apparent 1 by construction). Absolute calibration error at the horizon: "
        "rms::calibrate.cph-equivalent (cmethod 'KM', groups of "
        f"about n / {GROUPS} patients, at least {MIN_GROUP}): |predicted − Kaplan–Meier "
        "survival| of each patient, read on the apparent (Apparent) and the bias-corrected "
        "(Optimism-corrected) curve; Optimism: apparent − corrected, as above (negative: the "
        "error is larger once corrected)." + note,
    )
    _render_figure(ctx, section, iv, at)


def _render_figure(ctx: Context, section: Section, iv: CoxInternal, at: str) -> None:
    from types import SimpleNamespace

    from hccstats.plots import calibration_curves, journal_style, new_figure

    curves = {}
    for name, c in iv.calibrations.items():
        t = c.table
        table = pd.DataFrame(
            {
                "predicted": 1.0 - t["predicted"],
                "apparent": 1.0 - t["observed"],
                "bias_corrected": 1.0 - t["observed_corrected"],
            }
        )
        curves[name] = SimpleNamespace(table=table, predicted_risk=1.0 - c.predicted)
    with journal_style():
        fig, ax = new_figure("single", 3.4)
    calibration_curves(curves, ax=ax, xlabel=f"Predicted risk by {at}", ylabel="Observed risk (KM)")
    section.figure(
        "fig_cox_calibration_bootstrap",
        fig,
        caption=f"{ctx.next_figure()} Bootstrap calibration of the Cox models at {at} in "
        f"the training set (rms::calibrate.cph-equivalent, Kaplan–Meier risk by groups of "
        f"predicted risk; B = {iv.B}, seed {iv.seed}): bias-corrected (solid) and apparent "
        "(dotted) curves, with the distribution of the predicted risks",
    )


def cox_internal_checks(ctx: Context, stage: str, iv: CoxInternal, fits, train, time, event):
    """R checks: the apparent Dxy (as C) and calibration slope against rms validate.cph's
    index.orig (the bootstrap numbers are not checked: R's resamples differ)."""
    from .._names import r_quote
    from ..rbridge import report_checks as _rcheck
    from ..rbridge import survival_checks as R

    for name, fit in fits.items():
        t = iv.validations[name].table
        d, terms = train[name], list(fit.terms)
        call = (
            f"rms::validate(rms::cph(Surv({r_quote(time)}, {r_quote(event)}) ~ "
            f"{_rcheck.r_rhs(d, terms)}, x = TRUE, y = TRUE, surv = TRUE), B)[, 'index.orig']"
        )
        for key, what, value in (
            ("Dxy", "C (apparent, validate)", 0.5 + t.loc["Dxy", "index_orig"] / 2),
            ("Slope", "calibration slope (apparent, validate)", t.loc["Slope", "index_orig"]),
            ("R2", "R2 (apparent, validate)", t.loc["R2", "index_orig"]),
        ):
            ctx.check(
                stage,
                f"Cox {name}: {what}",
                value,
                call,
                lambda d=d, terms=terms, key=key: _as_c(
                    R.validate_cph_orig(d, time, event, terms)[key], key
                ),
                rtol=1e-6,
            )


def _as_c(value: float, key: str) -> float:
    return 0.5 + value / 2 if key == "Dxy" else value


def cox_internal_results(iv: CoxInternal) -> dict:
    """The results.json entry: the table, B, seed, and each model's curve and validate table."""
    return {
        "B": iv.B,
        "seed": iv.seed,
        "selection_repeated": list(iv.repeated),
        "table": iv.table,
        "validate": {n: v.to_frame() for n, v in iv.validations.items()},
        "calibration": {n: c.to_frame() for n, c in iv.calibrations.items()},
        "selection_frequency": {
            n: v.selection_frequency.to_dict()
            for n, v in iv.validations.items()
            if v.retained is not None
        },
    }


def cox_internal_methods(iv: CoxInternal, horizon: float) -> str:
    """The methods sentences on the internal validation."""
    failed = "; ".join(
        f"{r['model']} {int(r['B']) - int(r['n_failed'])} ({int(r['n_failed'])})"
        for _, r in _failures(iv.table).iterrows()
    )
    sel = (
        f" For the {', '.join(iv.repeated)}, the stepwise selection was repeated in every resample."
        if iv.repeated
        else ""
    )
    return (
        f" Each model was internally validated in the training set with {iv.B} bootstrap "
        f"resamples (seed {iv.seed}; rms::validate.cph- and calibrate.cph-equivalent): "
        "optimism-corrected Harrell's C, calibration slope and R², and the bias-corrected "
        f"calibration at {horizon:g} (Kaplan–Meier groups).{sel} Resamples used (failed "
        f"refits): {failed}."
    )
