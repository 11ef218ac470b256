"""R recomputations of the report's headline numbers (rpy2 through :func:`hccstats.rbridge.run`).

Each function takes the same data hccstats used and returns R's value(s); the report's R
cross-check calls them (never with ``--no-r``). Results are memoised on the content of the
data and the call's arguments (a SHA-256 digest), so a repeated check does not rerun R and
different data never share a result. ROC quantities reuse :mod:`hccstats.rbridge.proc`, the
calibration ones :mod:`hccstats.rbridge.rms_validation`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .._names import columns_in, patsy_to_r, r_quote, r_unquote, unquote_name
from . import proc
from ._core import run

__all__ = [
    "content_key",
    "r_frame",
    "r_term",
    "r_formula",
    "r_rhs",
    "kappa2",
    "fleiss",
    "auc_ci",
    "roc_test",
    "glm_or",
    "rms_terms",
    "rms_rhs",
    "firth_or",
    "vif",
    "wilcox_p",
    "chisq_p",
    "fisher_p",
    "coords_best",
    "wilson_ci",
    "val_prob",
    "recalibration",
    "calibration_in_the_large",
    "nested_lrt",
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
_MEMO_SIZE = 512


def _feed(h, value) -> None:
    """Add ``value``'s content (type, shape, bytes; frames with index, columns and dtypes)."""
    if isinstance(value, pd.DataFrame):
        h.update(b"frame" + repr((list(value.columns), [str(t) for t in value.dtypes])).encode())
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, pd.Series):
        h.update(b"series" + repr((value.name, str(value.dtype))).encode())
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        h.update(b"array" + repr((arr.dtype.str, arr.shape)).encode())
        h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    elif isinstance(value, (list, tuple)):
        h.update(f"seq{len(value)}".encode())
        for v in value:
            _feed(h, v)
    elif isinstance(value, dict):
        _feed(h, sorted(value.items(), key=lambda kv: repr(kv[0])))
    else:
        h.update(b"scalar" + repr((type(value).__name__, value)).encode())


def content_key(name: str, *parts) -> str:
    """SHA-256 digest of a call's name and arguments by content (never by ``id``)."""
    h = hashlib.sha256(name.encode())
    for p in parts:
        _feed(h, p)
    return h.hexdigest()


def _memo(key: str, compute):
    if key not in _MEMO:
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


def _roc(y, score, direction: str) -> SimpleNamespace:
    """What :mod:`hccstats.rbridge.proc` needs of a curve: y_true, score, direction."""
    return SimpleNamespace(
        y_true=np.asarray(y, float), score=np.asarray(score, float), direction=direction
    )


def auc_ci(y, score, direction: str = "<") -> tuple[float, float, float]:
    """pROC::roc + ci.auc (DeLong): (auc, low, high)."""
    y, score = np.asarray(y, float), np.asarray(score, float)

    def compute():
        ci = proc.ci_auc(_roc(y, score, direction), method="delong")
        return ci["auc"], ci["low"], ci["high"]

    return _memo(content_key("auc", y, score, direction), compute)


def roc_test(y, s1, s2, d1: str = "<", d2: str = "<") -> float:
    """pROC::roc.test(method = "delong", paired) p value for two scores on the same patients."""
    y, s1, s2 = (np.asarray(v, float) for v in (y, s1, s2))
    return _memo(
        content_key("roc.test", y, s1, s2, d1, d2),
        lambda: float(proc.roc_test(_roc(y, s1, d1), _roc(y, s2, d2))["p_value"]),
    )


def coords_best(y, score, direction: str = "<") -> tuple[float, float, float]:
    """pROC::coords(roc, "best", best.method = "youden"): threshold, sensitivity, specificity (first)."""
    y, score = np.asarray(y, float), np.asarray(score, float)

    def compute():
        row = proc.coords_best(_roc(y, score, direction)).iloc[0]
        return float(row["threshold"]), float(row["sensitivity"]), float(row["specificity"])

    return _memo(content_key("coords", y, score, direction), compute)


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


def _used(data: pd.DataFrame, outcome: str, terms: list[str]) -> pd.DataFrame:
    """The columns a model call reads (its memo key: the content R sees)."""
    return data[_columns(data, [outcome, *terms])]


def _columns(data: pd.DataFrame, terms: list[str]) -> list[str]:
    """The data columns that the terms (column names or patsy term code) refer to."""
    return list(dict.fromkeys(c for t in terms for c in columns_in(t, data.columns)))


def r_formula(data: pd.DataFrame, outcome: str, terms: list[str]) -> str:
    """``outcome ~ term + ...`` as R code: a column name in backticks where R needs them
    (```biopsy result```), patsy term code (``Q('a b')``, ``rcs(x, 4)``) translated."""
    return f"{r_quote(outcome)} ~ {r_rhs(data, terms)}"


def r_rhs(data: pd.DataFrame, terms: list[str]) -> str:
    """The right-hand side ``term + ...`` as R code (see :func:`r_formula`)."""
    return " + ".join(r_quote(t) if t in data.columns else patsy_to_r(t) for t in terms)


def r_term(term: str, columns=()) -> str:
    """A model term or design column as R names its coefficient: patsy's ``mvi[T.present]`` →
    ``mvipresent``, ``Q('biopsy result')[T.yes]`` (or, ``biopsy result`` being one of
    ``columns``, ``biopsy result[T.yes]``) → ```biopsy result`yes``, ``Q('µmol/L')`` →
    ```µmol/L```."""
    level = ""
    if "[T." in term and term.endswith("]"):
        term, level = term[:-1].split("[T.", 1)
    name = unquote_name(term)
    if name == term and name not in columns and "(" in term:  # (Intercept), rcs(x, 4)
        return patsy_to_r(term) + level
    return _r_deparse(name) + level


@functools.cache
def _r_deparse(name: str) -> str:
    """R's name of a variable in its coefficients: backticked unless R reads it as a name
    (for a non-ASCII name that depends on R's locale, so R is asked)."""
    if name.isascii():
        return r_quote(name)
    return str(run("deparse(as.name(v), backtick = TRUE)", v=name))


def glm_or(
    data: pd.DataFrame, outcome: str, terms: list[str], per: dict[str, float] | None = None
) -> pd.DataFrame:
    """stats::glm(binomial) odds ratios with Wald CIs and p: index = R coefficient names.

    ``per`` (term or column -> units): those odds ratios and CIs per ``per`` units, computed in R
    as ``exp(per * coef)`` and ``exp(per * confint.default)`` (e.g. per 0.1 of a 0-1 signature).
    """
    per = {r_term(str(k), data.columns): float(v) for k, v in (per or {}).items()}
    key = content_key("glm", _used(data, outcome, terms), outcome, list(terms), per)
    return _memo(key, lambda: _glm_or(data, outcome, terms, per))


def _glm_or(
    data: pd.DataFrame, outcome: str, terms: list[str], per: dict[str, float]
) -> pd.DataFrame:
    formula = r_formula(data, outcome, terms)
    data = r_frame(data, _columns(data, [outcome, *terms]))
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


_FACTOR = re.compile(r"\b(?:factor|C)\(\s*(`(?:[^`\\]|\\.)+`|[A-Za-z_][\w.]*)\s*\)")


def rms_rhs(rhs: str) -> tuple[str, list[str]]:
    """A hccstats right-hand side in R (rms): ``Q('a b')`` as `a b`, ``**`` as ``^``, ``np.`` left
    out, ``factor(x)``/``C(x)`` as the column made a factor (rms takes no factor() in formulas);
    and those columns."""
    text = patsy_to_r(rhs)
    text = re.sub(r"\bnp\.", "", text).replace("**", "^")
    factors = [r_unquote(m.group(1)) for m in _FACTOR.finditer(text)]
    return _FACTOR.sub(lambda m: m.group(1), text), list(dict.fromkeys(factors))


def rms_terms(
    data: pd.DataFrame,
    response: list[str],
    rhs: str,
    variables: list[str],
    model: str = "lrm",
    predict: dict[str, list] | None = None,
) -> SimpleNamespace:
    """rms::lrm (``response``: [outcome]) or rms::cph (``response``: [time, event]) with the
    model's terms (rcs, pol, log, interactions), its anova() and, for each variable of
    ``predict``, ``Predict(f, variable = values, ref.zero = TRUE, fun = exp)`` under a datadist
    of the model's patients: ``coef`` and ``se`` (Series by rms's coefficient names), ``anova`` (row,
    chisq, df in rms's order) and ``predict`` (variable -> frame of yhat, lower, upper)."""
    predict = {k: list(v) for k, v in (predict or {}).items()}
    key = content_key(
        "rms_terms", _used(data, response[0], [*response[1:], *variables]), response, rhs, model,
        predict,
    )  # fmt: skip
    return _memo(key, lambda: _rms_terms(data, response, rhs, variables, model, predict))


_RMS_FIT = {
    "lrm": "lrm(fm, data = d, tol = 1e-14, eps = 1e-12, maxit = 50)",
    "cph": "cph(fm, data = d, eps = 1e-12, tol = 1e-13, iter.max = 100)",
}
# Predict() per variable (a numeric or a character vector of values), under a datadist of d
_RMS_PREDICT = (
    "pr <- lapply(seq_along(pv), function(i) { v <- pv[[i]]; "
    "vals <- if (is.numeric(d[[v]])) pnum[pvar == v] else pchr[pvar == v]; "
    "args <- list(f); args[[v]] <- vals; "
    "p <- as.data.frame(do.call(Predict, c(args, list(ref.zero = TRUE, fun = exp)))); "
    "data.frame(yhat = p$yhat, lower = p$lower, upper = p$upper) }); "
)


def _rms_terms(data, response, rhs, variables, model, predict) -> SimpleNamespace:
    r_rhs, factors = rms_rhs(rhs)
    frame = r_frame(data, [*response, *variables])
    y = (
        r_quote(response[0])
        if model == "lrm"
        else f"Surv({r_quote(response[0])}, {r_quote(response[1])})"
    )
    pvar = [v for v, vals in predict.items() for _ in vals]
    flat = [x for vals in predict.values() for x in vals]
    numeric = [float(x) if isinstance(x, (int, float, np.number)) else np.nan for x in flat]
    out = run(
        "suppressMessages(library(rms)); for (v in fac) d[[v]] <- factor(d[[v]]); "
        "assign('hcc_dd', datadist(d), envir = globalenv()); options(datadist = 'hcc_dd'); "
        f"fm <- as.formula(paste(y, '~', rhs)); f <- {_RMS_FIT[model]}; a <- anova(f); "
        + (_RMS_PREDICT if predict else "pr <- list(); ")
        + "options(datadist = NULL); rm('hcc_dd', envir = globalenv()); "
        "list(names = names(coef(f)), coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))), "
        "rows = rownames(a), "
        "chisq = unname(a[, 1]), df = unname(a[, 2]), pr = pr)",
        d=frame,
        y=y,
        rhs=r_rhs,
        fac=np.asarray(factors, dtype=object),
        pv=np.asarray(list(predict), dtype=object),
        pvar=np.asarray(pvar, dtype=object),
        pnum=np.asarray(numeric, dtype=float),
        pchr=np.asarray([str(x) for x in flat], dtype=object),
    )
    coef = pd.Series(np.asarray(out["coef"], float), index=list(out["names"]))
    se = pd.Series(np.asarray(out["se"], float), index=coef.index)
    anova = pd.DataFrame(
        {
            "row": list(out["rows"]),
            "chisq": np.asarray(out["chisq"], float),
            "df": np.asarray(out["df"], float),
        }
    )
    pred = dict(zip(predict, list(out["pr"]) if predict else []))
    return SimpleNamespace(coef=coef, se=se, anova=anova, predict=pred)


def published_lp(data: pd.DataFrame, by_term, levels: dict) -> np.ndarray:
    """The linear predictor (x b, no intercept) of a published equation computed in R:
    ``model.matrix`` of its terms (``rms::rcs`` at the given knots, factors with the given
    levels) times the coefficients, term by term. ``by_term``: [(patsy term, coefficients in
    the order of its columns)] as :meth:`hccstats.published._Equation.by_term` gives them."""
    terms = [t for t, _ in by_term]
    rhs, _ = rms_rhs(" + ".join(terms))
    rhs = re.sub(r"\[([^\[\]]*)\]", r"c(\1)", rhs)  # rcs(age, [17, 23, 30]): R's knots
    frame = r_frame(data, _columns(data, terms))
    b = np.concatenate([np.asarray(c, float) for _, c in by_term])
    k = np.concatenate([np.full(len(c), i + 1, dtype=np.int64) for i, (_, c) in enumerate(by_term)])
    lev_var = [v for v, lv in levels.items() for _ in lv]
    lev = [str(x) for lv in levels.values() for x in lv]
    key = content_key("published_lp", frame, rhs, b, k, lev_var, lev)

    def compute():
        out = run(
            "suppressMessages(library(rms)); "
            "for (v in unique(lev_var)) d[[v]] <- factor(as.character(d[[v]]), "
            "levels = lev[lev_var == v]); "
            "X <- model.matrix(terms(as.formula(paste('~', rhs)), keep.order = TRUE), d); "
            "a <- attr(X, 'assign'); lp <- rep(0, nrow(X)); "
            "for (j in unique(k)) { stopifnot(sum(a == j) == sum(k == j)); "
            "lp <- lp + drop(X[, a == j, drop = FALSE] %*% b[k == j]) }; lp",
            d=frame,
            rhs=rhs,
            b=b,
            k=k,
            lev_var=np.asarray(lev_var, dtype=object),
            lev=np.asarray(lev, dtype=object),
        )
        return np.asarray(out, float)

    return _memo(key, compute)


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
    per = {r_term(str(k), data.columns): float(v) for k, v in (per or {}).items()}
    key = content_key("firth", _used(data, outcome, terms), outcome, list(terms), per)

    def compute() -> pd.Series:
        d = r_frame(data, _columns(data, [outcome, *terms]))
        out = run(
            f"f <- glm({r_formula(data, outcome, terms)}, data = d, family = binomial, "
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
    """car::vif of the linear model on the predictors (GVIF for multi-df terms), as SPSS's
    diagnostics: index = ``terms``, as given."""
    return _memo(
        content_key("vif", _used(data, outcome, terms), outcome, list(terms)),
        lambda: _vif(data, outcome, terms),
    )


def _vif(data: pd.DataFrame, outcome: str, terms: list[str]) -> pd.Series:
    formula = r_formula(data, outcome, terms)
    data = r_frame(data, _columns(data, [outcome, *terms]))
    out = run(f"v <- car::vif(lm({formula}, data = d)); if (is.matrix(v)) v[, 1] else v", d=data)
    # car::vif keeps the formula's term order; its names are R's (backticked) term labels
    return pd.Series(np.asarray(out, float), index=list(terms))


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
        content_key("wilson", int(x), int(n)),
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
    from .rms_validation import val_prob_r

    key = content_key("val.prob", np.asarray(y, float), np.asarray(risk, float))
    return _memo(key, lambda: pd.Series(val_prob_r(y, risk)))


def recalibration(y, risk) -> pd.Series:
    """glm(y ~ qlogis(p), binomial): intercept and slope with Wald 95% CIs (confint.default)."""
    key = content_key("recal", np.asarray(y, float), np.asarray(risk, float))

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


def calibration_in_the_large(y, risk) -> pd.Series:
    """glm(y ~ 1, offset = qlogis(p), binomial): the intercept (``citl``) with its Wald 95% CI
    (confint.default: ``citl_low``, ``citl_high``)."""
    key = content_key("citl", np.asarray(y, float), np.asarray(risk, float))

    def compute():
        out = run(
            "f <- glm(y ~ 1, offset = qlogis(p), family = binomial, "
            "control = glm.control(epsilon = 1e-14, maxit = 100));"
            "c(coef(f), confint.default(f))",
            y=np.asarray(y, float),
            p=np.asarray(risk, float),
        )
        return pd.Series(np.asarray(out, float), index=["citl", "citl_low", "citl_high"])

    return _memo(key, compute)


def nested_lrt(
    data: pd.DataFrame, outcome: str, small: list[str], big: list[str], variables: list[str]
) -> pd.Series:
    """anova(glm(small), glm(big), test = "LRT") on the complete cases of ``variables`` (the
    columns the larger model reads; terms in hccstats's formula language, rms loaded for
    rcs() and pol()): ``chisq`` (the deviance difference), ``df`` and ``p_value``."""
    key = content_key("lrt", _used(data, outcome, variables), outcome, list(small), list(big))

    def compute():
        (r_small, fac_small), (r_big, fac_big) = (
            rms_rhs(" + ".join(small)),
            rms_rhs(" + ".join(big)),
        )
        out = run(
            "suppressMessages(library(rms)); for (v in fac) d[[v]] <- factor(d[[v]]); "
            "ctl <- glm.control(epsilon = 1e-14, maxit = 100); "
            "g0 <- glm(as.formula(paste(y, '~', small)), data = d, family = binomial, control = ctl); "
            "g1 <- glm(as.formula(paste(y, '~', big)), data = d, family = binomial, control = ctl); "
            'a <- anova(g0, g1, test = "LRT"); c(a$Deviance[2], a$Df[2], a[2, "Pr(>Chi)"])',
            d=r_frame(data, [outcome, *variables]),
            y=f"`{outcome}`",
            small=r_small,
            big=r_big,
            fac=np.asarray(list(dict.fromkeys(fac_small + fac_big)), dtype=object),
        )
        return pd.Series(np.asarray(out, float), index=["chisq", "df", "p_value"])

    return _memo(key, compute)


def hosmer_lemeshow_p(y, risk, g: int = 10) -> float:
    """The Hosmer–Lemeshow p in base R (grouped as ResourceSelection::hoslem.test)."""
    from .rms_validation import hosmer_lemeshow_r

    return float(hosmer_lemeshow_r(y, risk, g=g)["p_value"])


def le_cessie_p(fit) -> float:
    """rms: residuals(lrm(..., x = TRUE, y = TRUE), type = "gof")["P"] (le Cessie–van Houwelingen)."""
    from .rms_validation import le_cessie_r

    return float(pd.Series(le_cessie_r(fit))["P"])
