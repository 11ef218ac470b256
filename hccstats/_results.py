"""Small result objects shared across modules (frozen, unrounded)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

__all__ = ["ConfidenceInterval", "TestResult"]


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided confidence interval ``[low, high]`` at ``level`` (e.g. 0.95).

    Every confidence interval hccstats returns is one (``AucCI`` extends it with the AUC); it
    unpacks as ``low, high = ci``.
    """

    low: float
    high: float
    level: float = 0.95

    def __iter__(self):
        yield self.low
        yield self.high

    def to_frame(self) -> pd.DataFrame:
        """One row: ci_low, ci_high, conf_level (the column names of every table's limits)."""
        return pd.DataFrame([{"ci_low": self.low, "ci_high": self.high, "conf_level": self.level}])

    def __repr__(self) -> str:
        return f"{self.level:.0%} CI: {self.low:.6g}-{self.high:.6g}"


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test: statistic, p-value, and what was tested.

    ``to_frame()`` gives one row with one value per cell. A test with more to say (a table,
    named statistics, flags) has its own subclass with typed fields (``roc_test`` →
    ``DeLongTest``, ``survdiff`` → ``LogRankTest``, ``hosmer_lemeshow`` →
    ``HosmerLemeshowTest``, ``le_cessie`` → ``LeCessieTest``, ``wilcox_test`` →
    ``WilcoxonTest``, ``chisq_test`` → ``ChisqTest``).
    """

    __test__ = False  # not a pytest class

    statistic: float
    p_value: float
    method: str = ""
    alternative: str = "two.sided"
    df: float | None = None
    estimate: float | None = None
    ci: ConfidenceInterval | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row: the fields, the interval as ci_low, ci_high, conf_level (when there is one)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ci"}
        if self.ci is not None:
            row["ci_low"], row["ci_high"], row["conf_level"] = (
                self.ci.low,
                self.ci.high,
                self.ci.level,
            )
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        lines = [f"\n\t{self.method}\n" if self.method else ""]
        df = f", df = {self.df:g}" if self.df is not None else ""
        lines.append(f"statistic = {self.statistic:.6g}{df}, p-value = {self.p_value:.4g}")
        lines.append(f"alternative hypothesis: {self.alternative}")
        if self.estimate is not None:
            lines.append(f"estimate: {self.estimate:.6g}")
        if self.ci is not None:
            lines.append(repr(self.ci))
        return "\n".join(lines)
