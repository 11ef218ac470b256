# rms::calibrate on a cph fit (cmethod = "KM", u = 365, m = 50, B = 40) over seeds 1..20,
# on survival::lung (rows with ph.ecog), for tests/test_survival_calibrate.py.
# Run: Rscript tests/reference/survival/calibrate_cph_spread.R  (writes calibrate_cph_spread.csv)
suppressPackageStartupMessages(library(rms))
d <- subset(survival::lung, !is.na(ph.ecog))
f <- cph(Surv(time, status) ~ age + sex + ph.ecog, data = d, x = TRUE, y = TRUE,
         surv = TRUE, time.inc = 365)
out <- do.call(rbind, lapply(1:20, function(s) {
  set.seed(s)
  invisible(capture.output(cal <- suppressWarnings(
    calibrate(f, cmethod = "KM", u = 365, m = 50, B = 40))))
  data.frame(seed = s, group = seq_len(nrow(cal)), mean_predicted = cal[, "mean.predicted"],
             KM = cal[, "KM"], KM_corrected = cal[, "KM.corrected"],
             optimism = cal[, "mean.optimism"])
}))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
con <- file(file.path(here, "calibrate_cph_spread.csv"), "w")
writeLines(sprintf("# R %s.%s, rms %s, survival %s", R.version$major, R.version$minor,
                   packageVersion("rms"), packageVersion("survival")), con)
write.csv(out, con, row.names = FALSE)
close(con)
