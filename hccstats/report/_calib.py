"""Calibration and internal validation of the report's models (the tables after Table 4).

Per model and set: the logistic recalibration intercept and slope of ``rms::val.prob`` with
Wald 95% CIs, the calibration-in-the-large (the intercept of ``y ~ offset(logit(p))``) with
its Wald 95% CI (validation set), Brier score, Emax of the lowess calibration curve,
Spiegelhalter's z-test, the Hosmer–Lemeshow test and (training set, where the model was fitted)
the le Cessie–van Houwelingen test; per model the bootstrap optimism-corrected C, calibration
intercept, calibration slope (the shrinkage factor), Brier score and Emax of the recalibration
line of ``rms::validate``; the R checks of every deterministic number
(:func:`calibration_checks`).

Two statistics are called Emax in rms: val.prob's (the largest absolute difference between the
lowess calibration curve and the predicted risk) and validate's (the largest absolute
difference between the recalibration line and the identity); the report names them apart,
"Emax (lowess curve)" and "Emax (recalibration line)".
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
import pandas as pd

from ..rbridge import report_checks as _rcheck
from ._context import Context

__all__ = [
    "BackgroundValidation",
    "bootstrap_threads",
    "validations_beside",
    "calibration_rows",
    "calibration_checks",
    "internal_validation",
    "internal_validation_rows",
    "repeatable",
    "selection_text",
    "resamples_text",
    "validation_failures",
    "VALIDATE_INDICES",
    "VALIDATE_FAILED_WARN",
]

#: internal validation failing above this share of its resamples is warned about
VALIDATE_FAILED_WARN = 0.05

#: rms::validate rows shown, with the report's names
VALIDATE_INDICES = {
    "C": "C statistic (AUC)",
    "Intercept": "Calibration intercept",
    "Slope": "Calibration slope (shrinkage factor)",
    "B": "Brier score",
    "Emax": "Emax (recalibration line)",
}


CI_KEYS = ("intercept_ci_low", "intercept_ci_high", "slope_ci_low", "slope_ci_high")
CITL_KEYS = ("citl", "citl_ci_low", "citl_ci_high")


def calibration_in_the_large(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """The intercept of ``glm(y ~ 1, offset = qlogis(p), binomial)`` (calibration-in-the-large,
    ideal 0) with its Wald 95% CI, by Newton's method on the one parameter; nan when undefined."""
    from scipy import stats

    keep = (risk > 0) & (risk < 1)
    yy, lp = y[keep], np.log(risk[keep] / (1 - risk[keep]))
    if len(yy) == 0 or yy.min() == yy.max():
        return dict.fromkeys(CITL_KEYS, np.nan)
    a = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a + lp)))
        step = (yy - p).sum() / (p * (1 - p)).sum()
        a += step
        if abs(step) < 1e-12:
            break
    p = 1 / (1 + np.exp(-(a + lp)))
    half = stats.norm.ppf(0.975) / np.sqrt((p * (1 - p)).sum())
    return {"citl": float(a), "citl_ci_low": float(a - half), "citl_ci_high": float(a + half)}


def _recalibration_ci(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """Wald 95% CIs of the intercept and slope of ``y ~ logit(risk)`` (val.prob's recalibration)."""
    from hccstats import lrm

    keep = (risk > 0) & (risk < 1)
    d = pd.DataFrame({"y": y[keep], "lp": np.log(risk[keep] / (1 - risk[keep]))})
    if d["y"].nunique() < 2 or d["lp"].nunique() < 2:  # e.g. a separated model: undefined
        return dict.fromkeys(CI_KEYS, np.nan)
    ci = lrm("y ~ lp", d).conf_int()
    return {
        "intercept_ci_low": float(ci.loc["Intercept", "ci_low"]),
        "intercept_ci_high": float(ci.loc["Intercept", "ci_high"]),
        "slope_ci_low": float(ci.loc["lp", "ci_low"]),
        "slope_ci_high": float(ci.loc["lp", "ci_high"]),
    }


def _check_val_prob(ctx: Context, model: str, part: str, y, risk, row: dict) -> None:
    names = {"brier": "Brier", "emax_lowess": "Emax", "s_p": "S:p"}
    recalibrated = part == "validation" or np.isfinite(row["slope_ci_low"])  # or published
    if recalibrated:
        names.update({"intercept": "Intercept", "slope": "Slope"})
    for key, r_name in names.items():
        ctx.check(
            "performance",
            f"val.prob {r_name}, {model}, {part}",
            row[key],
            "rms::val.prob(p, y, pl = FALSE)",
            lambda r_name=r_name: float(_rcheck.val_prob(y, risk)[r_name]),
        )
    if recalibrated:
        for key in (k for k in CI_KEYS if np.isfinite(row[k])):
            ctx.check(
                "performance",
                f"calibration {key.replace('_ci_', ' 95% CI ')}, {model}, {part}",
                row[key],
                "confint.default(glm(y ~ qlogis(p), binomial))",
                lambda key=key: float(_rcheck.recalibration(y, risk)[key.replace("_ci_", "_")]),
            )
        for key in (k for k in CITL_KEYS if np.isfinite(row[k])):
            ctx.check(
                "performance",
                f"calibration-in-the-large{key[4:].replace('_ci_', ' 95% CI ')}, {model}, {part}",
                row[key],
                "glm(y ~ 1, offset = qlogis(p), binomial); confint.default",
                lambda key=key: float(
                    _rcheck.calibration_in_the_large(y, risk)[key.replace("_ci_", "_")]
                ),
            )
    if np.unique(risk).size < 2:  # one risk for all: no groups, in R neither (cut fails)
        return
    ctx.check(
        "performance",
        f"Hosmer-Lemeshow p, {model}, {part}",
        row["hl_p"],
        "ResourceSelection::hoslem.test(y, p, g = 10) written out in base R (g - 2 df)",
        lambda: _rcheck.hosmer_lemeshow_p(y, risk),
    )


def _hl_p(y: np.ndarray, risk: np.ndarray) -> float:
    """The Hosmer-Lemeshow p; nan (NA in the table) where it is undefined: tied risks leaving
    a decile empty, or one predicted risk for every patient (no groups to form)."""
    from hccstats._errors import InputError
    from hccstats.calibration import hosmer_lemeshow

    try:
        return hosmer_lemeshow(y, risk).p_value
    except InputError:  # constant risk: the groups cannot be formed
        return float("nan")


def calibration_rows(model: str, fit, y: dict, risk: dict) -> list[dict]:
    """One row per set: n, events, val.prob indices with CIs, HL p, le Cessie p (training only).

    ``fit`` None: a model given by its published equation, fitted on none of these patients:
    its recalibration intercept and slope (with CIs) and calibration-in-the-large in every set,
    no le Cessie test (a test of a fitted model's residuals)."""
    from hccstats import val_prob
    from hccstats.calibration import le_cessie

    rows = []
    for part in ("training", "validation"):
        if part not in y:
            continue
        yy, p = np.asarray(y[part], float), np.asarray(risk[part], float)
        if len(yy) == 0 or yy.min() == yy.max():
            continue
        v = val_prob(yy, p)
        row = {
            "model": model,
            "set": part,
            "n": int(len(yy)),
            "events": int(yy.sum()),
            "intercept": v.intercept,
            "slope": v.slope,
            "brier": v.brier,
            "emax_lowess": v.emax,
            "s_z": v.s_z,
            "s_p": v.s_p,
            "hl_p": _hl_p(yy, p),
            "le_cessie_p": le_cessie(fit).p_value
            if part == "training" and fit is not None
            else np.nan,
            "intercept_ci_low": np.nan,
            "intercept_ci_high": np.nan,
            "slope_ci_low": np.nan,
            "slope_ci_high": np.nan,
            **dict.fromkeys(CITL_KEYS, np.nan),
        }
        if part == "validation" or fit is None:
            row.update(_recalibration_ci(yy, p))
            row.update(calibration_in_the_large(yy, p))
        rows.append(row)
    return rows


def calibration_checks(ctx: Context, fit, y: dict, risk: dict, rows: list[dict]) -> None:
    """The R checks of a model's :func:`calibration_rows` (``y`` and ``risk`` by set)."""
    for row in rows:
        model, part = row["model"], row["set"]
        if part == "training" and fit is not None:
            ctx.check(
                "performance",
                f"le Cessie-van Houwelingen p, {model}, training",
                row["le_cessie_p"],
                "residuals(rms::lrm(..., x = TRUE, y = TRUE), type = 'gof')['P']",
                lambda fit=fit: _rcheck.le_cessie_p(fit),
            )
        yy, p = np.asarray(y[part], float), np.asarray(risk[part], float)
        _check_val_prob(ctx, model, part, yy, p, row)


def bootstrap_threads() -> int:
    """Threads of the report's bootstraps (calibrate, validate): up to 2 cores. Each resample's
    numbers come from its own seed, so they do not depend on the thread count."""
    return max(1, min(2, os.cpu_count() or 1))


def repeatable(selection) -> bool:
    """Whether the report repeats this selection in every bootstrap resample (forward LR)."""
    return selection is not None and getattr(selection, "direction", None) == "forward"


def internal_validation(fit, B: int, seed: int, selection=None, n_jobs: int | None = None):
    """``hccstats.validate``: with a forward selection given, the selection is repeated in every
    resample (``rms::validate(fit, B, bw = TRUE)``-equivalent); otherwise the plain refit.

    ``n_jobs``: threads (default: :func:`bootstrap_threads`); the numbers do not depend on it."""
    from hccstats import validate

    n_jobs = bootstrap_threads() if n_jobs is None else n_jobs
    if repeatable(selection):
        return validate(fit, B=B, seed=seed, selection=selection, n_jobs=n_jobs)
    return validate(fit, B=B, seed=seed, n_jobs=n_jobs)


class BackgroundValidation:
    """:func:`internal_validation` started on a background thread, so that the stage's other
    work runs beside it on a free core; :meth:`result` waits for it and returns its
    Validation, or raises its error, as the call itself would. The thread is a daemon: a run
    that stops (an error elsewhere in the stage, an interrupt) does not wait for it, and its
    result is then dropped. The numbers are those of the call (each resample from its own
    seed; nothing shared is written)."""

    def __init__(self, fit, B: int, seed: int, selection=None):
        import threading

        self._value = self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(fit, B, seed, selection), name="internal-validation"
        )
        self._thread.daemon = True
        self._thread.start()

    def _run(self, fit, B, seed, selection) -> None:
        try:
            self._value = internal_validation(fit, B, seed, selection)
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@contextlib.contextmanager
def validations_beside(fits: dict, B: int, seed: int, selections: dict):
    """The :class:`BackgroundValidation` of each fit (by name; ``selections[name]``: the
    selection to repeat, or absent), running while the ``with`` body does the rest of its
    work. BLAS stays on one thread throughout, in the body too: the bootstraps set it so
    (``run_chunks``), and BLAS's thread count is process-wide, so the body's BLAS calls see
    one fixed setting whatever the threads' timing. Leaving the block waits for every
    validation (an interrupt does not wait)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        jobs = {
            name: BackgroundValidation(fit, B, seed, selections.get(name))
            for name, fit in fits.items()
        }
        try:
            yield jobs
        except Exception:
            for job in jobs.values():
                job.join()
            raise
        for job in jobs.values():
            job.join()


def validate_indices(v, indices):
    """(label, apparent, optimism, corrected) of each of ``indices`` ({validate row: label})
    in a validate table; "C" is Harrell's C from Dxy (C = Dxy / 2 + 1/2, its optimism half of
    Dxy's)."""
    t = v.table
    for key, label in indices.items():
        if key == "C":
            app, opt = 0.5 + t.loc["Dxy", "index_orig"] / 2, t.loc["Dxy", "optimism"] / 2
            corr = 0.5 + t.loc["Dxy", "index_corrected"] / 2
        else:
            app, opt, corr = (t.loc[key, c] for c in ("index_orig", "optimism", "index_corrected"))
        yield label, app, opt, corr


def internal_validation_rows(model: str, v) -> list[dict]:
    """rms::validate rows of a :class:`~hccstats.calibration.Validation`: apparent, optimism and
    optimism-corrected index (C from Dxy)."""
    rows = []
    for label, app, opt, corr in validate_indices(v, VALIDATE_INDICES):
        rows.append(
            {
                "model": model,
                "index": label,
                "apparent": float(app),
                "optimism": float(opt),
                "corrected": float(corr),
                "B": int(v.B),
                "n_failed": int(v.n_failed),
                "n": int(v.n),
                "selection_repeated": v.retained is not None,
            }
        )
    return rows


def selection_text(frequencies: dict) -> str:
    """ "Clinical model: age 0.95, nodes 1.00; ..." from {model: selection_frequency Series}."""
    return "; ".join(
        f"{model}: " + ", ".join(f"{k} {float(f):.2f}" for k, f in freq.items())
        for model, freq in frequencies.items()
    )


def _per_model(iv: pd.DataFrame) -> pd.DataFrame:
    """One row per model of the internal-validation rows: B drawn, refits failed, used."""
    iv = iv[iv["B"] > 0] if len(iv) else iv  # a published model: not bootstrapped
    if not len(iv):
        return pd.DataFrame(columns=["model", "B", "n_failed", "used"])
    per = iv.drop_duplicates("model")[["model", "B", "n_failed"]].reset_index(drop=True)
    per["used"] = per["B"] - per["n_failed"]
    return per


def resamples_text(iv: pd.DataFrame) -> str:
    """ "B = 1000 drawn; used (failed refits): Clinical model 934 (66), DL model 1000 (0)"."""
    per = _per_model(iv)
    if not len(per):
        return ""
    drawn = ", ".join(dict.fromkeys(f"{int(b)}" for b in per["B"]))
    return f"B = {drawn} drawn; used (failed refits): " + ", ".join(
        f"{r['model']} {int(r['used'])} ({int(r['n_failed'])})" for _, r in per.iterrows()
    )


def validation_failures(iv: pd.DataFrame) -> list[str]:
    """A warning per model whose internal validation lost more than
    :data:`VALIDATE_FAILED_WARN` of its bootstrap refits."""
    out = []
    for _, r in _per_model(iv).iterrows():
        b, failed = int(r["B"]), int(r["n_failed"])
        if b and failed > VALIDATE_FAILED_WARN * b:
            out.append(
                f"Internal validation of the {r['model']}: {failed} of {b} bootstrap refits "
                f"failed ({100 * failed / b:.1f}%), so its optimism-corrected indices rest on "
                f"{b - failed} resamples, not {b}: they are unreliable (separation or too few "
                "events in the resamples)."
            )
    return out
