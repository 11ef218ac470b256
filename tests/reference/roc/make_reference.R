# Reference outputs of pROC for hccstats's discrimination tests (tests/test_roc*.py, test_delong*.py,
# test_coords*.py). Run from this folder:  Rscript make_reference.R
# Writes proc_reference.json and versions.txt; the tests read pROC's aSAH data (outcome, s100b,
# ndka, wfns) from ../datasets/asah.csv.
# All numbers are written with sprintf("%.17g") (as strings) so that they round-trip exactly.
suppressPackageStartupMessages(library(pROC))
data(aSAH, package = "pROC")
d <- data.frame(outcome = as.character(aSAH$outcome), s100b = aSAH$s100b, ndka = aSAH$ndka,
                wfns = as.numeric(as.character(aSAH$wfns)))

num <- function(x) sprintf("%.17g", as.numeric(x))
curve <- function(r) list(direction = r$direction, auc = num(r$auc), thresholds = num(r$thresholds),
                          sensitivities = num(r$sensitivities), specificities = num(r$specificities))
ret <- c("threshold", "sensitivity", "specificity", "accuracy", "ppv", "npv", "tp", "fp", "tn", "fn")
best <- function(r, m) {
  cc <- coords(r, "best", best.method = m, ret = ret, transpose = FALSE)
  lapply(as.list(cc), num)
}
at <- function(r, x) lapply(as.list(coords(r, x = x, input = "threshold", ret = ret, transpose = FALSE)), num)

out <- list(versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                            pROC = as.character(packageVersion("pROC"))))
rocs <- list()
for (p in c("s100b", "ndka", "wfns")) {
  # direction chosen by pROC ("auto": median of controls vs cases)
  r <- roc(d$outcome, d[[p]], levels = c("Good", "Poor"), quiet = TRUE)
  rocs[[p]] <- r
  pl <- pROC:::delongPlacements(r)
  out[[p]] <- c(curve(r), list(
    var = num(var(r, method = "delong")),
    ci_delong = num(ci.auc(r, method = "delong")),
    ci_delong_90 = num(ci.auc(r, method = "delong", conf.level = 0.9)),
    placements_cases = num(pl$X), placements_controls = num(pl$Y),
    best_youden = best(r, "youden"), best_topleft = best(r, "closest.topleft"),
    at_median = c(list(x = num(median(d[[p]]))), at(r, median(d[[p]])))))
  # the opposite direction, forced
  rf <- roc(d$outcome, d[[p]], levels = c("Good", "Poor"), direction = ifelse(r$direction == "<", ">", "<"), quiet = TRUE)
  out[[paste0(p, "_flipped")]] <- c(curve(rf), list(ci_delong = num(ci.auc(rf, method = "delong"))))
}
test <- function(t) list(statistic = num(t$statistic), p_value = num(t$p.value),
                         df = if (is.null(t$parameter)) NULL else num(t$parameter[1]),
                         conf_int = if (is.null(t$conf.int)) NULL else num(t$conf.int),
                         estimate = num(t$estimate), method = t$method)
for (pair in list(c("s100b", "ndka"), c("s100b", "wfns"), c("wfns", "ndka"))) {
  r1 <- rocs[[pair[1]]]; r2 <- rocs[[pair[2]]]
  key <- paste(pair, collapse = "_vs_")
  out[[paste0("paired_", key)]] <- list(
    cov = num(cov(r1, r2, method = "delong")),
    two_sided = test(roc.test(r1, r2, method = "delong")),
    greater = test(roc.test(r1, r2, method = "delong", alternative = "greater")),
    less = test(roc.test(r1, r2, method = "delong", alternative = "less")),
    level_90 = test(roc.test(r1, r2, method = "delong", conf.level = 0.9)))
}
# unpaired: s100b in the first 60 patients vs ndka in the others
u1 <- roc(d$outcome[1:60], d$s100b[1:60], levels = c("Good", "Poor"), direction = "<", quiet = TRUE)
u2 <- roc(d$outcome[61:113], d$ndka[61:113], levels = c("Good", "Poor"), direction = "<", quiet = TRUE)
out$unpaired_s100b_1_60_vs_ndka_61_113 <- list(
  auc1 = num(u1$auc), auc2 = num(u2$auc),
  two_sided = test(roc.test(u1, u2, method = "delong")),
  greater = test(roc.test(u1, u2, method = "delong", alternative = "greater")))
# bootstrap (R's RNG: hccstats can only agree within Monte-Carlo error)
set.seed(2023)
out$s100b_ci_bootstrap <- list(boot_n = 2000, seed = 2023,
  ci = num(ci.auc(rocs$s100b, method = "bootstrap", boot.n = 2000, progress = "none")))
set.seed(2023)
out$paired_s100b_vs_ndka_bootstrap <- c(list(boot_n = 2000, seed = 2023),
  test(roc.test(rocs$s100b, rocs$ndka, method = "bootstrap", boot.n = 2000, progress = "none")))
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, pretty = TRUE), "proc_reference.json")
writeLines(c(sprintf("R %s", out$versions$R), sprintf("pROC %s", out$versions$pROC),
             sprintf("jsonlite %s", as.character(packageVersion("jsonlite")))), "versions.txt")
