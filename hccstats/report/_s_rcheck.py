"""Stage 8: every headline number recomputed in R (pROC, rms/stats, car, vcd) beside hccstats's."""

from __future__ import annotations

import math
import warnings

import pandas as pd

from reports import Section
from reports import formatting as F

from ._context import Context, StageUnavailable, stage_label

REQUIRES: tuple[str, ...] = ()
PACKAGES = ("stats", "pROC", "rms", "car", "survival", "Hmisc")


#: r_check.csv's columns ("error" only when R ran)
COLUMNS = (
    "stage",
    "quantity",
    "hccstats",
    "r",
    "difference",
    "tolerance",
    "agree",
    "r_call",
    "error",
)


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return F.NA
    return f"{x:.6g}"


def run(ctx: Context, section: Section) -> None:
    if not ctx.options.use_r:
        ctx.shared["r_check"] = pd.DataFrame(columns=list(COLUMNS[:-1]))
        ctx.results["r_check"] = {"skipped": True, "reason": "--no-r"}
        raise StageUnavailable("skipped (--no-r): no number was recomputed in R")
    from hccstats.rbridge import r_versions, require_r

    try:
        require_r(*PACKAGES)
    except Exception as exc:  # RNotAvailableError
        raise StageUnavailable(f"R is not available: {exc}") from None
    ctx.software.update(
        {f"R {k}" if k != "R" else "R": v for k, v in r_versions(*PACKAGES[1:]).items()}
    )
    rows = []
    for c in ctx.checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r_value = float(c.compute_r())
            err = ""
        except Exception as exc:  # an R error is reported in the table, not fatal
            r_value, err = float("nan"), " ".join(str(exc).split())[:200]
        diff = c.hccstats - r_value
        both_nan = math.isnan(c.hccstats) and math.isnan(r_value)
        agree = (
            both_nan
            or (math.isfinite(diff) and abs(diff) <= c.atol + c.rtol * abs(r_value))
            or (math.isinf(c.hccstats) and c.hccstats == r_value)
        )
        rows.append(
            {
                "stage": c.stage,
                "quantity": c.quantity,
                "hccstats": c.hccstats,
                "r": r_value,
                "difference": diff,
                "tolerance": f"|diff| <= {c.atol:g} + {c.rtol:g}*|R|",
                "agree": bool(agree),
                "r_call": c.r_call,
                "error": err,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=list(COLUMNS),
    )
    ctx.shared["r_check"] = table
    bad = table[~table["agree"]] if len(table) else table
    if len(table) == 0:
        verdict = "No headline number was available to check in R."
    elif len(bad) == 0:
        verdict = f"All {len(table)} headline numbers agree with R within the stated tolerance."
    else:
        verdict = (
            f"{len(bad)} of {len(table)} headline numbers do NOT agree with R within the stated tolerance: "
            + "; ".join(bad["quantity"].head(8))
            + ("; …" if len(bad) > 8 else "")
            + "."
        )
    section.text(verdict, style="body" if len(bad) == 0 else "error")
    section.table(
        "r_check",
        table,
        caption=f"{ctx.next_table(supplementary=True)} R cross-check of the headline numbers",
        formats={
            "Stage": lambda r: stage_label(r["stage"]),
            "Quantity": F.col("quantity", "text"),
            "hccstats": lambda r: _fmt(r["hccstats"]),
            "R": lambda r: _fmt(r["r"]),
            "Difference": lambda r: _fmt(r["difference"]),
            "Agree": lambda r: "yes" if r["agree"] else "NO",
        },
        footnote="Each number recomputed in R through rpy2 on the same patients (pROC for AUCs, DeLong CIs, "
        "DeLong tests and cut-offs; prop.test for the Wilson CIs; stats::glm for odds ratios and "
        "intercepts, refitted on each model's own patients; rms::val.prob, glm recalibration CIs, the "
        "Hosmer–Lemeshow grouping in base R and rms's le Cessie test for calibration; car::vif; stats "
        "tests for the baseline tables; vcd and the Fleiss formula for κ). Bootstrap numbers (calibration "
        "curves, optimism-corrected indices) are not checked: R's resamples differ. Tolerance: |hccstats − R| ≤ 1e-8 + 1e-5·|R| unless stated in r_check.csv.",
    )
    ctx.results["r_check"] = {
        "n": int(len(table)),
        "n_disagree": int(len(bad)),
        "all_agree": bool(len(bad) == 0),
        "verdict": verdict,
        "table": table,
    }
    ctx.methods["rcheck"] = (
        "Every headline number was recomputed in R ("
        + ", ".join(f"{k} {v}" for k, v in sorted(ctx.software.items()) if k.startswith("R"))
        + ") through rpy2 and compared "
        "with hccstats's value (r_check.csv)."
    )
