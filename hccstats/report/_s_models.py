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
from ._separation import firth_refit, model_odds_ratios

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
        fun_at="auto",  # risk ticks chosen from the axis length: labels never overlap
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
    fits, steps, rows, notes = {}, {}, [], []
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
        fit = firth_refit(sw.fit) if opts.firth else sw.fit
        fits[name], steps[name] = fit, sw.steps
        raw_ors, sep_note = model_odds_ratios(ctx, name, fit)
        notes.append(sep_note)
        ors = per_signature_units(raw_ors, signatures)
        ors.insert(0, "model", name)
        rows.append(ors)
        terms = list(fit.terms)
        per = {t: SIG_PER for t in terms if t in signatures}
        # R's glm gives neither Firth estimates nor infinite ones: those are not checked
        checked = ors.iloc[:0] if opts.firth else ors.dropna(subset=["estimate"])
        for _, r in checked.iterrows():
            for what, key in (
                ("OR", "estimate"),
                ("OR 95% CI low", "ci_low"),
                ("OR 95% CI high", "ci_high"),
                ("p", "p_value"),
            ):
                ctx.check(
                    "models",
                    f"{name}: {what}{f' per {SIG_PER:g}' if r['term'] in per and what != 'p' else ''}, {r['term']}",
                    r[key],
                    f"glm({study.outcome} ~ {' + '.join(terms)}, binomial)"
                    + (f", signature OR = exp({SIG_PER:g} * coef)" if per else ""),
                    lambda t=terms, term=r["term"], key=key, per=per: _rcheck.glm_or(
                        train, study.outcome, t, per=per
                    ).loc[_rcheck.r_term(term), key],
                )
    if not fits:
        raise StageUnavailable("forward selection entered no variable in any model")
    ors = pd.concat(rows, ignore_index=True)
    wide = _table3(ctx, ors, list(fits))
    cap = f"{ctx.next_table()} Multivariable logistic regression (forward LR) in the training set"
    formats = {"Variable": F.col("label", "text")}
    for name in fits:
        formats[f"{name}: OR (95% CI)"] = lambda r, n=name: F.fmt_or_ci(
            r[f"{n}|estimate"], r[f"{n}|ci_low"], r[f"{n}|ci_high"]
        )
        formats[f"{name}: p value"] = lambda r, n=name: F.fmt_p(r[f"{n}|p_value"], star=True)
    section.table(
        "table3_multivariable",
        wide,
        caption=cap,
        formats=formats,
        footnote="OR, odds ratio (Wald 95% CI)"
        + (
            f"; DL signature: {PER_FOOTNOTE}"
            if any(_var(t) in signatures for t in wide["term"])
            else ""
        )
        + "; NA, not in the model. Forward stepwise selection: entry by the score "
        f"test p < {opts.entry:g}, removal by the likelihood-ratio test p > {opts.removal:g} (SPSS Forward: LR). *p < 0.05."
        + "".join(f" {n}" for n in notes if n),
    )
    step_rows = []
    for name, st in steps.items():
        s = st.copy()
        s.insert(0, "model", name)
        step_rows.append(s)
    step_table = pd.concat(step_rows, ignore_index=True)
    section.table(
        "supp_stepwise",
        step_table,
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
        for panel, (engine, nm, fig_stem) in zip(panels, drawn):
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
    ctx.shared["fits"] = fits
    ctx.results["models"] = {
        name: {
            "formula": fit.formula,
            "terms": list(fit.terms),
            "coef": fit.coef,
            "stats": fit.stats,
            "odds_ratios": ors[ors["model"] == name].drop(columns="model"),
            "steps": steps[name],
            "nomogram": nomos.get(name),
        }
        for name, fit in fits.items()
    }
    ctx.methods["models"] = (
        f"Multivariable logistic models were built in the training set by forward stepwise selection (SPSS Forward: LR; "
        f"score-test entry p < {opts.entry:g}, likelihood-ratio removal p > {opts.removal:g}; complete cases): a clinical "
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


def _table3(ctx: Context, ors: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    terms = list(dict.fromkeys(ors["term"]))
    out = pd.DataFrame({"term": terms, "label": [ctx.label(_var(t)) + _level(t) for t in terms]})
    for name in models:
        sub = ors[ors["model"] == name].set_index("term")
        for key in ("estimate", "ci_low", "ci_high", "p_value"):
            out[f"{name}|{key}"] = [sub[key].get(t, float("nan")) for t in terms]
    return out


def _var(term: str) -> str:
    return term.split("[T.", 1)[0]


def _level(term: str) -> str:
    return f": {term.split('[T.', 1)[1][:-1]}" if "[T." in term else ""
