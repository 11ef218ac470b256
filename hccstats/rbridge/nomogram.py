"""rms's nomogram through rpy2: fit ``rms::lrm`` with a ``datadist``, draw ``plot(nomogram(...))``.

The R side of :func:`hccstats.nomogram` (``engine="r"``) and the oracle of its tests. Data and an
R formula go in; rms's points table (the numbers ``print(nomogram)`` shows, unrounded) and the
figure files (PNG at 300 dpi, PDF, SVG) come out. R warnings become :class:`RWarning`; anything
R prints to the console while fitting or drawing is re-issued as an :class:`RWarning` too, so it is
not lost.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._names import r_quote, r_rename
from ..figure_size import MIN_FONT_PT
from ._core import RWarning, require_r, run

__all__ = ["rms_nomogram", "NOMOGRAM_R", "R_POINTSIZE", "AXIS_CEX"]

#: ``cex.axis`` of ``plot(nomogram)``: tick labels at this fraction of the device's pointsize,
#: the smallest text of the drawing.
AXIS_CEX = 0.75
#: The device's pointsize at every width: tick labels at 7.5 pt, axis titles (``cex.var``
#: 0.85) at 8.5 pt as printed, the figure being drawn at its printed width (no scaling).
R_POINTSIZE = 10.0

#: R function turning an rms nomogram into a table (shared with tests/reference/nomogram/make_reference.R).
TABLE_R = Path(__file__).with_name("nomogram_table.R")

#: The R code run by :func:`rms_nomogram`.
NOMOGRAM_R = r"""
suppressMessages(library(rms))
d <- as.data.frame(data)
for (nm in names(d)) {
  if (is.character(d[[nm]])) d[[nm]] <- factor(d[[nm]])
  if (is.ordered(d[[nm]])) d[[nm]] <- factor(d[[nm]], levels = levels(d[[nm]]), ordered = FALSE)
}
if (!is.null(levels_json)) for (nm in names(levels_json)) d[[nm]] <- factor(as.character(d[[nm]]), levels = levels_json[[nm]])
if (length(labels)) for (nm in names(labels)) Hmisc::label(d[[nm]]) <- labels[[nm]]
assign(".hccstats_dd", datadist(d), envir = globalenv())
old_opt <- options(datadist = ".hccstats_dd")
on.exit_fun <- function() { options(old_opt); if (exists(".hccstats_dd", envir = globalenv())) rm(".hccstats_dd", envir = globalenv()) }
console <- character(0)
res <- tryCatch({
  if (is.null(times)) {
    console <- c(console, capture.output(f <- lrm(as.formula(formula), data = d, eps = 1e-10, maxit = 50)))
    if (isTRUE(f$fail)) stop("rms::lrm could not fit the model")
    funs <- list(plogis)
  } else {  # a Cox model: survival by the horizon (and the risk of the event by then)
    console <- c(console, capture.output(f <- cph(as.formula(formula), data = d, x = TRUE, y = TRUE,
      surv = TRUE, method = ties, eps = 1e-10, tol = 1e-13, iter.max = 50)))
    if (isTRUE(f$fail)) stop("rms::cph could not fit the model")
    surv <- Survival(f)
    funs <- list(function(lp) surv(times, lp), function(lp) 1 - surv(times, lp))[seq_along(fun_label)]
  }
  args <- list(f, fun = funs, funlabel = fun_label, maxscale = maxscale, nint = nint)
  if (!is.null(lp_at)) args$lp.at <- lp_at
  if (length(fun_at)) {  # ticks per function axis; NULL: rms's default
    lpa <- if (is.null(lp_at)) pretty(range(f$linear.predictors), n = nint) else lp_at
    args$fun.at <- lapply(seq_along(funs), function(i)
      if (i > length(fun_at) || is.null(fun_at[[i]])) pretty(funs[[i]](range(lpa)), n = nint) else fun_at[[i]])
  }
  console <- c(console, capture.output(nom <- do.call(nomogram, args)))
  shown <- nom  # tick labels of scored ordinal variables: their levels (the numbers stay in print and the table)
  # (elements are named by the variables' labels; their first component by the variable)
  if (length(value_keys)) for (i in seq_along(shown)) {
    nm <- if (is.list(shown[[i]])) names(shown[[i]])[1] else NULL
    if (is.null(nm) || !(nm %in% names(value_keys))) next
    x <- shown[[i]][[1]]; m <- match(signif(x, 12), signif(as.numeric(value_keys[[nm]]), 12))
    shown[[i]][[1]] <- ifelse(is.na(m), gsub(" ", "", format(x)), value_texts[[nm]][m])
  }
  draw <- function() { par(mar = c(0.6, 0.6, 0.6, 0.6)); plot(shown, xfrac = xfrac, cex.axis = axis_cex, cex.var = 0.85, lmgp = 0.25, tcl = -0.3) }
  for (k in seq_along(files)) {
    fmt <- names(files)[k]; path <- files[[k]]
    if (fmt == "png") png(path, width = width, height = height, units = "in", res = dpi, type = "cairo", pointsize = pointsize)
    else if (fmt == "pdf") pdf(path, width = width, height = height, useDingbats = FALSE, pointsize = pointsize)
    else if (fmt == "svg") svg(path, width = width, height = height, pointsize = pointsize)
    tryCatch(console <- c(console, capture.output(draw())), finally = dev.off())
  }
  # where the risk labels land on the report's device (cairo PNG): centres and widths in inches
  png(tempfile(fileext = ".png"), width = width, height = height, units = "in", res = 72, type = "cairo", pointsize = pointsize)
  info0 <- attr(nom, "info")
  geometry <- tryCatch({
    console <- c(console, capture.output(draw()))
    fa <- shown[[fun_label[1]]]
    # plot.nomogram draws the bottom axes on usr = its xlim (-xfrac * maxscale, maxscale), widened
    # 4% each side (xaxs "r"), times max(total points) / maxscale; it resets usr on exit
    ms <- info0$maxscale; new_max <- max(nom$total.points$x)
    xl <- -xfrac * ms; r4 <- 0.04 * (ms - xl)
    u <- c(xl - r4, ms + r4) * new_max / ms
    ipp <- par("pin")[1] / diff(u)
    list(inch_per_point = ipp, centre = par("mai")[2] + (fa$x - u[1]) * ipp,
         width = strwidth(as.character(fa$fat), units = "inches", cex = axis_cex), label = as.character(fa$fat))
  }, finally = dev.off())
  printed <- capture.output(print(nom))
  info <- attr(nom, "info")
  table <- hccstats_nomogram_table(nom)
  list(table = table, sc = info$sc, intercept = as.numeric(info$Intercept), lp_at = info$lp.at,
       coef = coef(f), console = console, printed = paste(printed, collapse = "\n"),
       risk_geometry = geometry)
}, finally = on.exit_fun())
res
"""


def _json_levels(data: pd.DataFrame) -> dict[str, list[str]] | None:
    out = {}
    for col in data.columns:
        s = data[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = [str(c) for c in s.cat.categories]
    return out or None


def _to_r_data(data: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as strings (levels sent apart), booleans as 0/1: plain types rpy2 converts safely."""
    d = pd.DataFrame(index=range(len(data)))
    for col in data.columns:
        s = data[col].reset_index(drop=True)
        if isinstance(s.dtype, pd.CategoricalDtype):
            d[col] = s.astype(str).astype(object)
        elif s.dtype == bool:
            d[col] = s.astype(int)
        elif s.dtype.kind in "iuf":
            d[col] = s.astype(float)
        else:
            d[col] = s.astype(str).astype(object)
    return d


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")


def fixed_pdf_dates(path: str | os.PathLike) -> None:
    """Replace the creation and modification times R's pdf() writes by a fixed one.

    The time is ``SOURCE_DATE_EPOCH`` (reproducible-builds convention) or 2000-01-01, UTC,
    written with the same number of bytes so the PDF's cross-reference offsets hold: the
    same drawing gives the same file, byte for byte.
    """
    import time

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch)).encode("ascii")
    p = Path(path)
    data = p.read_bytes()
    new = _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + stamp, data)
    if new != data:
        p.write_bytes(new)


def rms_nomogram(
    formula: str,
    data: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    fun_label: str | Sequence[str] = "Risk",
    fun_at: Sequence[float] | Sequence[Sequence[float] | None] | None = None,
    lp_at: Sequence[float] | None = None,
    maxscale: float = 100,
    nint: int = 10,
    files: Mapping[str, str | os.PathLike] | None = None,
    width: float = 7.0,
    height: float | None = None,
    dpi: int = 300,
    xfrac: float = 0.3,
    pointsize: float = R_POINTSIZE,
    value_labels: Mapping[str, Mapping[float, str]] | None = None,
    times: float | None = None,
    ties: str = "efron",
) -> dict:
    """Fit ``rms::lrm(formula, data)`` (``rms::cph`` with ``times``) and compute (and optionally
    draw) ``rms::nomogram``.

    R equivalent::

        dd <- datadist(data); options(datadist = "dd")
        f <- lrm(formula, data = data, eps = 1e-10, maxit = 50)
        nom <- nomogram(f, fun = plogis, funlabel = fun_label)
        plot(nom); print(nom)

    A Cox model (``formula`` ``"Surv(time, status) ~ ..."``, ``times`` the horizon)::

        f <- cph(formula, data = data, x = TRUE, y = TRUE, surv = TRUE, eps = 1e-10,
                 tol = 1e-13, iter.max = 50)
        surv <- Survival(f)
        nom <- nomogram(f, fun = list(function(lp) surv(times, lp),
                                      function(lp) 1 - surv(times, lp)),  # with 2 labels
                        funlabel = fun_label)

    Parameters
    ----------
    formula : str
        An R formula (``"low ~ age + race"``, ``rcs(age, 4)`` and ``a * b`` allowed).
    data : DataFrame
        Pandas categoricals become R factors with the same level order (first = reference).
    labels : mapping, optional
        Variable labels (``Hmisc::label``), shown on the axes instead of the names.
    files : mapping of format -> path, optional
        ``{"png": ..., "pdf": ..., "svg": ...}``: where to draw ``plot(nomogram)`` (PNG at ``dpi``).
    width, height, pointsize, xfrac : figure size (inches; the printed size: draw at a column
        width, ``hccstats.plots.figure_width``), base font size (tick labels at ``AXIS_CEX`` ×
        ``pointsize``, at least 7 pt), and rms's ``xfrac`` (room for the axis titles, as a
        fraction of the points scale).
    value_labels : mapping, optional
        ``{variable: {value: label}}``: tick labels drawn for a numeric predictor's values (an
        ordinal variable entered as scores shows its levels); the returned table keeps the numbers.
    fun_label, times : str or two str, float
        The function axes' titles; without ``times`` one (the risk, ``plogis``), with it (a Cox
        model's horizon) the survival by ``times`` and, given a second title, the risk of the
        event by then. ``fun_at``: the first axis's ticks, or a list of each axis's (None:
        rms's default). ``ties``: the Cox model's ``method`` ("efron" or "breslow").

    Notes
    -----
    ``lrm`` is run with ``eps = 1e-10, maxit = 50``: rms's default ``eps = 0.025`` (change in
    −2 log L) stops Newton's method while the coefficients still differ from the maximum
    likelihood estimates (and from ``glm``'s) in the 7th–8th significant digit, which moves the
    points by up to 1e-5. ``cph`` likewise (its default ``eps = 1e-4`` leaves the coefficients
    1e-4 from ``coxph``'s on survival::lung).

    Returns
    -------
    dict
        ``table`` (DataFrame: variable, axis, kind, value, x, xbeta, points — one row per tick),
        ``risk_geometry`` (the risk axis drawn on a cairo device of the figure's size:
        ``inch_per_point`` of the total-points scale, each label's ``centre`` and ``width`` in
        inches, ``label``), ``sc`` (points per unit of linear predictor), ``intercept`` (linear predictor at 0 total
        points), ``lp_at``, ``coef`` (Series), ``printed`` (R's ``print(nomogram)``), ``console``.
    """
    files = _checked_files(data, files, pointsize)
    if height is None:
        height = _default_height(formula, fun_label)
    # rms (6.5) cannot fit a factor whose name R reads only in backticks (its model-matrix
    # columns are looked up without them): such columns go to R under plain names, labelled
    # with their own names unless a label is given, and come back under their own names
    safe = _plain_names(data.columns)
    back = {v: k for k, v in safe.items()}
    labels = {**{k: k for k in safe}, **dict(labels or {})}
    out = run(
        TABLE_R.read_text() + NOMOGRAM_R,
        data=_to_r_data(data.rename(columns=safe)),
        levels_json=_r_list(_json_levels(data.rename(columns=safe))),
        labels=_r_list({safe.get(k, k): v for k, v in labels.items()}),
        formula=r_rename(formula, safe),
        fun_label=[fun_label] if isinstance(fun_label, str) else [str(t) for t in fun_label],
        times=_r_null() if times is None else float(times),
        ties=str(ties),
        fun_at=_r_ticks(fun_at),
        lp_at=_r_null() if lp_at is None else np.asarray(lp_at, float),
        maxscale=float(maxscale),
        nint=int(nint),
        files=_r_list(files),
        width=float(width),
        height=float(height),
        dpi=int(dpi),
        xfrac=float(xfrac),
        pointsize=float(pointsize),
        axis_cex=AXIS_CEX,
        **_r_value_labels(value_labels, safe),
    )
    if "pdf" in files:
        fixed_pdf_dates(files["pdf"])
    console = out.get("console")
    console = [] if console is None else [str(c) for c in np.atleast_1d(console)]
    if any(line.strip() for line in console):
        warnings.warn("R console output: " + "\n".join(console), RWarning, stacklevel=2)
    return _result(out, back, console)


def _checked_files(data, files, pointsize) -> dict[str, str]:
    """Check the arguments (and that R has rms); the drawing files as {format: path}."""
    if not (isinstance(pointsize, (int, float)) and pointsize * AXIS_CEX >= MIN_FONT_PT):
        raise InputError(
            f"pointsize: at least {MIN_FONT_PT / AXIS_CEX:.2f} (tick labels at {AXIS_CEX} x "
            f"pointsize must be {MIN_FONT_PT:g} pt or more), got {pointsize!r}"
        )
    require_r("rms")
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    files = {str(k): str(Path(v)) for k, v in (files or {}).items()}
    for fmt in files:
        if fmt not in {"png", "pdf", "svg"}:
            raise InputError(f"files: unsupported format {fmt!r} (use png, pdf or svg)")
    return files


def _default_height(formula: str, fun_label) -> float:
    """Figure height (in) for the axes the formula and function titles make."""
    extra = 0 if isinstance(fun_label, str) else len(fun_label) - 1  # a second function axis
    n_axes = 4 + extra + max(1, formula.split("~")[-1].count("+") + 1 + formula.count("*") * 2)
    return 0.42 * n_axes + 0.2


def _r_value_labels(value_labels, safe: dict[str, str]) -> dict:
    """``value_keys`` and ``value_texts``: the tick labels of numeric values, as R lists."""
    value_labels = value_labels or {}
    return dict(
        value_keys=_r_list(
            {safe.get(k, k): [repr(float(x)) for x in m] for k, m in value_labels.items()}
        ),
        value_texts=_r_list(
            {safe.get(k, k): [str(t) for t in m.values()] for k, m in value_labels.items()}
        ),
    )


def _result(out, back: dict[str, str], console: list[str]) -> dict:
    """The returned dict, from R's results, with columns back under their own names."""
    table = out["table"].reset_index(drop=True)
    table["variable"] = [back.get(v, v) for v in table["variable"].astype(str)]
    geom = out["risk_geometry"]
    return {
        "table": table,
        "risk_geometry": {
            "inch_per_point": float(np.atleast_1d(np.asarray(geom["inch_per_point"], float))[0]),
            "centre": np.atleast_1d(np.asarray(geom["centre"], float)),
            "width": np.atleast_1d(np.asarray(geom["width"], float)),
            "label": [str(v) for v in np.atleast_1d(geom["label"])],
        },
        "sc": float(out["sc"]),
        "intercept": float(out["intercept"]),
        "lp_at": np.atleast_1d(np.asarray(out["lp_at"], float)),
        "coef": out["coef"].rename(lambda c: r_rename(c, back) if back else c),
        "printed": str(out["printed"]),
        "console": console,
    }


def _r_ticks(fun_at):
    """``fun_at`` as an R list, one entry per function axis (NULL: rms's default): a sequence
    of numbers is the first axis's ticks; a list of sequences (or None) gives each axis's."""
    from rpy2 import robjects as ro

    if fun_at is None:
        return _r_null()
    items = list(fun_at)
    if not items or not all(v is None or np.ndim(v) == 1 for v in items):
        items = [fun_at]
    return ro.r["list"](
        *[_r_null() if v is None else ro.FloatVector(np.asarray(v, float)) for v in items]
    )


def _plain_names(columns) -> dict[str, str]:
    """{column: plain R name} for the columns R reads only in backticks (``biopsy result``)."""
    taken = {str(c) for c in columns}
    out: dict[str, str] = {}
    for c in columns:
        if r_quote(c) != c:
            k = len(out) + 1
            while f"hcc_v{k}" in taken:
                k += 1
            out[c] = f"hcc_v{k}"
            taken.add(out[c])
    return out


def _r_null():
    from rpy2.rinterface import NULL

    return NULL


def _r_list(mapping: Mapping | None):
    """A Python dict as an R named list (None -> R NULL)."""
    from rpy2 import robjects as ro
    from rpy2.rinterface import NULL

    if not mapping:
        return NULL
    values = {}
    for k, v in mapping.items():
        values[k] = (
            ro.StrVector([str(x) for x in v])
            if isinstance(v, (list, tuple))
            else ro.StrVector([str(v)])
        )
    return ro.ListVector(values)
