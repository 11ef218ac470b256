"""R's numbers for hccstats's logistic models, recomputed through rpy2 (stats, MASS, rms, car).

For the report's R cross-check and the tests: each function refits in R what hccstats
computed and returns it in hccstats's shapes, so the two can be put side by side.

- :func:`glm_odds_ratios` — ``glm(family = binomial)`` on the fit's design matrix (so any
  patsy formula works); Wald (``confint.default``) or profile (MASS ``confint``) limits.
- :func:`lrm_stats` — ``rms::lrm``'s statistics on the same design.
- :func:`univariate_r` — one ``glm`` per predictor, as :func:`hccstats.univariate`.
- :func:`vif_r` — ``car::vif`` on ``lm`` (or ``glm`` with an outcome).
- :func:`forward_lr_r` — SPSS Forward: LR as a loop of ``add1(test = "Rao")``/``drop1(test = "LRT")``
  (``stats_forward_lr.R`` beside this module).

R's fits run with ``epsilon = 1e-14`` and are restarted twice at their own estimates, since
``summary.glm`` takes its standard errors from the weights of the iteration before the last.

Example
-------
>>> import hccstats as hs
>>> from hccstats.rbridge import stats as rstats
>>> fit = hs.lrm("low ~ age + lwt + race + smoke", birthwt)       # doctest: +SKIP
>>> rstats.glm_odds_ratios(fit, method="profile")                  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._core import require_r, run

__all__ = ["glm_odds_ratios", "lrm_stats", "univariate_r", "vif_r", "forward_lr_r", "GLM_R"]

# a glm at rounding-level convergence, whose summary() SEs use weights at the optimum
GLM_R = """
.hcc_glm <- function(f, d) {
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  g <- glm(f, family = binomial, data = d, control = ctl)
  for (i in 1:2) g <- glm(f, family = binomial, data = d, control = ctl, start = coef(g))
  g
}
"""

_RMS_NAMES = {
    "Obs": "n",
    "Max Deriv": "max_deriv",
    "Model L.R.": "lr_chi2",
    "d.f.": "df",
    "P": "p",
    "C": "C",
    "Dxy": "Dxy",
    "Gamma": "gamma",
    "Tau-a": "tau_a",
    "R2": "R2",
    "Brier": "Brier",
    "g": "g",
    "gr": "gr",
    "gp": "gp",
}


def _design_frame(fit) -> tuple[pd.DataFrame, list[str]]:
    """The fit's design (without intercept) with R-safe names v1..vk, plus the outcome y."""
    names = list(fit.coef.index)
    X = pd.DataFrame(fit.X[:, 1:], columns=[f"v{i}" for i in range(1, len(names))])
    X["y"] = fit.y
    return X, names


def glm_odds_ratios(fit, conf_level: float = 0.95, method: str = "wald") -> pd.DataFrame:
    """R's odds ratios for ``fit`` (a LogisticFit): DataFrame like ``fit.odds_ratios()``.

    ``glm(y ~ ., family = binomial)`` on the fit's design matrix; Wald limits from
    ``confint.default``, profile limits from ``confint`` (MASS); p from ``summary``.
    """
    require_r("stats", "MASS")
    d, names = _design_frame(fit)
    ci = (
        "confint.default(g, level = lev)"
        if method == "wald"
        else "suppressMessages(confint(g, level = lev))"
    )
    out = run(
        GLM_R + f"g <- .hcc_glm(y ~ ., d); ci <- {ci}\n"
        "cbind(coef(g), ci, summary(g)$coefficients[, 4])",
        d=d,
        lev=float(conf_level),
    )
    out = np.asarray(out)[1:]
    return pd.DataFrame(
        {
            "term": names[1:],
            "estimate": np.exp(out[:, 0]),
            "ci_low": np.exp(out[:, 1]),
            "ci_high": np.exp(out[:, 2]),
            "p_value": out[:, 3],
        }
    )


def lrm_stats(fit) -> dict[str, float]:
    """``rms::lrm``'s statistics on the fit's design, under hccstats's names (n, lr_chi2, C, ...).

    rms's C and Dxy come from binned probabilities, so they differ from hccstats's exact
    values in the 4th digit; ``somers2_C`` is ``Hmisc::somers2`` on glm's fitted values.
    """
    require_r("rms", "Hmisc")
    d, _ = _design_frame(fit)
    st = run(
        GLM_R + "s <- as.list(rms::lrm(y ~ ., data = d, tol = 1e-14)$stats)\n"
        "g <- .hcc_glm(y ~ ., d); h <- Hmisc::somers2(fitted(g), d$y)\n"
        "c(s, somers2_C = h[['C']], somers2_Dxy = h[['Dxy']])",
        d=d,
    )
    out: dict[str, float] = {}
    for k, v in st.items():
        out[_RMS_NAMES.get(k, k)] = float(v)
    return out


def _safe(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    names = {c: f"v{i}" for i, c in enumerate(columns)}
    frame = data[list(columns)].rename(columns=names).reset_index(drop=True)
    return frame, names


def univariate_r(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    per: float | str | Mapping[str, Any] | None = None,
    ci_method: str = "wald",
    test: str = "wald",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """One R ``glm`` per predictor: predictor, term (R's name), estimate, ci_low, ci_high, p_value, n.

    Complete cases per model (R's default ``na.omit``); ``per`` as in :func:`hccstats.univariate`.
    """
    require_r("stats", "MASS")
    rows = []
    for pred in predictors:
        frame, names = _safe(data, [outcome, pred])
        frame = frame.dropna()
        x = frame[names[pred]]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        scale = 1.0
        if numeric and per is not None:
            value = per.get(pred, 1.0) if isinstance(per, Mapping) else per
            scale = float(x.std(ddof=1)) if value == "sd" else float(value)
        ci = (
            "confint.default(g, level = lev)"
            if ci_method == "wald"
            else "suppressMessages(confint(g, level = lev))"
        )
        res = run(
            GLM_R + f"g <- .hcc_glm(v0 ~ v1, d); ci <- {ci}\n"
            "p <- if (test == 'lr') rep(anova(g, test = 'Chisq')[['Pr(>Chi)']][2], length(coef(g)) - 1)"
            " else summary(g)$coefficients[-1, 4]\n"
            "list(names = names(coef(g))[-1], m = cbind(coef(g)[-1], ci[-1, , drop = FALSE], p), n = nobs(g))",
            d=frame,
            lev=float(conf_level),
            test=test,
        )
        m = np.atleast_2d(np.asarray(res["m"], dtype=float))
        term_names = np.atleast_1d(res["names"])
        for k, term in enumerate(term_names):
            lo, hi = sorted((m[k, 1] * scale, m[k, 2] * scale))
            rows.append(
                {
                    "predictor": pred,
                    "term": pred + str(term)[2:] if str(term).startswith("v1") else str(term),
                    "estimate": float(np.exp(m[k, 0] * scale)),
                    "ci_low": float(np.exp(lo)),
                    "ci_high": float(np.exp(hi)),
                    "p_value": float(m[k, 3]),
                    "n": int(res["n"]),
                }
            )
    return pd.DataFrame(rows)


def vif_r(
    data: pd.DataFrame, predictors: Sequence[str], *, outcome: str | None = None
) -> pd.DataFrame:
    """``car::vif`` on ``lm`` of the predictors (or the binomial ``glm`` with ``outcome``).

    DataFrame term, vif (GVIF), df, gvif_adj (GVIF^(1/(2 Df))), in the predictors' order.
    """
    require_r("car")
    cols = list(predictors) + ([outcome] if outcome else [])
    frame, names = _safe(data, cols)
    rhs = " + ".join(names[p] for p in predictors)
    if outcome:
        call = f"g <- .hcc_glm({names[outcome]} ~ {rhs}, d)"
    else:
        frame["y_"] = np.arange(len(frame), dtype=float) % 2  # lm's VIF does not depend on y
        call = f"g <- lm(y_ ~ {rhs}, data = d)"
    out = run(
        GLM_R + call + "\nv <- car::vif(g); if (is.null(dim(v))) cbind(v, 1, sqrt(v)) else v",
        d=frame,
    )
    out = np.atleast_2d(np.asarray(out, dtype=float))
    return pd.DataFrame(
        {
            "term": list(predictors),
            "vif": out[:, 0],
            "df": out[:, 1].astype(int),
            "gvif_adj": out[:, 2],
        }
    )


def forward_lr_r(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    entry: float = 0.05,
    removal: float = 0.10,
    entry_test: str = "score",
) -> dict[str, Any]:
    """SPSS Forward: LR in R (``add1``/``drop1`` loop): {"steps": DataFrame, "selected": list}.

    The steps have hccstats's columns (step, action, term, statistic, df, p_value).
    """
    require_r("stats")
    frame, names = _safe(data, [outcome, *candidates])
    back = {v: k for k, v in names.items()}
    src = Path(__file__).with_name("stats_forward_lr.R").read_text()
    res = run(
        src
        + "\nr <- forward_lr_r(d, y, cands, entry = entry, removal = removal, entry_test = et)\n"
        "list(steps = r$steps, selected = as.character(r$selected))",
        d=frame,
        y=names[outcome],
        cands=np.asarray([names[c] for c in candidates], dtype=object),
        entry=float(entry),
        removal=float(removal),
        et="Rao" if entry_test == "score" else "LRT",
    )
    steps = res["steps"].reset_index(drop=True)
    steps["term"] = [back[t] for t in steps["term"]]
    steps["step"] = steps["step"].astype(int)
    steps["df"] = steps["df"].astype(int)
    selected = (
        [back[t] for t in np.atleast_1d(res["selected"]) if t is not None]
        if res["selected"] is not None
        else []
    )
    return {"steps": steps, "selected": selected}
