# Stored R outputs for tests/test_survival_reference.py (the tests that run without R).
# Run from the repository root: Rscript tests/reference/survival/make_reference.R
suppressPackageStartupMessages(library(survival))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
out <- function(x, name) {
  con <- file(file.path(here, name), "w")
  writeLines(sprintf("# R %s.%s, survival %s", R.version$major, R.version$minor,
                     packageVersion("survival")), con)
  write.csv(x, con, row.names = FALSE)
  close(con)
}
options(digits = 17)
d <- lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]
out(d, "lung.csv")

ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
glob <- NULL
coefs <- NULL
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(time, status) ~ factor(sex) + age + ph.ecog + wt.loss, data = d, ties = ties,
             control = ctl)
  fr <- coxph(Surv(time, status) ~ factor(sex) + age + ph.ecog + wt.loss, data = d, ties = ties,
              robust = TRUE, control = ctl)
  coefs <- rbind(coefs, data.frame(ties = ties, term = names(coef(f)), coef = unname(coef(f)),
                                   se = sqrt(diag(f$var)), robust_se = sqrt(diag(fr$var))))
  glob <- rbind(glob, data.frame(ties = ties, n = f$n, nevent = f$nevent,
                                 loglik0 = f$loglik[1], loglik1 = f$loglik[2],
                                 wald = f$wald.test, score = f$score, rscore = fr$rscore,
                                 concordance = unname(f$concordance["concordance"]),
                                 concordance_se = unname(f$concordance["std"])))
}
out(coefs, "coxph_lung_coef.csv")
out(glob, "coxph_lung_global.csv")

km <- survfit(Surv(time, status) ~ sex, data = d)
out(data.frame(time = km$time, n_risk = km$n.risk, surv = km$surv, std_err = km$std.err,
               lower = km$lower, upper = km$upper), "survfit_lung_sex.csv")
tab <- summary(km)$table
out(data.frame(n = tab[, "n.max"], events = tab[, "events"], median = tab[, "median"],
               lcl = tab[, "0.95LCL"], ucl = tab[, "0.95UCL"]), "survfit_lung_sex_median.csv")
sd <- survdiff(Surv(time, status) ~ sex, data = d)
out(data.frame(chisq = sd$chisq, observed = sd$obs, expected = sd$exp), "survdiff_lung_sex.csv")
f <- coxph(Surv(time, status) ~ factor(sex) + age + ph.ecog, data = d, control = ctl)
z <- cox.zph(f)$table
out(data.frame(term = rownames(z), chisq = z[, "chisq"], df = z[, "df"], p = z[, "p"]),
    "cox_zph_lung.csv")
