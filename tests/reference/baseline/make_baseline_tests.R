# p-values of the baseline-table tests, as R computes them, for two datasets that ship
# with R: MASS::birthwt by `smoke`, and datasets::infert by `case`.
# Rule (the reference study's): continuous -> wilcox.test (R defaults); categorical ->
# chisq.test(correct = FALSE), or fisher.test when any expected count is below 5.
# Writes baseline_tests.csv; the Python test reads both datasets from ../datasets/ and derives
# bw and inf below from them.
suppressPackageStartupMessages(library(MASS))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
bw <- birthwt
bw$race <- factor(bw$race, labels = c("white", "black", "other"))
bw$ftv <- factor(pmin(bw$ftv, 2), labels = c("0", "1", "2+"))
inf <- infert
inf$education <- as.character(inf$education)
sets <- list(
  birthwt = list(data = bw, group = "smoke", cont = c("age", "lwt", "bwt"), cat = c("race", "ht", "ui", "ftv", "low", "ptl")),
  infert = list(data = inf, group = "case", cont = c("age", "parity", "pooled.stratum"),
                cat = c("education", "induced", "spontaneous")))
out <- list()
for (nm in names(sets)) {
  s <- sets[[nm]]; d <- s$data; g <- d[[s$group]]
  for (v in s$cont) {
    lv <- sort(unique(g))
    t <- suppressWarnings(wilcox.test(d[[v]][g == lv[1]], d[[v]][g == lv[2]]))
    out[[length(out) + 1]] <- data.frame(dataset = nm, variable = v, test = t$method,
                                         statistic = unname(t$statistic), p_value = t$p.value)
  }
  for (v in s$cat) {
    tab <- table(g, d[[v]])
    e <- suppressWarnings(chisq.test(tab, correct = FALSE)$expected)
    t <- if (any(e < 5)) fisher.test(tab) else chisq.test(tab, correct = FALSE)
    st <- if (is.null(t$statistic)) NA else unname(t$statistic)
    out[[length(out) + 1]] <- data.frame(dataset = nm, variable = v, test = t$method, statistic = st, p_value = t$p.value)
  }
}
res <- do.call(rbind, out)
res$R_version <- paste(R.version$major, R.version$minor, sep = ".")
write.csv(res, file.path(here, "baseline_tests.csv"), row.names = FALSE)
print(res, digits = 15)
writeLines(c(R.version.string, paste("MASS", packageVersion("MASS")),
             "command: Rscript tests/reference/baseline/make_baseline_tests.R"), file.path(here, "versions.txt"))
