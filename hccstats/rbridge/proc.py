"""pROC's numbers for hccstats's ROC curves, recomputed in R through rpy2.

Each function takes :class:`hccstats.Roc` objects (or anything with ``y_true`` as 0/1,
``score`` and ``direction``) and rebuilds the curve in R with
``pROC::roc(y, score, levels = c(0, 1), direction = ...)``, so hccstats's numbers can be
checked against pROC's: by the tests, and by the report's R cross-check.

Example
-------
>>> import hccstats as hs
>>> from hccstats.rbridge import proc
>>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
>>> proc.ci_auc(r)["high"]  # doctest: +SKIP
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._core import require_r, run

__all__ = [
    "roc_curve",
    "auc",
    "var",
    "cov",
    "placements",
    "ci_auc",
    "roc_test",
    "coords_best",
    "coords_at",
    "delong_summary",
]

_ROC = "pROC::roc(y{i}, s{i}, levels = c(0, 1), direction = d{i}, quiet = TRUE)"


def _bind(r: Any, i: int = 1) -> dict[str, Any]:
    return {
        f"y{i}": np.asarray(r.y_true, dtype=np.int64),
        f"s{i}": np.asarray(r.score, dtype=np.float64),
        f"d{i}": str(r.direction),
    }


def _run(code: str, *rocs: Any, **values: Any) -> Any:
    require_r("pROC")
    bound: dict[str, Any] = {}
    for i, r in enumerate(rocs, start=1):
        bound.update(_bind(r, i))
    return run(code, **bound, **values)


def roc_curve(r: Any) -> dict[str, Any]:
    """pROC's curve: ``thresholds``, ``sensitivities``, ``specificities``, ``auc``, ``direction``."""
    out = _run(
        f"r <- {_ROC.format(i=1)}; list(thresholds = r$thresholds, sensitivities = r$sensitivities, "
        "specificities = r$specificities, auc = as.numeric(r$auc), direction = r$direction)",
        r,
    )
    return out


def auc(r: Any) -> float:
    """``as.numeric(pROC::auc(roc))``."""
    return float(_run(f"as.numeric(pROC::auc({_ROC.format(i=1)}))", r))


def var(r: Any) -> float:
    """``pROC::var(roc, method = "delong")``."""
    return float(_run(f"pROC::var({_ROC.format(i=1)}, method = 'delong')", r))


def cov(r1: Any, r2: Any) -> float:
    """``pROC::cov(roc1, roc2, method = "delong")`` (paired curves)."""
    return float(
        _run(f"pROC::cov({_ROC.format(i=1)}, {_ROC.format(i=2)}, method = 'delong')", r1, r2)
    )


def placements(r: Any) -> dict[str, Any]:
    """``pROC:::delongPlacements(roc)``: ``theta``, ``X`` (cases), ``Y`` (controls)."""
    out = _run(f"pROC:::delongPlacements({_ROC.format(i=1)})", r)
    return {k: (np.atleast_1d(v) if k != "theta" else float(v)) for k, v in out.items()}


def ci_auc(
    r: Any, conf_level: float = 0.95, method: str = "delong", B: int = 2000, seed: int = 1
) -> dict[str, float]:
    """``pROC::ci.auc``: ``low``, ``auc`` (middle value), ``high``; bootstrap after ``set.seed(seed)``."""
    ci = _run(
        f"set.seed(seed); as.numeric(pROC::ci.auc({_ROC.format(i=1)}, conf.level = cl, method = m, "
        "boot.n = bn, boot.stratified = TRUE, progress = 'none'))",
        r,
        cl=float(conf_level),
        m=method,
        bn=int(B),
        seed=int(seed),
    )
    return {"low": float(ci[0]), "auc": float(ci[1]), "high": float(ci[2])}


def roc_test(
    r1: Any,
    r2: Any,
    method: str = "delong",
    paired: bool | None = None,
    alternative: str = "two.sided",
    conf_level: float = 0.95,
    B: int = 2000,
    seed: int = 1,
) -> dict[str, Any]:
    """``pROC::roc.test``: ``statistic``, ``p_value``, ``df`` (or nan), ``conf_int`` (or None), ``estimate``, ``method``."""
    paired_r = "NULL" if paired is None else ("TRUE" if paired else "FALSE")
    out = _run(
        f"set.seed(seed); t <- pROC::roc.test({_ROC.format(i=1)}, {_ROC.format(i=2)}, method = m, "
        f"paired = {paired_r}, alternative = alt, conf.level = cl, boot.n = bn, progress = 'none'); "
        "list(statistic = unname(t$statistic), p_value = t$p.value, "
        "df = if (is.null(t$parameter)) NA_real_ else unname(t$parameter[1]), "
        "conf_int = if (is.null(t$conf.int)) NULL else as.numeric(t$conf.int), "
        "estimate = unname(t$estimate), method = t$method)",
        r1,
        r2,
        m=method,
        alt=alternative,
        cl=float(conf_level),
        bn=int(B),
        seed=int(seed),
    )
    if out.get("conf_int") is not None:
        out["conf_int"] = np.atleast_1d(out["conf_int"])
    out["estimate"] = np.atleast_1d(out["estimate"])
    return out


_RET = (
    "c('threshold', 'sensitivity', 'specificity', 'accuracy', 'ppv', 'npv', 'tp', 'fp', 'tn', 'fn')"
)


def coords_best(r: Any, best_method: str = "youden") -> pd.DataFrame:
    """``pROC::coords(roc, "best", best.method = ...)``: every tied row, with accuracy, ppv, npv and counts."""
    return _run(
        f"as.data.frame(pROC::coords({_ROC.format(i=1)}, 'best', best.method = bm, ret = {_RET}, transpose = FALSE))",
        r,
        bm=best_method,
    )


def coords_at(r: Any, threshold: float) -> pd.DataFrame:
    """``pROC::coords(roc, x = threshold, input = "threshold")`` with accuracy, ppv, npv and counts."""
    return _run(
        f"as.data.frame(pROC::coords({_ROC.format(i=1)}, x = thr, input = 'threshold', ret = {_RET}, transpose = FALSE))",
        r,
        thr=float(threshold),
    )


def delong_summary(r1: Any, r2: Any, conf_level: float = 0.95) -> dict[str, Any]:
    """Everything DeLong for two paired curves in one R call (for fast randomized tests).

    Keys: auc1, auc2, var1, var2, cov, ci1, ci2 (low, mid, high), z, p (two-sided), conf_int,
    p_greater, p_less.
    """
    code = f"""
    r1 <- {_ROC.format(i=1)}; r2 <- {_ROC.format(i=2)}
    t <- pROC::roc.test(r1, r2, method = 'delong', conf.level = cl)
    list(auc1 = as.numeric(r1$auc), auc2 = as.numeric(r2$auc),
         var1 = pROC::var(r1, method = 'delong'), var2 = pROC::var(r2, method = 'delong'),
         cov = pROC::cov(r1, r2, method = 'delong'),
         ci1 = as.numeric(pROC::ci.auc(r1, conf.level = cl, method = 'delong')),
         ci2 = as.numeric(pROC::ci.auc(r2, conf.level = cl, method = 'delong')),
         z = unname(t$statistic), p = t$p.value, conf_int = as.numeric(t$conf.int),
         p_greater = pROC::roc.test(r1, r2, method = 'delong', alternative = 'greater')$p.value,
         p_less = pROC::roc.test(r1, r2, method = 'delong', alternative = 'less')$p.value)
    """
    return _run(code, r1, r2, cl=float(conf_level))
