# rms nomogram object -> one data.frame row per tick (variable, axis, kind, value, x, xbeta, points).
# Used by hccstats/rbridge/nomogram.py and by tests/reference/nomogram/make_reference.R.
hccstats_nomogram_table <- function(nom) {
  rows <- list()
  for (nm in names(nom)) {
    s <- nom[[nm]]
    if (nm == "total.points") {
      rows[[length(rows) + 1]] <- data.frame(variable = "", axis = "Total Points", kind = "total_points",
        value = sapply(s$x, format), x = s$x, xbeta = NA_real_, points = s$x)
    } else if (nm == "lp") {
      rows[[length(rows) + 1]] <- data.frame(variable = "", axis = "Linear Predictor", kind = "linear_predictor",
        value = sapply(s$x.real, format), x = s$x.real, xbeta = NA_real_, points = s$x)
    } else if (!is.null(s$fat)) {
      rows[[length(rows) + 1]] <- data.frame(variable = "", axis = nm, kind = "risk", value = s$fat,
        x = as.numeric(s$x.real), xbeta = NA_real_, points = s$x)
    } else {
      v <- s[[1]]
      rows[[length(rows) + 1]] <- data.frame(variable = attr(s, "info")$predictor, axis = nm, kind = "predictor",
        value = if (is.character(v)) v else gsub(" ", "", sapply(v, format)),
        x = if (is.numeric(v)) as.numeric(v) else NA_real_, xbeta = as.numeric(s$Xbeta),
        points = as.numeric(s$points))
    }
  }
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}
