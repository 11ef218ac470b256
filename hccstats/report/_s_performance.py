"""Stage 7: the models on the training and validation sets: Table 4 (discrimination), the
calibration and internal-validation tables, Fig. 6 (ROC, calibration, decision curves).

Each model is evaluated on exactly the training patients it was fitted on and on every
validation patient with the model's variables recorded; the n is stated with every number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports import Section
from reports import formatting as F

from ..rbridge import report_checks as _rcheck
from ._alerts import (
    misfit_alerts,
    nested_delong_alert,
    nested_lr_test,
    nested_pairs,
    validation_calibration_alerts,
)
from ._calib import (
    VALIDATE_FAILED_WARN,
    bootstrap_threads,
    calibration_checks,
    calibration_rows,
    internal_validation_rows,
    repeatable,
    resamples_text,
    selection_text,
    validation_failures,
    validations_beside,
)
from ._context import Context, StageUnavailable
from ._methods_models import epv_sentence, linearity_sentence
from ._perf import (
    CI_NOTE,
    ScoreEvaluation,
    compares,
    evaluate_scores,
    performance_formats,
    score_checks,
)
from ._published import (
    internal_validation_formats,
    logistic_equation_checks,
    model_columns,
    not_bootstrapped_row,
    published_methods,
)
from ._separation import calibration_failures, failed_refits

REQUIRES: tuple[str, ...] = ("models",)
SETS = ("training", "validation")


def model_patients(models, fit) -> dict[str, pd.Index]:
    """Training: the patients the model was fitted on; validation: those with its variables.
    A published model (fitted on none of them): every patient of a set with its variables, in
    the sets that have patients."""
    va = models.validation()
    if fit in models.published.values():
        out = {}
        for part, rows in (("training", models.training()), ("validation", va)):
            rows = rows.dropna(subset=model_columns(fit, rows))
            if len(rows):
                out[part] = rows.index
        return out
    va = va.dropna(subset=model_columns(fit, va))
    return {"training": fit.data.index, "validation": va.index}


def _scores(ctx: Context, models) -> dict[str, dict[str, pd.Series]]:
    data, fits, ref_sig = models.data, models.fits, models.reference_signature
    scores: dict[str, dict[str, pd.Series]] = {}
    for name, fit in {**fits, **models.published}.items():
        rows = model_patients(models, fit)
        scores[name] = {
            p: pd.Series(fit.predict_risk(data.loc[idx]), index=idx) for p, idx in rows.items()
        }
    if ref_sig is not None:  # the signature alone, on the DL model's patients where there is one
        base = scores.get("DL model")
        scores[ctx.label(ref_sig)] = {
            p: data.loc[base[p].index if base else data.index[data["split"] == p], ref_sig]
            .dropna()
            .astype(float)
            for p in SETS
        }
    return scores


def _order(ctx: Context, fits: dict, ref_sig: str | None) -> list[str]:
    order = list(fits)
    if ref_sig is not None:
        order = (
            [n for n in order if n != "DL model"]
            + [ctx.label(ref_sig)]
            + [n for n in order if n == "DL model"]
        )
    return order


def _n_note(perf: pd.DataFrame) -> str:
    parts = []
    for model, sub in perf.groupby("model", sort=False):
        ns = ", ".join(f"{r['set']} n = {int(r['n'])}" for _, r in sub.iterrows())
        parts.append(f"{model}: {ns}")
    return "; ".join(parts)


def _table4(ctx: Context, section: Section, perf: pd.DataFrame, reference: str) -> str:
    compared = compares(perf)
    paired = ""
    if compared:
        diff = perf[perf["n_paired"].notna() & (perf["n_paired"] != perf["n"])]
        paired = (
            " (on the patients with both models' variables: "
            + ", ".join(
                f"{r['model']}, {r['set']} n = {int(r['n_paired'])}" for _, r in diff.iterrows()
            )
            + ")"
            if len(diff)
            else ""
        )
    number = ctx.next_table()
    section.table(
        "table4_model_performance",
        perf,
        caption=f"{number} Predictive performance of the models in the "
        "training and validation sets",
        formats=performance_formats(perf),
        footnote="Training: the patients each model was fitted on; validation: every validation "
        f"patient with the model's variables recorded ({_n_note(perf)}). Cut-off: Youden index on "
        "the training set, applied unchanged to the validation set. AUC with DeLong 95% CI; "
        + CI_NOTE
        + "; PPV/NPV, positive/negative predictive value."
        + (
            f" p value: DeLong test against the {reference} (Ref){paired}. *p < 0.05."
            if compared
            else ""
        ),
    )
    return number


def _calibration_tables(ctx: Context, section: Section, result, perf_table: str) -> None:
    cal_number, iv_number = ctx.next_table(), ctx.next_table()
    _calibration_table(section, result, cal_number, iv_number, perf_table)
    _internal_validation_table(ctx, section, result, iv_number)


def _calibration_table(section: Section, result, cal_number, iv_number, perf_table: str) -> None:
    """The calibration and goodness-of-fit table, in both sets."""
    section.table(
        "table_calibration",
        result.calibration,
        caption=f"{cal_number} Calibration and goodness of fit of the models",
        formats={
            "Model": F.col("model", "text"),
            "Set": lambda r: str(r["set"]).capitalize(),
            "n (events)": lambda r: f"{int(r['n'])} ({int(r['events'])})",
            "Calibration intercept (95% CI)": _by_set("intercept"),
            "Calibration slope (95% CI)": _by_set("slope"),
            "Calibration-in-the-large (95% CI)": _by_set("citl"),
            "Brier score": F.col("brier", "3f"),
            "Emax (lowess curve)": F.col("emax_lowess", "3f"),
            "Spiegelhalter p": F.col("s_p", "p"),
            "Hosmer–Lemeshow p": F.col("hl_p", "p"),
            "le Cessie–van Houwelingen p": lambda r: (
                F.fmt_p(r["le_cessie_p"]) if r["set"] == "training" else "—"
            ),
        },
        footnote="Calibration intercept and slope: the logistic recalibration y ~ logit(predicted "
        "risk) of rms::val.prob in the validation set, with Wald 95% CIs (ideal: 0 and 1); in the "
        "training set they are 0 and 1 by construction (—; the optimism-corrected values are in "
        f"{iv_number}). Calibration-in-the-large: the intercept of y ~ offset(logit(predicted "
        "risk)) with its Wald 95% CI (ideal 0; positive: risks underestimated on average). "
        "Brier score, Emax (lowess curve: the largest absolute difference between the lowess "
        "calibration curve and the predicted risk; not the Emax of the recalibration line in "
        f"{iv_number}) and Spiegelhalter's z-test as rms::val.prob; "
        "Hosmer–Lemeshow test over deciles of predicted risk (g − 2 = 8 df, as "
        "ResourceSelection::hoslem.test; NA when tied risks leave a decile empty); "
        "le Cessie–van Houwelingen "
        "unweighted sum-of-squares test (rms residuals.lrm type 'gof'), in the set the model "
        f"was fitted on. Patients as in {perf_table}."
        + (
            f" {', '.join(result.published)}: validated from the published equation, fitted on "
            "none of these patients, so its intercept and slope are shown in both sets."
            if result.published
            else ""
        ),
    )


def _internal_validation_table(ctx: Context, section: Section, result, iv_number) -> None:
    """The bootstrap internal validation table, in the training set."""
    plan = ctx.analysis
    frequencies = {n: f.rename(index=ctx.label) for n, f in result.frequencies.items()}
    section.table(
        "table_internal_validation",
        result.internal_validation,
        caption=f"{iv_number} Internal validation of the models in the training set "
        f"(bootstrap, {resamples_text(result.internal_validation)})",
        formats=internal_validation_formats(),
        footnote="Resamples used: the B bootstrap resamples drawn less those whose refit failed "
        "(singular or non-converged; left out of the averages, above "
        f"{100 * VALIDATE_FAILED_WARN:g}% the report warns). "
        "rms::validate-equivalent bootstrap (method 'boot', seed "
        f"{plan.bootstrap.seed}): the model refitted in each resample, optimism = mean(index in "
        "the resample − index of that refit on the original patients); corrected = apparent − "
        "optimism. C = Dxy / 2 + 0.5. Calibration slope (shrinkage factor): the slope of the "
        "refit's linear predictor on the original patients (apparent 1 by construction); Emax "
        "(recalibration line): the largest absolute difference between that recalibration line "
        "and the identity over the predicted risks, rms::validate's Emax (not the lowess "
        "curve's Emax of the calibration table)."
        + _selection_note(list(result.stepwise), list(result.repeated), frequencies)
        + " Bootstrap numbers are not in the R "
        "cross-check (R's resamples differ); the library's tests compare them with rms on shared "
        "resamples.",
    )


def _selection_note(stepwise: list[str], repeated: list[str], frequencies: dict) -> str:
    """The footnote's sentences on the stepwise models: selection repeated or not."""
    note = ""
    if repeated:
        note += (
            f" {', '.join(repeated)}: the forward LR selection (same candidates, entry and "
            "removal p) was repeated in every resample, as rms::validate(bw = TRUE), so the "
            "optimism includes that of the selection; share of the resamples that selected each "
            f"candidate: {selection_text(frequencies)}."
        )
    plain = [n for n in stepwise if n not in repeated]
    if plain:
        note += (
            f" {', '.join(plain)}: the backward LR selection is not repeated in the resamples "
            "(only the final model is refitted), so the optimism of the selection is not included."
        )
    return note


def _by_set(key: str):
    def fmt(r: pd.Series) -> str:
        if r["set"] == "training" and pd.isna(r[f"{key}_ci_low"]):  # fitted there: 0 and 1
            return "—"
        return F.fmt_est_ci(r[key], r[f"{key}_ci_low"], r[f"{key}_ci_high"])

    return fmt


def _common(scores: dict, names: list[str], part: str) -> pd.Index:
    idx = scores[names[0]][part].index if part in scores[names[0]] else pd.Index([])
    for n in names[1:]:
        idx = idx.intersection(scores[n].get(part, pd.Series(dtype=float)).index, sort=False)
    return idx


@dataclass(frozen=True)
class PerformanceResult:
    """Discrimination, calibration, internal validation and decision curves of the models."""

    fits: Mapping[str, Any]
    order: tuple[str, ...]  # models (and the reference signature alone) as the tables list them
    reference: str  # the DeLong reference: the DL model, else the last one
    scores: Mapping[str, Mapping[str, pd.Series]]  # model -> set -> predicted risk by patient
    y: pd.Series  # the outcome of every patient
    evaluation: ScoreEvaluation  # Table 4 and the ROC curves
    calibration: pd.DataFrame  # val.prob, HL and le Cessie rows per model and set
    internal_validation: pd.DataFrame  # rms::validate rows per model
    frequencies: Mapping[str, pd.Series]  # model -> share of resamples selecting each candidate
    stepwise: tuple[str, ...]  # stepwise models
    repeated: tuple[str, ...]  # stepwise models whose selection the bootstrap repeated
    curves: Mapping[tuple[str, str], Any]  # (model, set) -> Calibration (training: bootstrap)
    dca: Mapping[str, Any]  # set -> DecisionCurve on the patients with every model's score
    dca_n: Mapping[str, int]
    nested: tuple[tuple[str, str, Mapping], ...] = ()  # (smaller, larger, LR test), training
    published: Mapping[str, Any] = field(default_factory=dict)  # name -> PublishedLogistic
    data: pd.DataFrame | None = None  # the models' frame (covariates of the published models)
    panels: Any = None  # Fig. 6, drawn (a matplotlib Figure)

    def risk_and_y(self, name: str) -> tuple[dict, dict]:
        """A model's predicted risks and outcomes by set, as arrays."""
        return _risk_and_y(self.scores[name], self.y)


def _risk_and_y(by_set: Mapping[str, pd.Series], y: pd.Series) -> tuple[dict, dict]:
    risk = {p: by_set[p].to_numpy(float) for p in SETS if p in by_set}
    return risk, {p: y.loc[by_set[p].index].to_numpy(float) for p in SETS if p in by_set}


def _nested(ctx: Context, models, fits: dict, reference: str) -> tuple:
    """The nested pairs among the scores DeLong compares with ``reference`` (the signature
    alone, as a one-term model, inside the DL model too), each with its LR test."""
    from hccstats import lrm

    candidates = dict(fits)
    sig = models.reference_signature
    if sig is not None and reference in fits and sig in fits[reference].terms:
        formula = f"{ctx.study.outcome} ~ {sig}"
        candidates[ctx.label(sig)] = lrm(formula, fits[reference].data)
    return tuple(
        (a, b, nested_lr_test(candidates[a], candidates[b]))
        for a, b in nested_pairs(candidates, reference)
    )


def compute(ctx: Context, models) -> PerformanceResult:
    fits, published = dict(models.fits), dict(models.published)
    if not fits and not published:
        raise StageUnavailable("no multivariable model was built")
    plan, selections = ctx.analysis, models.selections
    stepwise = [n for n in fits if n in selections]
    repeated = [n for n in stepwise if repeatable(selections.get(n))]
    # the internal validations (the stage's largest work) run beside the rest of the stage
    with validations_beside(
        fits,
        plan.bootstrap.B,
        plan.bootstrap.seed,
        {n: selections[n] for n in repeated},
    ) as validations:
        y = models.data[ctx.study.outcome].astype(float)
        scores = _scores(ctx, models)
        order = _order(ctx, {**fits, **published}, models.reference_signature)
        reference = "DL model" if "DL model" in fits else order[-1]
        ev = evaluate_scores(
            {n: scores[n] for n in order},
            {p: y for p in SETS},
            reference if len(order) > 1 else None,
        ).sorted(order)
        cal_rows, val_rows, frequencies = [], [], {}
        for name, fit in fits.items():
            risk, yy = _risk_and_y(scores[name], y)
            cal_rows += calibration_rows(name, fit, yy, risk)
        for name in published:  # never refitted: no bootstrap, said in the table
            risk, yy = _risk_and_y(scores[name], y)
            cal_rows += calibration_rows(name, None, yy, risk)
        curves, dcas, dca_n = _curves(ctx, {**fits, **published}, scores, y)
        nested = _nested(ctx, models, fits, reference) if compares(ev.table) else ()
        panels = _panels(ev, order, curves, dcas)  # drawn while the validations finish
        for name, job in validations.items():
            v = job.result()
            val_rows += internal_validation_rows(name, v)
            if v.selection_frequency is not None:
                frequencies[name] = v.selection_frequency
        val_rows += [not_bootstrapped_row(name) for name in published]
    return PerformanceResult(
        fits,
        tuple(order),
        reference,
        scores,
        y,
        ev,
        pd.DataFrame(cal_rows),
        pd.DataFrame(val_rows),
        frequencies,
        tuple(stepwise),
        tuple(repeated),
        curves,
        dcas,
        dca_n,
        nested,
        published,
        models.data,
        panels,
    )


def render(ctx: Context, section: Section, result: PerformanceResult) -> None:
    perf = result.evaluation.table
    perf_table = _table4(ctx, section, perf, result.reference)
    _calibration_tables(ctx, section, result, perf_table)
    _nested_table(ctx, section, result.nested, perf_table)
    for alert in misfit_alerts(result.calibration) + validation_calibration_alerts(
        result.calibration
    ):
        ctx.alert(alert)
    _figure(ctx, section, result, perf_table)
    _calibration_errors(ctx, section, result.curves)
    calibration_failures(ctx, result.curves)
    for alert in validation_failures(result.internal_validation):
        ctx.alert(alert)
    ctx.results["performance"] = {
        "table": perf,
        "n": {n: {p: int(len(s)) for p, s in result.scores[n].items()} for n in result.order},
        "calibration_table": result.calibration,
        "internal_validation": result.internal_validation,
        "selection_frequency": {n: f.to_dict() for n, f in result.frequencies.items()},
        "calibration": {
            f"{n}|{p}": {
                "table": c.table,
                "mean_abs_error": c.mean_abs_error,
                "n": c.n,
                "n_failed": c.n_failed,
            }
            for (n, p), c in result.curves.items()
        },
        "dca": {p: d.table for p, d in result.dca.items()},
        "dca_n": dict(result.dca_n),
        "nested_lrt": _nested_frame(result.nested),
    }


def _nested_frame(nested) -> pd.DataFrame:
    keys = ("n", "events", "chisq", "df", "p_value")
    return pd.DataFrame(
        [{"smaller": a, "larger": b, **{k: t[k] for k in keys}} for a, b, t in nested],
        columns=["smaller", "larger", *keys],
    )


def _nested_table(ctx: Context, section: Section, nested, perf_table: str) -> None:
    """The likelihood-ratio tests of the nested pairs beside the (invalid) DeLong tests."""
    if not nested:
        return
    for a, b, t in nested:
        ctx.alert(nested_delong_alert(a, b, t))
    section.table(
        "supp_nested_lrt",
        _nested_frame(nested),
        caption=f"{ctx.next_table(supplementary=True)} Likelihood-ratio tests of the nested "
        "models in the training set",
        formats={
            "Smaller model": F.col("smaller", "text"),
            "Larger model": F.col("larger", "text"),
            "n (events)": lambda r: f"{int(r['n'])} ({int(r['events'])})",
            "Chi-square": lambda r: F.fmt_num(r["chisq"], 2),
            "df": lambda r: str(int(r["df"])),
            "p value": lambda r: F.fmt_p(r["p_value"], star=True),
        },
        footnote="The smaller model's terms are a subset of the larger's, so the DeLong test of "
        f"their AUCs in {perf_table} is invalid (Demler, Pencina & D'Agostino, Stat Med 2012); "
        "the likelihood-ratio test of the added terms is the valid test: both models refitted by "
        "maximum likelihood on the larger model's training patients, as "
        'anova(glm_small, glm_large, test = "LRT"). *p < 0.05.',
    )


def r_checks(ctx: Context, result: PerformanceResult) -> None:
    score_checks(ctx, "performance", result.evaluation)
    for name, fit in {**result.fits, **dict.fromkeys(result.published)}.items():
        risk, yy = result.risk_and_y(name)
        rows = result.calibration[result.calibration["model"] == name].to_dict("records")
        calibration_checks(ctx, fit, yy, risk, rows)
    _equation_checks(ctx, result)
    outcome = ctx.study.outcome
    for a, b, t in result.nested:
        if ctx.analysis.screening.firth or t["separated"]:
            continue  # R's glm does not converge on separated data, as in the models stage
        for what, key in (("chi-square", "chisq"), ("p", "p_value")):
            ctx.check(
                "performance",
                f"LR test {what}, {a} within {b}, training",
                t[key],
                'anova(glm(smaller), glm(larger), test = "LRT")',
                lambda t=t, key=key: float(
                    _rcheck.nested_lrt(
                        t["data"], outcome, t["small_terms"], t["big_terms"], t["variables"]
                    )[key]
                ),
            )


def _equation_checks(ctx: Context, result: PerformanceResult) -> None:
    """Each published model's risks recomputed in R from its equation, and their AUC and
    val.prob indices compared with the report's."""
    perf, cal = result.evaluation.table, result.calibration
    for name, model in result.published.items():
        for part, s in result.scores[name].items():
            c = cal[(cal["model"] == name) & (cal["set"] == part)]
            row = {
                **(c.iloc[0].to_dict() if len(c) else {}),
                "auc": perf[(perf["model"] == name) & (perf["set"] == part)]["auc"].iloc[0],
            }
            d = result.data.loc[s.index]
            logistic_equation_checks(ctx, name, model, part, d, result.y.loc[s.index], row)


def methods(ctx: Context, result: PerformanceResult) -> str:
    plan = ctx.analysis
    return (
        "Each model was evaluated on the training patients it was fitted on and on every "
        "validation patient with its variables recorded. Discrimination was measured by the AUC "
        "with DeLong's 95% CI; sensitivity, specificity, accuracy, PPV and NPV (Wilson score "
        "95% CIs) used the Youden-optimal cut-off of the training set, applied unchanged to the "
        "validation set"
        + (
            "; AUCs were compared with DeLong's test for paired curves (pROC-equivalent)"
            if compares(result.evaluation.table)
            else ""
        )
        + _nested_methods(result)
        + ". Calibration was assessed by the logistic recalibration intercept and slope with "
        "Wald 95% CIs, the calibration-in-the-large (intercept with the linear predictor as "
        "offset, Wald 95% CI), the Brier score, the Emax of the lowess calibration curve and "
        "Spiegelhalter's test (rms::val.prob-equivalent), "
        "the Hosmer–Lemeshow and le Cessie–van Houwelingen tests, and calibration curves "
        f"({plan.bootstrap.B} bootstrap resamples, rms::calibrate-equivalent, in the training set; "
        "lowess in the validation set); the models were internally validated with "
        f"{plan.bootstrap.B} bootstrap resamples (rms::validate-equivalent, seed {plan.bootstrap.seed}: "
        "optimism-corrected C, calibration intercept, calibration slope (shrinkage factor), "
        "Brier score and the Emax of the recalibration line"
        + _methods_selection(result)
        + "), and clinical "
        "usefulness was assessed by decision curve analysis (net benefit over threshold "
        f"probabilities {_range_text(plan)})."
        + failed_refits(result.curves)[0]
        + _validation_resamples(result)
        + linearity_sentence(ctx, result.fits)
        + epv_sentence(result.fits)
        + published_methods(ctx, result.published, "logistic")
        + (
            " The calibration of a model validated from its published equation was assessed "
            "in both sets as in the validation set (recalibration intercept and slope, lowess "
            "curve), none of its patients having been used to fit it."
            if result.published
            else ""
        )
    )


def _nested_methods(result: PerformanceResult) -> str:
    """The methods' clause on the nested pairs: the likelihood-ratio test beside DeLong."""
    if not result.nested:
        return ""
    pairs = ", ".join(f"{a} within {b}" for a, b, _ in result.nested)
    return (
        f"; for nested models ({pairs}) the DeLong test is invalid (Demler et al., 2012), and "
        "the added terms were tested by the likelihood-ratio test in the training set"
    )


def _validation_resamples(result: PerformanceResult) -> str:
    """The methods sentence on the internal validation's failed refits ("" when none failed)."""
    iv = result.internal_validation
    if not len(iv) or not (iv["n_failed"] > 0).any():
        return ""
    return f" Internal validation: {resamples_text(iv)}."


def _methods_selection(result: PerformanceResult) -> str:
    """The methods' clause on repeating the variable selection in the bootstrap."""
    repeated = list(result.repeated)
    plain = [n for n in result.stepwise if n not in repeated]
    text = ""
    if repeated:
        text += (
            "; for " + ", ".join(repeated) + " the forward stepwise selection was repeated in "
            "every bootstrap resample, so that the optimism includes that of the selection"
        )
    if plain:
        text += (
            "; for " + ", ".join(plain) + " the backward selection was not repeated in the "
            "resamples (the final model was refitted), so the optimism excludes that of the "
            "selection"
        )
    return text


def _range_text(plan) -> str:
    lo, hi, by = plan.dca.range
    return f"{lo:g}–{hi:g} in steps of {by:g}"


def _curves(ctx: Context, fits: dict, scores: dict, y: pd.Series) -> tuple[dict, dict, dict]:
    """Calibration curves (training: bootstrap, validation: lowess) and decision curves."""
    from hccstats import calibrate, dca
    from hccstats.calibration import calibration_curve

    plan = ctx.analysis
    cal, dcas, dca_n = {}, {}, {}
    for name, fit in fits.items():
        if name in ctx.analysis.published:  # apparent (lowess) in every set: nothing to refit
            for part, s in scores[name].items():
                cal[(name, part)] = calibration_curve(
                    y.loc[s.index].to_numpy(float), s.to_numpy(float)
                )
            continue
        va = scores[name]["validation"]
        cal[(name, "training")] = calibrate(
            fit,
            B=plan.bootstrap.B,
            seed=plan.bootstrap.seed,
            progress=not ctx.options.quiet,
            n_jobs=bootstrap_threads(),
        )
        cal[(name, "validation")] = calibration_curve(
            y.loc[va.index].to_numpy(float), va.to_numpy(float)
        )
    for part in SETS:
        common = _common(scores, list(fits), part)
        if not len(common):  # an external validation: no training patient to score
            continue
        dca_n[part] = len(common)
        dcas[part] = dca(
            y.loc[common].to_numpy(float),
            {n: scores[n][part].loc[common].to_numpy(float) for n in fits},
            thresholds=plan.dca.thresholds,
        )
    return cal, dcas, dca_n


def _panels(evaluation: ScoreEvaluation, order, curves: Mapping, dca: Mapping):
    """Fig. 6 drawn: ROC (A, B), calibration (C, D), decision curves (E, F)."""
    from hccstats.plots import performance_panels

    perf, rocs = evaluation.table, evaluation.rocs
    sets = [p for p in SETS if p in dca]  # an external validation: validation only
    return performance_panels(
        {p: {n: rocs[(n, p)] for n in order if (n, p) in rocs} for p in sets},
        {
            p: {
                n: (float(r.ci_low), float(r.ci_high))
                for n, r in perf[perf["set"] == p].set_index("model").iterrows()
            }
            for p in sets
        },
        {p: {n: c for (n, q), c in curves.items() if q == p} for p in sets},
        dict(dca),
        sets=sets,
    )


def _figure(ctx: Context, section: Section, result: PerformanceResult, perf_table: str) -> None:
    """Fig. 6 (:func:`_panels`, drawn in compute) and its caption."""
    plan, fits = ctx.analysis, {**result.fits, **result.published}
    sets = [p for p in SETS if p in result.dca]  # an external validation: validation only
    section.figure(
        "fig_model_performance",
        result.panels,
        caption=f"{ctx.next_figure()} Discrimination, calibration and clinical "
        "usefulness of the models. "
        + (
            "ROC curves in the training (A) and validation (B) sets; "
            "calibration curves (training: bootstrap bias-corrected, "
            f"{_calibration_resamples(result.curves, plan.bootstrap.B)}"
            + (", lowess for a published model" if result.published else "")
            + "; validation: lowess of the observed outcome) (C, D); decision curves (E, F; "
            if len(sets) == 2
            else f"In the {sets[0]} set: ROC curves (A), calibration curves (lowess of the "
            "observed outcome) (B) and decision curves (C; "
        )
        + f"threshold probabilities {_range_text(plan)}; "
        + ", ".join(f"{p} n = {n}" for p, n in result.dca_n.items())
        + (", the patients with every model's variables" if len(fits) > 1 else "")
        + f"). Patients as in {perf_table}",
    )


def _calibration_resamples(cal: dict, B: int) -> str:
    """ "B = 1000 (failed refits: Clinical model 12)", or "B = 1000" when none failed."""
    failed = [
        f"{name} {c.n_failed}"
        for (name, part), c in cal.items()
        if part == "training" and getattr(c, "n_failed", 0)
    ]
    return f"B = {B}" + (f" (failed refits: {', '.join(failed)})" if failed else "")


def _calibration_errors(ctx: Context, section: Section, cal: dict) -> None:
    cal_rows = [
        {
            "model": name,
            "set": part,
            "mean_abs_error": c.mean_abs_error,
            "mean_squared_error": c.mean_squared_error,
            "quantile_90": c.quantile_90,
            "n": c.n,
            "B": c.B,
            "n_failed": c.n_failed,
        }
        for (name, part), c in cal.items()
    ]
    section.table(
        "supp_calibration",
        pd.DataFrame(cal_rows),
        caption=f"{ctx.next_table(supplementary=True)} Calibration error of the models",
        formats={
            "Model": lambda r: r["model"],
            "Set": lambda r: str(r["set"]).capitalize(),
            "n": F.col("n", "int"),
            "Mean absolute error": lambda r: F.fmt_num(r["mean_abs_error"], 3),
            "Mean squared error": lambda r: F.fmt_num(r["mean_squared_error"], 4),
            "0.9 quantile of absolute error": lambda r: F.fmt_num(r["quantile_90"], 3),
            "Bootstrap resamples (failed)": lambda r: (
                f"{int(r['B'])} ({int(r['n_failed'])})" if r["B"] else "—"
            ),
        },
        footnote="rms::calibrate's error summaries of the bias-corrected (training) or apparent "
        "(validation) curve; in brackets the bootstrap refits that failed and were left out "
        "(above 1% the report warns).",
    )
