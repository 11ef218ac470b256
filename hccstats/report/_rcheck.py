"""R recomputations of the report's headline numbers (rpy2 through :func:`hccstats.rbridge.run`).

Each function takes the same data hccstats used and returns R's value(s). They are called
only by the R cross-check stage (never with ``--no-r``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rbridge import run

__all__ = [
    "r_frame",
    "r_term",
    "kappa2",
    "fleiss",
    "auc_ci",
    "roc_test",
    "glm_or",
    "firth_or",
    "vif",
    "wilcox_p",
    "chisq_p",
    "fisher_p",
    "coords_best",
    "wilson_ci",
    "val_prob",
    "recalibration",
    "hosmer_lemeshow_p",
    "le_cessie_p",
]


def _codes(values) -> np.ndarray:
    """Category labels → integer codes shared by all raters (R sees the same categories)."""
    s = pd.Series(list(values), dtype=object).astype(str)
    return s.to_numpy()


def kappa2(r1, r2) -> float:
    """Unweighted Cohen kappa: R's vcd::Kappa on the square table (the irr::kappa2 value)."""
    return float(
        run(
            "lv <- sort(union(a, b)); tab <- table(factor(a, lv), factor(b, lv));"
            "po <- sum(diag(tab)) / sum(tab); pe <- sum(rowSums(tab) * colSums(tab)) / sum(tab)^2;"
            "if (requireNamespace('vcd', quietly=TRUE)) unname(vcd::Kappa(tab)$Unweighted[1]) else (po - pe) / (1 - pe)",
            a=_codes(r1),
            b=_codes(r2),
        )
    )


def fleiss(ratings: pd.DataFrame) -> float:
    """Fleiss' kappa in R, written out as irr::kappam.fleiss computes it (irr is not installed)."""
    mat = ratings.astype(str).to_numpy()
    return float(
        run(
            "m <- matrix(x, nrow = nr); lv <- sort(unique(as.vector(m)));"
            "cnt <- t(apply(m, 1, function(r) table(factor(r, levels = lv)))); n <- ncol(m); ns <- nrow(m);"
            "pj <- colSums(cnt) / (ns * n); po <- sum((rowSums(cnt^2) - n) / (n * (n - 1))) / ns;"
            "pe <- sum(pj^2); (po - pe) / (1 - pe)",
            x=mat.ravel(order="F"),
            nr=mat.shape[0],
        )
    )


_MEMO: dict = {}


def _memo(key, compute):
    if key not in _MEMO:
        if len(_MEMO) > 512:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


def auc_ci(y, score, direction: str = "<") -> tuple[float, float, float]:
    """pROC::roc + ci.auc (DeLong): (auc, low, high)."""
    key = ("auc", np.asarray(y, float).tobytes(), np.asarray(score, float).tobytes(), direction)
    return _memo(key, lambda: _auc_ci(y, score, direction))


def _auc_ci(y, score, direction: str) -> tuple[float, float, float]:
    out = run(
        "r <- pROC::roc(y, s, levels = c(0, 1), direction = d, quiet = TRUE); as.numeric(pROC::ci.auc(r, method = 'delong'))",
        y=np.asarray(y, float),
        s=np.asarray(score, float),
        d=direction,
    )
    return float(out[1]), float(out[0]), float(out[2])


def roc_test(y, s1, s2, d1: str = "<", d2: str = "<") -> float:
    """pROC::roc.test(method = "delong", paired) p value for two scores on the same patients."""
    return float(
        run(
            "r1 <- pROC::roc(y, a, levels = c(0, 1), direction = d1, quiet = TRUE);"
            "r2 <- pROC::roc(y, b, levels = c(0, 1), direction = d2, quiet = TRUE);"
            "pROC::roc.test(r1, r2, method = 'delong')$p.value",
            y=np.asarray(y, float),
            a=np.asarray(s1, float),
            b=np.asarray(s2, float),
            d1=d1,
            d2=d2,
        )
    )


def coords_best(y, score, direction: str = "<") -> tuple[float, float, float]:
    """pROC::coords(roc, "best", best.method = "youden"): threshold, sensitivity, specificity (first)."""
    key = ("coords", np.asarray(y, float).tobytes(), np.asarray(score, float).tobytes(), direction)
    return _memo(key, lambda: _coords_best(y, score, direction))


def _coords_best(y, score, direction: str) -> tuple[float, float, float]:
    out = run(
        "r <- pROC::roc(y, s, levels = c(0, 1), direction = d, quiet = TRUE);"
        "cc <- pROC::coords(r, 'best', best.method = 'youden', ret = c('threshold', 'sensitivity', 'specificity'),"
        " transpose = FALSE); as.numeric(cc[1, ])",
        y=np.asarray(y, float),
        s=np.asarray(score, float),
        d=direction,
    )
    return float(out[0]), float(out[1]), float(out[2])


def r_frame(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Complete cases of ``columns``; ordered categoricals as plain factors (treatment contrasts, as patsy)."""
    out = data[list(dict.fromkeys(columns))].dropna().copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(
                out[c].astype(object), categories=list(out[c].cat.categories), ordered=False
            )
        elif out[c].dtype == bool:
            out[c] = out[c].astype("int64")
    return out


def r_term(term: str) -> str:
    """patsy's ``mvi[T.present]`` → R's ``mvipresent``."""
    if "[T." in term and term.endswith("]"):
        var, level = term[:-1].split("[T.", 1)
        return var + level
    return term


def glm_or(
    data: pd.DataFrame, outcome: str, terms: list[str], per: dict[str, float] | None = None
) -> pd.DataFrame:
    """stats::glm(binomial) odds ratios with Wald CIs and p: index = R coefficient names.

    ``per`` (R coefficient name -> units): those odds ratios and CIs per ``per`` units, computed in R
    as ``exp(per * coef)`` and ``exp(per * confint.default)`` (e.g. per 0.1 of a 0-1 signature).
    """
    per = {str(k): float(v) for k, v in (per or {}).items()}
    key = ("glm", id(data), len(data), outcome, tuple(terms), tuple(sorted(per.items())))
    return _memo(key, lambda: _glm_or(data, outcome, terms, per))


def _glm_or(
    data: pd.DataFrame, outcome: str, terms: list[str], per: dict[str, float]
) -> pd.DataFrame:
    data = r_frame(data, [outcome, *terms])
    formula = f"{outcome} ~ {' + '.join(terms)}"
    out = run(
        f"f <- glm({formula}, data = d, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100));"
        " s <- summary(f)$coefficients; k <- rep(1, nrow(s)); names(k) <- rownames(s);"
        " if (length(per_names)) k[per_names] <- per_units;"
        "ci <- confint.default(f); data.frame(term = rownames(s), estimate = exp(k * s[, 1]), ci_low = exp(k * ci[, 1]),"
        " ci_high = exp(k * ci[, 2]), p_value = s[, 4], coef = s[, 1], per = k)",
        d=data,
        **_per_args(per),
    )
    return out.set_index("term")


def _per_args(per: dict[str, float]) -> dict[str, np.ndarray]:
    """R's ``per_names`` / ``per_units``: coefficients reported per that many units."""
    return {
        "per_names": np.array(list(per), dtype=object) if per else np.array([], dtype=object),
        "per_units": np.array(list(per.values()), float),
    }


def firth_or(
    data: pd.DataFrame, outcome: str, terms: list[str], per: dict[str, float] | None = None
) -> pd.Series:
    """Firth-penalised odds ratios (``exp(per * coef)``) from brglm2 (``type = "AS_mean"``, equal
    to logistf's estimates): index = R coefficient names."""
    per = {str(k): float(v) for k, v in (per or {}).items()}
    key = ("firth", id(data), len(data), outcome, tuple(terms), tuple(sorted(per.items())))

    def compute() -> pd.Series:
        d = r_frame(data, [outcome, *terms])
        out = run(
            f"f <- glm({outcome} ~ {' + '.join(terms)}, data = d, family = binomial, "
            "method = brglm2::brglmFit, type = 'AS_mean', epsilon = 1e-14, maxit = 500);"
            " b <- coef(f); k <- rep(1, length(b)); names(k) <- names(b);"
            " if (length(per_names)) k[per_names] <- per_units;"
            " data.frame(term = names(b), estimate = exp(k * b))",
            d=d,
            **_per_args(per),
        )
        return out.set_index("term")["estimate"]

    return _memo(key, compute)


def vif(data: pd.DataFrame, outcome: str, terms: list[str]) -> pd.Series:
    """car::vif of the linear model on the predictors (GVIF for multi-df terms), as SPSS's diagnostics."""
    return _memo(
        ("vif", id(data), len(data), outcome, tuple(terms)), lambda: _vif(data, outcome, terms)
    )


def _vif(data: pd.DataFrame, outcome: str, terms: list[str]) -> pd.Series:
    data = r_frame(data, [outcome, *terms])
    formula = f"{outcome} ~ {' + '.join(terms)}"
    out = run(f"v <- car::vif(lm({formula}, data = d)); if (is.matrix(v)) v[, 1] else v", d=data)
    return pd.Series(out) if not isinstance(out, pd.Series) else out


def wilcox_p(x, g) -> float:
    """stats::wilcox.test(x ~ g) p value (normal approximation with continuity correction when ties)."""
    return float(
        run(
            "suppressWarnings(wilcox.test(x ~ g)$p.value)",
            x=np.asarray(x, float),
            g=np.asarray(g).astype(str),
        )
    )


def chisq_p(x, g, correct: bool = False) -> float:
    """stats::chisq.test(table(x, g), correct=) p value (Pearson, no Yates by default as table_one)."""
    return float(
        run(
            "suppressWarnings(chisq.test(table(x, g), correct = cc)$p.value)",
            x=np.asarray(x).astype(str),
            g=np.asarray(g).astype(str),
            cc=bool(correct),
        )
    )


def fisher_p(x, g) -> float:
    """stats::fisher.test(table(x, g)) p value."""
    return float(
        run(
            "fisher.test(table(x, g))$p.value",
            x=np.asarray(x).astype(str),
            g=np.asarray(g).astype(str),
        )
    )


def wilson_ci(x: int, n: int) -> tuple[float, float]:
    """stats::prop.test(x, n, correct = FALSE)$conf.int: the Wilson score 95% CI."""
    return _memo(
        ("wilson", int(x), int(n)),
        lambda: tuple(
            float(v)
            for v in run(
                "suppressWarnings(as.numeric(prop.test(x, n, correct = FALSE)$conf.int))",
                x=int(x),
                n=int(n),
            )
        ),
    )


def val_prob(y, risk) -> pd.Series:
    """rms::val.prob(p, y, pl = FALSE), the named vector (Intercept, Slope, Brier, Emax, S:p, ...)."""
    from ..rbridge.rms_validation import val_prob_r

    key = ("val.prob", np.asarray(y, float).tobytes(), np.asarray(risk, float).tobytes())
    return _memo(key, lambda: pd.Series(val_prob_r(y, risk)))


def recalibration(y, risk) -> pd.Series:
    """glm(y ~ qlogis(p), binomial): intercept and slope with Wald 95% CIs (confint.default)."""
    key = ("recal", np.asarray(y, float).tobytes(), np.asarray(risk, float).tobytes())

    def compute():
        out = run(
            "f <- glm(y ~ qlogis(p), family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100));"
            "ci <- confint.default(f); c(coef(f), ci[, 1], ci[, 2])",
            y=np.asarray(y, float),
            p=np.asarray(risk, float),
        )
        names = ["intercept", "slope", "intercept_low", "slope_low", "intercept_high", "slope_high"]
        return pd.Series(np.asarray(out, float), index=names)

    return _memo(key, compute)


def hosmer_lemeshow_p(y, risk, g: int = 10) -> float:
    """The Hosmer–Lemeshow p in base R (grouped as ResourceSelection::hoslem.test)."""
    from ..rbridge.rms_validation import hosmer_lemeshow_r

    return float(hosmer_lemeshow_r(y, risk, g=g)["p_value"])


def le_cessie_p(fit) -> float:
    """rms: residuals(lrm(..., x = TRUE, y = TRUE), type = "gof")["P"] (le Cessie–van Houwelingen)."""
    from ..rbridge.rms_validation import le_cessie_r

    return float(pd.Series(le_cessie_r(fit))["P"])
