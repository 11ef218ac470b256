"""Stage 8: every headline number recomputed in R (pROC, rms/stats, car, vcd) beside hccstats's."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

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


def empty_table() -> pd.DataFrame:
    """r_check.csv without R (``--no-r``): the columns, no row."""
    return pd.DataFrame(columns=list(COLUMNS[:-1]))


@dataclass(frozen=True)
class RCheckResult:
    table: pd.DataFrame  # one row per headline number (COLUMNS)
    versions: Mapping[str, str]  # R and its packages

    @property
    def disagree(self) -> pd.DataFrame:
        return self.table[~self.table["agree"].astype(bool)] if len(self.table) else self.table

    @property
    def verdict(self) -> str:
        table, bad = self.table, self.disagree
        if len(table) == 0:
            return "No headline number was available to check in R."
        if len(bad) == 0:
            return f"All {len(table)} headline numbers agree with R within the stated tolerance."
        return (
            f"{len(bad)} of {len(table)} headline numbers do NOT agree with R within the stated tolerance: "
            + "; ".join(bad["quantity"].head(8))
            + ("; …" if len(bad) > 8 else "")
            + "."
        )


def _row(c) -> dict:
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
    return {
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


def compute(ctx: Context) -> RCheckResult:
    """Every R check the earlier stages registered, recomputed in R."""
    if not ctx.options.use_r:
        raise StageUnavailable("skipped (--no-r): no number was recomputed in R")
    from hccstats.rbridge import r_versions, require_r

    try:
        require_r(*PACKAGES)
    except Exception as exc:  # RNotAvailableError
        raise StageUnavailable(f"R is not available: {exc}") from None
    versions = {f"R {k}" if k != "R" else "R": v for k, v in r_versions(*PACKAGES[1:]).items()}
    table = pd.DataFrame([_row(c) for c in ctx.checks], columns=list(COLUMNS))
    return RCheckResult(table, versions)


def render(ctx: Context, section: Section, result: RCheckResult) -> None:
    table, bad, verdict = result.table, result.disagree, result.verdict
    ctx.software.update(result.versions)
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


def methods(ctx: Context, result: RCheckResult) -> str:
    return (
        "Every headline number was recomputed in R ("
        + ", ".join(f"{k} {v}" for k, v in sorted(result.versions.items()))
        + ") through rpy2 and compared "
        "with hccstats's value (r_check.csv)."
    )
