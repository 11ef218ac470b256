"""The calibration numbers recomputed in R (rms, stats): for the tests and the report's cross-check.

Each function takes Python values, runs the R equivalent through :func:`hccstats.rbridge.run`,
and returns Python values shaped like hccstats's own results.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._core import require_r, run

__all__ = [
    "lowess_r",
    "val_prob_r",
    "le_cessie_r",
    "hosmer_lemeshow_r",
    "dca_r",
    "calibrate_r",
    "validate_r",
    "bootstrap_indices_r",
]

#: the columns of rms::calibrate's table, named as ``hccstats.calibrate``'s table names them
CALIBRATE_COLUMNS = (
    "predicted",
    "apparent",
    "bias_corrected",
    "index_orig",
    "training",
    "test",
    "optimism",
    "index_corrected",
    "n",
)

_FIT = """
suppressMessages(library(rms))
colnames(X) <- paste0("x", seq_len(ncol(X)))
.d <- data.frame(y = y, X)
f <- lrm(as.formula(paste("y ~", paste(colnames(X), collapse = " + "))), data = .d, x = TRUE, y = TRUE)
"""


def _design(fit_or_X, y=None):
    if y is None:
        X, y = np.asarray(fit_or_X.X, float), np.asarray(fit_or_X.y, float)
    else:
        X, y = np.asarray(fit_or_X, float), np.asarray(y, float)
    if np.allclose(X[:, 0], 1.0):
        X = X[:, 1:]
    return np.ascontiguousarray(X), y


def lowess_r(x, y, iter: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """R's ``lowess(x, y, iter = iter)`` as (x, fitted)."""
    m = run(
        "l <- lowess(x, y, iter = it); cbind(l$x, l$y)",
        x=np.asarray(x, float),
        y=np.asarray(y, float),
        it=int(iter),
    )
    return m[:, 0], m[:, 1]


def val_prob_r(y_true, risk) -> pd.Series:
    """``rms::val.prob(p, y, pl = FALSE)`` (the named vector)."""
    require_r("rms")
    return run(
        "suppressMessages(library(rms)); val.prob(p, y, pl = FALSE)",
        p=np.asarray(risk, float),
        y=np.asarray(y_true, float),
    )


def le_cessie_r(fit=None, *, X=None, y_true=None) -> pd.Series:
    """``residuals(lrm(y ~ X, x = TRUE, y = TRUE), type = "gof")``."""
    require_r("rms")
    Xd, y = _design(fit) if fit is not None else _design(X, y_true)
    return run(_FIT + "residuals(f, type = 'gof')", X=Xd, y=y)


def hosmer_lemeshow_r(y_true, risk, g: int = 10) -> dict:
    """``ResourceSelection::hoslem.test(y, p, g)`` (version 0.3-5) written out in base R (the
    package is not in Debian): groups ``cut(p, unique(quantile(p, 0:g/g)), include.lowest =
    TRUE)``, ``sum((O - E)^2 / E)`` over events and non-events, ``g - 2`` degrees of freedom."""
    code = """
    qq <- unique(quantile(p, probs = seq(0, 1, 1/g)))
    cutyhat <- cut(p, breaks = qq, include.lowest = TRUE)
    observed <- xtabs(cbind(y0 = 1 - y, y1 = y) ~ cutyhat)
    expected <- xtabs(cbind(yhat0 = 1 - p, yhat1 = p) ~ cutyhat)
    chisq <- sum((observed - expected)^2 / expected)
    list(statistic = chisq, df = g - 2, p_value = 1 - pchisq(chisq, g - 2))
    """
    return run(code, p=np.asarray(risk, float), y=np.asarray(y_true, float), g=int(g))


def dca_r(y_true, risks: Mapping[str, np.ndarray], thresholds) -> pd.DataFrame:
    """Net benefit (Vickers & Elkin 2006) in base R: columns model, threshold, net_benefit."""
    out = []
    for name, r in {**risks, "Treat all": np.ones(len(np.asarray(y_true)))}.items():
        nb = run(
            "sapply(th, function(t) mean(p >= t & y == 1) - mean(p >= t & y == 0) * t / (1 - t))",
            p=np.asarray(r, float),
            y=np.asarray(y_true, float),
            th=np.asarray(thresholds, float),
        )
        out.append(pd.DataFrame({"model": name, "threshold": thresholds, "net_benefit": nb}))
    return pd.concat(out, ignore_index=True)


def bootstrap_indices_r(n: int, B: int, seed: int) -> np.ndarray:
    """The (B, n) 0-based resamples ``rms``'s ``predab.resample`` draws after ``set.seed(seed)``."""
    m = run("set.seed(s); replicate(B, sample(n, replace = TRUE))", n=int(n), B=int(B), s=int(seed))
    return np.asarray(m, dtype=np.int64).reshape(int(n), int(B)).T - 1


def calibrate_r(fit=None, *, X=None, y_true=None, B: int = 200, seed: int = 1) -> dict:
    """``set.seed(seed); calibrate(lrm(..., x=TRUE, y=TRUE), B=B)``: the table (hccstats's
    column names), mean absolute error, mean squared error, 0.9 quantile, failed fits."""
    require_r("rms")
    Xd, y = _design(fit) if fit is not None else _design(X, y_true)
    code = (
        _FIT
        + """
    set.seed(s)
    msgs <- capture.output(cal <- calibrate(f, B = B))
    pr <- attr(cal, "predicted")
    ok <- !is.na(cal[, "predy"] + cal[, "calibrated.corrected"])
    err <- pr - approx(cal[ok, "predy"], cal[ok, "calibrated.corrected"], xout = pr, ties = mean)$y
    list(table = unclass(cal)[, 1:9], mae = mean(abs(err), na.rm = TRUE), mse = mean(err^2, na.rm = TRUE),
         q90 = unname(quantile(abs(err), 0.9, na.rm = TRUE)), messages = paste(msgs, collapse = "\\n"))
    """
    )
    r = run(code, X=Xd, y=y, B=int(B), s=int(seed))
    r["table"] = pd.DataFrame(r["table"], columns=list(CALIBRATE_COLUMNS))
    return r


def validate_r(fit=None, *, X=None, y_true=None, B: int = 200, seed: int = 1) -> pd.DataFrame:
    """``set.seed(seed); validate(lrm(..., x=TRUE, y=TRUE), B=B)`` with hccstats's column names."""
    require_r("rms")
    Xd, y = _design(fit) if fit is not None else _design(X, y_true)
    code = (
        _FIT + "set.seed(s); invisible(capture.output(v <- validate(f, B = B))); unclass(v)[, 1:6]"
    )
    m = run(code, X=Xd, y=y, B=int(B), s=int(seed))
    return pd.DataFrame(
        m,
        index=["Dxy", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp"],
        columns=["index_orig", "training", "test", "optimism", "index_corrected", "n"],
    )
