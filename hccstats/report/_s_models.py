"""Stage 6: forward-LR multivariable models (Table 3) and their nomograms (Fig. 5).

Clinical model: forward LR over the clinical variables significant in the univariable
analysis. DL model: the same plus the reference (mp-MR) signature. rms draws the nomograms
through rpy2; the native engine is the fallback.
"""

from __future__ import annotations

import pandas as pd

from reports import Section
from reports import formatting as F

from . import _rcheck
from ._context import Context, StageUnavailable
from ._s_features import PER_FOOTNOTE, SIG_PER

REQUIRES: tuple[str, ...] = ("univariate",)
CLINICAL, DL = "Clinical model", "DL model"
NOMOGRAM_NAMES = {CLINICAL: "Clinical nomogram", DL: "DL nomogram"}


def _nomograms(ctx: Context, fit, stem: str) -> list[tuple[str, object, str]]:
    """The model's nomogram drawn by rms (with R) and natively: [(engine, Nomogram, stem)].

    rms's drawing comes first (the study's Figure 5); the native one is always drawn beside it
    (same points table), and alone without R (``--no-r``) or when rms fails (``ctx.shared``
    keeps why, for the report's note).
    """
    from hccstats.nomograms import nomogram

    labels = {t: ctx.label(t) for t in fit.terms}
    kw = dict(
        labels=labels,
        fun_label=f"Risk of {ctx.study.outcome_label.lower()}",
        value_labels=ordinal_value_labels(ctx, fit.terms),
    )
    out = []
    if ctx.options.use_r:
        try:
            nm = nomogram(fit, engine="r", **kw)
            nm.save(ctx.work / f"{stem}_rms", formats=("png", "pdf"))
            out.append(("r", nm, f"{stem}_rms"))
        except Exception as exc:  # rms missing or failing: the native drawing only, with a note
            ctx.shared.setdefault("nomogram_r_errors", {})[stem] = (
                f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            )
    nm = nomogram(fit, engine="python", **kw)
    nm.save(ctx.work / stem, formats=("png", "pdf"))
    out.append(("python", nm, stem))
    return out


def ordinal_value_labels(ctx: Context, terms) -> dict[str, dict[float, str]]:
    """Ordinal variables entered as scores whose levels are not numbers: {variable: {score: level label}}."""
    out = {}
    for name in ctx.shared.get("ordinal_numeric", []):
        if name in terms:
            scores = ctx.shared.get("ordinal_scores", {}).get(name, {})
            if any(str(label) != format(score, "g") for score, label in scores.items()):
                out[name] = dict(scores)
    return out


def run(ctx: Context, section: Section) -> None:
    from hccstats import forward_lr

    study, opts = ctx.study, ctx.options
    train = ctx.training()
    clinical = ctx.shared.get("significant_clinical", [])
    ref_sig = (
        ctx.shared.get("reference_signature") if ctx.stage_status.get("features") == "ok" else None
    )
    if not clinical and ref_sig is None:
        raise StageUnavailable(
            f"no variable reached p < {opts.alpha:g} in the univariable analysis"
        )
    signatures = set(ctx.shared.get("signatures", {}).values()) if ref_sig is not None else set()
    specs = []
    if clinical:
        specs.append((CLINICAL, clinical))
    if ref_sig is not None:
        specs.append((DL, clinical + [ref_sig]))
    fits, steps, rows, cands_of = {}, {}, [], {}
    for name, cands in specs:
        sw = forward_lr(
            train, study.outcome, cands, entry=opts.entry, removal=opts.removal, nan_policy="omit"
        )
        if not sw.selected:
            section.text(
                f"{name}: no candidate entered the model (forward LR, entry p < {opts.entry:g}).",
                "note",
            )
            continue
        fits[name], steps[name], cands_of[name] = sw.fit, sw.steps, cands
        ors = per_signature_units(sw.fit.odds_ratios(), signatures)
        ors.insert(0, "model", name)
        ors["coef"] = sw.fit.coef.loc[ors["term"]].to_numpy()
        rows.append(ors)
        _register_checks(ctx, name, sw.fit, ors, signatures)
    if not fits:
        raise StageUnavailable("forward selection entered no variable in any model")
    ors = pd.concat(rows, ignore_index=True)
    _table3_section(ctx, section, fits, ors, signatures, cands_of, len(train))
    _steps_table(ctx, section, steps)
    nomos = _draw_all(ctx, section, fits)
    _finish(ctx, fits, steps, ors, nomos, ref_sig)


def _register_checks(ctx: Context, name: str, fit, ors: pd.DataFrame, signatures) -> None:
    """R refits the model on exactly the patients it was fitted on (``fit.data``)."""
    outcome, data = ctx.study.outcome, fit.data
    terms = list(fit.terms)
    per = {t: SIG_PER for t in terms if t in signatures}
    call = f"glm({outcome} ~ {' + '.join(terms)}, binomial) on the model's n = {len(data)}" + (
        f", signature OR = exp({SIG_PER:g} * coef)" if per else ""
    )

    def r_value(term, key):
        return lambda: _rcheck.glm_or(data, outcome, terms, per=per).loc[_rcheck.r_term(term), key]

    ctx.check(
        "models", f"{name}: intercept", fit.coef["Intercept"], call, r_value("(Intercept)", "coef")
    )
    for _, r in ors.iterrows():
        unit = f" per {SIG_PER:g}" if r["term"] in per else ""
        for what, key in (
            ("OR", "estimate"),
            ("OR 95% CI low", "ci_low"),
            ("OR 95% CI high", "ci_high"),
            ("p", "p_value"),
        ):
            label = f"{name}: {what}{unit if what != 'p' else ''}, {r['term']}"
            ctx.check("models", label, r[key], call, r_value(r["term"], key))


def _table3_section(ctx, section, fits, ors, signatures, cands_of, n_train) -> None:
    from ._table3 import or_digits, table3, table3_formats

    opts = ctx.options
    wide = table3(ctx, fits, ors)
    fine = [
        ctx.label(r["variable"])
        for name in fits
        for _, r in wide.iterrows()
        if r["kind"] == "term"
        and or_digits(r[f"{name}|estimate"], r[f"{name}|ci_low"], r[f"{name}|ci_high"]) > 2
        and pd.notna(r[f"{name}|ci_low"])
    ]
    notes = []
    for name, fit in fits.items():
        n, ev = int(fit.stats["n"]), int(fit.stats["events"])
        left = n_train - n
        notes.append(
            f"{name}: n = {n} training patients ({ev} events) with every candidate variable recorded"
            + (
                f" ({left} of {n_train} left out by listwise deletion over the "
                f"{len(cands_of[name])} candidates)"
                if left
                else ""
            )
        )
    section.table(
        "table3_multivariable",
        wide,
        caption=f"{ctx.next_table()} Multivariable logistic regression (forward LR) in the training set",
        formats=table3_formats(fits),
        footnote="; ".join(notes)
        + ". β, regression coefficient (log odds; the intercept and coefficients give the model's "
        "linear predictor); OR, odds ratio (Wald 95% CI); Ref, reference level"
        + (
            f"; DL signature: {PER_FOOTNOTE}"
            if wide["variable"].isin(list(signatures)).any()
            else ""
        )
        + (
            f"; {', '.join(dict.fromkeys(fine))}: OR per unit, with more decimals so that the CI "
            "limits print apart"
            if fine
            else ""
        )
        + "; —, not in the model. Forward stepwise selection: entry by the score "
        f"test p < {opts.entry:g}, removal by the likelihood-ratio test p > {opts.removal:g} "
        "(SPSS Forward: LR). *p < 0.05.",
    )


def _steps_table(ctx: Context, section: Section, steps: dict) -> None:
    step_rows = []
    for name, st in steps.items():
        s = st.copy()
        s.insert(0, "model", name)
        step_rows.append(s)
    section.table(
        "supp_stepwise",
        pd.concat(step_rows, ignore_index=True),
        caption=f"{ctx.next_table(supplementary=True)} Forward LR selection steps",
        formats={
            "Model": F.col("model", "text"),
            "Step": F.col("step", "int"),
            "Action": F.col("action", "text"),
            "Variable": lambda r: ctx.label(r["term"]),
            "Statistic": F.col("statistic", "3f"),
            "df": F.col("df", "int"),
            "p value": F.col("p_value", "p"),
        },
    )


def _draw_all(ctx: Context, section: Section, fits: dict) -> dict:
    nomos = {}
    for name, fit in fits.items():
        stem = "fig_nomogram_" + ("clinical" if name == CLINICAL else "dl")
        display = NOMOGRAM_NAMES[name]
        try:
            drawn = _nomograms(ctx, fit, stem)
        except Exception as exc:
            section.text(
                f"{display}: the nomogram could not be drawn ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}).",
                "error",
            )
            continue
        number = ctx.next_figure()
        terms = ", ".join(ctx.label(t) for t in fit.terms)
        panels = "ab" if len(drawn) > 1 else [""]
        for panel, (engine, _nm, fig_stem) in zip(panels, drawn):
            by = (
                "drawn by rms (R)"
                if engine == "r"
                else (
                    "drawn natively by hccstats (the same points as rms)"
                    if len(drawn) > 1
                    else "drawn natively by hccstats"
                )
            )
            section.figure(
                fig_stem,
                ctx.work / f"{fig_stem}.png",
                caption=f"{number}{panel} {display} ({terms}); {by}",
            )
        if len(drawn) == 1:
            why = (
                "the R cross-check is off (--no-r)"
                if not ctx.options.use_r
                else "rms could not draw it ("
                + ctx.shared.get("nomogram_r_errors", {}).get(stem, "")
                + ")"
            )
            section.text(f"{display}: drawn natively by hccstats only; {why}.", "note")
        nomos[name] = {
            "engines": [e for e, _, _ in drawn],
            "figures": [s for _, _, s in drawn],
            "points": drawn[0][1].points,
        }
    return nomos


def _finish(ctx, fits, steps, ors, nomos, ref_sig) -> None:
    opts = ctx.options
    ctx.shared["fits"] = fits
    ctx.results["models"] = {
        name: {
            "formula": fit.formula,
            "terms": list(fit.terms),
            "coef": fit.coef,
            "stats": fit.stats,
            "odds_ratios": ors[ors["model"] == name].drop(columns="model"),
            "n": int(fit.stats["n"]),
            "events": int(fit.stats["events"]),
            "patients": list(map(str, fit.data.index)),
            "steps": steps[name],
            "nomogram": nomos.get(name),
        }
        for name, fit in fits.items()
    }
    ctx.methods["models"] = (
        f"Multivariable logistic models were built in the training set by forward stepwise selection (SPSS Forward: LR; "
        f"score-test entry p < {opts.entry:g}, likelihood-ratio removal p > {opts.removal:g}; patients with every "
        "candidate variable recorded, the n stated per model): a clinical "
        "model from the significant clinical variables"
        + (" and a DL model from those plus the " + ctx.label(ref_sig) if ref_sig else "")
        + ". Nomograms were drawn from the final models"
        + (
            " by rms::nomogram and natively by hccstats (the same points table)"
            if opts.use_r
            else " natively by hccstats (rms's points arithmetic)"
        )
        + "."
    )


def per_signature_units(ors: pd.DataFrame, signatures) -> pd.DataFrame:
    """Odds ratios of the signature terms per ``SIG_PER`` increase: OR**0.1 and its Wald CI**0.1 (p unchanged)."""
    ors = ors.copy()
    rows = ors["term"].isin(list(signatures))
    for key in ("estimate", "ci_low", "ci_high"):
        ors.loc[rows, key] = ors.loc[rows, key] ** SIG_PER
    ors["per"] = [SIG_PER if r else 1.0 for r in rows]
    return ors
