# Stored rms outputs for tests/test_terms.py: coefficients, anova() Wald statistics and
# predictions of lrm and cph models with spline, polynomial, log, factor and interaction terms.
# Run from the repository root: Rscript tests/reference/terms/make_reference.R > tests/reference/terms/make_reference.Rout
suppressPackageStartupMessages(library(rms))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
out <- function(x, name) {
  op <- options(digits = 17)
  on.exit(options(op))
  con <- file(file.path(here, name), "w")
  writeLines(sprintf("# R %s.%s, rms %s, survival %s", R.version$major, R.version$minor,
                     packageVersion("rms"), packageVersion("survival")), con)
  write.csv(x, con, row.names = FALSE)
  close(con)
}
anova_frame <- function(a) {
  data.frame(row = rownames(a), chisq = unname(a[, "Chi-Square"]), df = unname(a[, "d.f."]),
             p = unname(a[, "P"]))
}
newdata_bw <- data.frame(age = c(16, 20, 25, 31, 40), smoke = c(0, 1, 0, 1, 1),
                         lwt = c(100, 120, 140, 170, 250), race = factor(c(1, 2, 3, 1, 2)),
                         ptl = c(0, 1, 0, 2, 3))

# logistic: MASS::birthwt as stored in tests/reference/datasets/birthwt.csv
# (rms takes no factor() inside a formula: race is made a factor in the data; hccstats's formula
# says factor(race))
bw <- read.csv(file.path(here, "..", "datasets", "birthwt.csv"))
bw$race <- factor(bw$race)
f <- lrm(low ~ rcs(age, 4) * smoke + log(lwt) + race + pol(ptl, 2), data = bw,
         tol = 1e-14, eps = 1e-12, maxit = 50)
print(f)
print(anova(f))
out(data.frame(term = names(coef(f)), coef = unname(coef(f)), se = sqrt(diag(vcov(f)))),
    "lrm_birthwt_coef.csv")
out(anova_frame(anova(f)), "lrm_birthwt_anova.csv")
out(data.frame(newdata_bw, lp = unname(predict(f, newdata_bw))), "lrm_birthwt_predict.csv")
g <- lrm(low ~ age * log(lwt) + sqrt(ptl) + smoke, data = bw, tol = 1e-14, eps = 1e-12)
print(anova(g))
out(data.frame(term = names(coef(g)), coef = unname(coef(g))), "lrm_birthwt2_coef.csv")
out(anova_frame(anova(g)), "lrm_birthwt2_anova.csv")

# Cox: survival::lung, complete cases of the variables used
lung <- survival::lung
lu <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]),
           c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]
out(lu, "lung_complete.csv")
h <- cph(Surv(time, status) ~ rcs(age, 4) * sex + log(wt.loss + 25) + pol(ph.ecog, 2), data = lu,
         eps = 1e-12, tol = 1e-13, iter.max = 100)
print(h)
print(anova(h))
out(data.frame(term = names(coef(h)), coef = unname(coef(h)), se = sqrt(diag(vcov(h)))),
    "cph_lung_coef.csv")
out(anova_frame(anova(h)), "cph_lung_anova.csv")
newdata_lu <- data.frame(age = c(45, 55, 63, 70, 80), sex = c(1, 2, 1, 2, 1),
                         wt.loss = c(-10, 0, 5, 20, 40), ph.ecog = c(0, 1, 2, 1, 3))
# rms centres the linear predictor at the means of the design columns, as coxph does
out(data.frame(newdata_lu, lp = unname(predict(h, newdata_lu))), "cph_lung_predict.csv")
# partial effects: Predict(ref.zero = TRUE, fun = exp) with datadist's adjust-to values
dd <- datadist(bw); options(datadist = "dd")
f <- lrm(low ~ rcs(age, 4) * smoke + log(lwt) + race + pol(ptl, 2), data = bw,
         tol = 1e-14, eps = 1e-12, maxit = 50)
p_age <- as.data.frame(Predict(f, age, ref.zero = TRUE, fun = exp))
out(p_age[, c("age", "yhat", "lower", "upper")], "lrm_birthwt_predict_age.csv")
p_lwt <- as.data.frame(Predict(f, lwt = c(90, 110, 130, 170, 220), ref.zero = TRUE, fun = exp))
out(p_lwt[, c("lwt", "yhat", "lower", "upper")], "lrm_birthwt_predict_lwt.csv")
dd <- datadist(lu); options(datadist = "dd")
h <- cph(Surv(time, status) ~ rcs(age, 4) * sex + log(wt.loss + 25) + pol(ph.ecog, 2), data = lu,
         eps = 1e-12, tol = 1e-13, iter.max = 100)
p_cox <- as.data.frame(Predict(h, age, ref.zero = TRUE, fun = exp))
out(p_cox[, c("age", "yhat", "lower", "upper")], "cph_lung_predict_age.csv")
writeLines(c(R.version.string, paste("rms", packageVersion("rms")),
             paste("survival", packageVersion("survival")),
             paste("Hmisc", packageVersion("Hmisc")),
             "command: Rscript tests/reference/terms/make_reference.R"),
           file.path(here, "versions.txt"))
