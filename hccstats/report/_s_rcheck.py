"""Stage 8: every headline number recomputed in R (pROC, rms/stats, car, vcd) beside hccstats's."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from reports import Section
from reports import formatting as F

from ._context import Context, StageUnavailable, stage_label
from ._layout import layout

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
    "result",
    "agree",
    "r_call",
    "error",
)
#: the result of one check: R's value within the tolerance, outside it, or no value (R error)
AGREE, DISAGREE, R_ERROR = "agree", "disagree", "R error"


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return F.NA
    return f"{x:.6g}"


def empty_table() -> pd.DataFrame:
    """r_check.csv without R (``--no-r``): the columns, no row."""
    return pd.DataFrame(columns=list(COLUMNS[:-1]))


def _listed(quantities: pd.Series) -> str:
    return "; ".join(quantities.head(8)) + ("; …" if len(quantities) > 8 else "")


@dataclass(frozen=True)
class RCheckResult:
    """Every registered check, with its result (agree, disagree or R error), and the stages
    the study asks for that gave no number to check (stage title -> why)."""

    table: pd.DataFrame  # one row per headline number (COLUMNS)
    versions: Mapping[str, str]  # R and its packages
    unchecked: Mapping[str, str] = field(default_factory=dict)

    def _with(self, result: str) -> pd.DataFrame:
        return self.table[self.table["result"] == result] if len(self.table) else self.table

    @property
    def disagree(self) -> pd.DataFrame:
        return self._with(DISAGREE)

    @property
    def r_errors(self) -> pd.DataFrame:
        return self._with(R_ERROR)

    @property
    def counts(self) -> dict[str, int]:
        """Checks by result: agree, disagree, R error."""
        return {r: int(len(self._with(r))) for r in (AGREE, DISAGREE, R_ERROR)}

    @property
    def verdict(self) -> str:
        """One paragraph: what agreed, what did not, what R could not compute, and which
        stages had no number to check; "All N ... agree" only when that is the whole story."""
        table, bad, err = self.table, self.disagree, self.r_errors
        n, c = len(table), self.counts
        missing = "; ".join(f"{t} ({why})" for t, why in self.unchecked.items())
        if n == 0:
            text = "No headline number was available to check in R"
        elif len(bad) == 0 and len(err) == 0:
            if not missing:
                return f"All {n} headline numbers agree with R within the stated tolerance."
            text = f"The {n} headline numbers that were computed agree with R within the stated tolerance"
        else:
            text = f"Of {n} headline numbers, {c[AGREE]} agree with R within the stated tolerance"
            if len(bad):
                text += f"; {len(bad)} do NOT agree: {_listed(bad['quantity'])}"
            if len(err):
                first = " ".join(str(err["error"].iloc[0]).split())[:160]
                text += (
                    f"; {len(err)} could not be computed in R (R error, not a disagreement): "
                    f"{_listed(err['quantity'])} (R: {first})"
                )
        if missing:
            text += f"; not checked, as these stages computed no numbers: {missing}"
        return text + "."


def _row(c) -> dict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r_value = float(c.compute_r())
        err = ""
    except Exception as exc:  # an R error is its own result in the table, not fatal
        r_value, err = float("nan"), " ".join(str(exc).split())[:200] or type(exc).__name__
    diff = c.hccstats - r_value
    both_nan = math.isnan(c.hccstats) and math.isnan(r_value)
    agree = (
        both_nan
        or (math.isfinite(diff) and abs(diff) <= c.atol + c.rtol * abs(r_value))
        or (math.isinf(c.hccstats) and c.hccstats == r_value)
    )
    result = R_ERROR if err else AGREE if agree else DISAGREE
    return {
        "stage": c.stage,
        "quantity": c.quantity,
        "hccstats": c.hccstats,
        "r": r_value,
        "difference": diff,
        "tolerance": f"|diff| <= {c.atol:g} + {c.rtol:g}*|R|",
        "result": result,
        "agree": result == AGREE,
        "r_call": c.r_call,
        "error": err,
    }


def _unchecked(ctx: Context) -> dict[str, str]:
    """The stages with R checks that the study asks for and that did not end "ok": their
    headline numbers are missing, so "all agree" would overstate the check."""
    import importlib

    from ._stages import STAGES, asked

    sections = {s.title: s for s in ctx.report.sections}
    out = {}
    for mod_name, title in STAGES:
        key = mod_name[3:]
        if key == "rcheck" or not asked(ctx, key):
            continue
        if not hasattr(importlib.import_module(f"hccstats.report.{mod_name}"), "r_checks"):
            continue
        status = ctx.stage_status.get(key)
        if status is not None and status != "ok":
            why = sections[title].message if title in sections else ""
            out[title] = f"{status}: {why}" if why else status
    return out


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
    return RCheckResult(table, versions, _unchecked(ctx))


def render(ctx: Context, section: Section, result: RCheckResult) -> None:
    table, verdict, counts = result.table, result.verdict, result.counts
    ctx.software.update(result.versions)
    clean = counts[DISAGREE] == 0 and counts[R_ERROR] == 0
    section.text(verdict, style="body" if clean and not result.unchecked else "error")
    section.table(
        "r_check",
        table,
        caption=f"{ctx.next_table(supplementary=True)} R cross-check of the headline numbers",
        docx_note=""
        if layout(ctx)["r_check_in_docx"]
        else f"The {len(table)} rows of this table are in report.html (section R cross-check) "
        "and in r_check.csv; the verdict above sums them up.",
        formats={
            "Stage": lambda r: stage_label(r["stage"]),
            "Quantity": F.col("quantity", "text"),
            "hccstats": lambda r: _fmt(r["hccstats"]),
            "R": lambda r: _fmt(r["r"]) if r["result"] != R_ERROR else "R error",
            "Difference": lambda r: _fmt(r["difference"]),
            "Agree": lambda r: {AGREE: "yes", DISAGREE: "NO"}.get(r["result"], "R error"),
            **({"R message": F.col("error", "text")} if counts[R_ERROR] else {}),
        },
        footnote="Each number recomputed in R through rpy2 on the same patients (pROC for AUCs, DeLong CIs, "
        "DeLong tests and cut-offs; prop.test for the Wilson CIs; stats::glm for odds ratios and "
        "intercepts, refitted on each model's own patients; rms::val.prob, glm recalibration CIs, "
        "ResourceSelection::hoslem.test written out in base R and rms's le Cessie test for "
        "calibration; car::vif; stats "
        "tests for the baseline tables; vcd and the Fleiss formula for κ). Bootstrap numbers (calibration "
        "curves, optimism-corrected indices) are not checked: R's resamples differ. Tolerance: |hccstats − R| ≤ 1e-8 + 1e-5·|R| unless stated in r_check.csv. "
        "Agree: yes, NO (outside the tolerance), or R error (R could not compute the number; "
        "its message in the R message column and in r_check.csv's error column).",
    )
    if counts[R_ERROR]:
        ctx.shortfall(
            "rcheck",
            f"{counts[R_ERROR]} of {len(table)} headline numbers could not be computed in R "
            f"(R error): {_listed(result.r_errors['quantity'])}",
        )
    ctx.results["r_check"] = {
        "n": int(len(table)),
        "n_agree": counts[AGREE],
        "n_disagree": counts[DISAGREE],
        "n_r_error": counts[R_ERROR],
        "all_agree": bool(len(table) > 0 and counts[AGREE] == len(table)),
        "unchecked_stages": dict(result.unchecked),
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
