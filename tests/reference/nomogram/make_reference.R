# Reference points tables of rms::nomogram for tests/test_nomogram.py.
# Run from this folder:  Rscript make_reference.R
# Run:  Rscript make_reference.R > make_reference.Rout
# Writes <model>_points.csv (one row per tick, unrounded) and versions.txt; the tests derive
# the same data frames from ../datasets/ (MASS::birthwt, pROC::aSAH as R ships them).
suppressMessages(library(rms))

data(birthwt, package = "MASS")
bw <- birthwt[, c("low", "age", "lwt", "race", "smoke", "ptl", "ht")]
bw$race <- factor(bw$race, levels = 1:3, labels = c("white", "black", "other"))
bw$smoke <- factor(bw$smoke, levels = 0:1, labels = c("no", "yes"))

data(aSAH, package = "pROC")
sah <- aSAH[, c("outcome", "gender", "age", "wfns", "s100b", "ndka")]
sah$wfns <- factor(as.character(sah$wfns), levels = as.character(1:5))   # unordered, as hccstats sends factors
sah$y <- as.integer(sah$outcome == "Poor")

source("../../../hccstats/rbridge/nomogram_table.R")  # hccstats_nomogram_table(nom)

# eps = 1e-10: rms's default eps = 0.025 stops Newton's method ~1e-8 away from the MLE
run_model <- function(name, formula, d, ...) {
  dd <- datadist(d); assign("dd", dd, envir = globalenv()); options(datadist = "dd")
  f <- lrm(formula, data = d, eps = 1e-10, maxit = 50)
  nom <- nomogram(f, fun = plogis, funlabel = "Risk", ...)
  tab <- hccstats_nomogram_table(nom)
  write.csv(tab, paste0(name, "_points.csv"), row.names = FALSE)  # full precision
  info <- attr(nom, "info")
  cat(name, ": sc =", format(info$sc, digits = 17), " Intercept =", format(info$Intercept, digits = 17), "\n")
  print(nom)
}

# continuous (age, lwt), factors (race, smoke), discrete numeric (ptl, ht: <= 10 distinct values)
run_model("birthwt", low ~ age + lwt + race + smoke + ptl + ht, bw)
# factor with 5 levels, continuous s100b, binary gender (female = 2nd level)
run_model("asah", y ~ age + gender + s100b + wfns, sah)
# user-chosen risk ticks (fun.at) and a single predictor (total points = points)
run_model("asah_funat", y ~ ndka + s100b + gender, sah, fun.at = c(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95))
run_model("asah_single", y ~ s100b, sah)

writeLines(c(R.version.string, paste("rms", packageVersion("rms")), paste("MASS", packageVersion("MASS")),
             paste("pROC", packageVersion("pROC")), "command: Rscript make_reference.R"), "versions.txt")
