# Reference outputs of R for tests/test_logistic*.py, test_univariate*.py, test_stepwise*.py,
# test_vif*.py. Run from this folder:  Rscript make_reference.R > make_reference.Rout
# Writes R's numbers as CSV (and brglm2's endometrial data); the tests read MASS::birthwt and
# datasets::infert from ../datasets/ and derive bw and inf below from them.
suppressMessages({library(MASS); library(rms); library(car)})
have_brglm2 <- requireNamespace("brglm2", quietly = TRUE)
source("../../../hccstats/rbridge/stats_forward_lr.R")  # the R loop of SPSS Forward: LR
options(digits = 17)
wcsv <- function(x, f) write.csv(x, f, row.names = FALSE)
# glm restarted twice at its own estimates: summary()'s SEs use the weights of the iteration
# before the last, which with a deviance-based stopping rule lag the optimum by ~1e-8 (the
# deviance is flat there); a restart's first iteration starts at the previous estimates
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
glm2 <- function(f, d) {
  g <- glm(f, binomial, d, control = ctl)
  for (i in 1:2) g <- glm(f, binomial, d, control = ctl, start = coef(g))
  g
}

data(birthwt)
bw <- birthwt
bw$race <- factor(c("white", "black", "other")[bw$race], levels = c("white", "black", "other"))
data(infert)
inf <- infert[, c("case", "age", "parity", "education", "spontaneous", "induced")]
inf$education <- factor(as.character(inf$education), levels = c("0-5yrs", "6-11yrs", "12+ yrs"))

models <- list(
  birthwt = list(d = bw, f = low ~ age + lwt + race + smoke + ptl + ht + ui + ftv),
  infert = list(d = inf, f = case ~ age + parity + education + spontaneous + induced)
)
for (nm in names(models)) {
  m <- models[[nm]]
  g <- glm2(m$f, m$d)
  s <- summary(g)$coefficients
  pr <- suppressWarnings(suppressMessages(confint(g)))
  pr90 <- suppressWarnings(suppressMessages(confint(g, level = 0.90)))
  wa <- confint.default(g)
  wcsv(data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2], z = s[, 3], p = s[, 4],
                  profile_low = pr[, 1], profile_high = pr[, 2], profile90_low = pr90[, 1],
                  profile90_high = pr90[, 2], wald_low = wa[, 1], wald_high = wa[, 2]),
       sprintf("glm_%s.csv", nm))
  st <- lrm(m$f, data = m$d, tol = 1e-14)$stats
  som <- Hmisc::somers2(fitted(g), g$y)
  # rms::lrm stops once its steps are ~1e-8, so first-order quantities (g, gp, Brier) are
  # also recomputed from glm's fit at rounding-level convergence
  glm_g <- Hmisc::GiniMd(predict(g))
  wcsv(data.frame(name = c(names(st), "somers2_C", "somers2_Dxy", "deviance", "null_deviance", "glm_g", "glm_gr", "glm_gp", "glm_Brier"),
                  value = c(unname(st), som[["C"]], som[["Dxy"]], deviance(g), g$null.deviance,
                            glm_g, exp(glm_g), Hmisc::GiniMd(fitted(g)), mean((fitted(g) - g$y)^2))),
       sprintf("lrm_stats_%s.csv", nm))
  wcsv(data.frame(fitted = unname(fitted(g))), sprintf("fitted_%s.csv", nm))
  vl <- car::vif(lm(m$f, data = m$d))
  vg <- car::vif(g)
  wcsv(data.frame(term = rownames(vl), lm_gvif = vl[, 1], lm_df = vl[, 2], lm_gvif_adj = vl[, 3],
                  glm_gvif = vg[, 1], glm_gvif_adj = vg[, 3]), sprintf("vif_%s.csv", nm))
}

# univariate: one glm per predictor; OR per 10 g of lwt and per SD of age
uni <- NULL
for (v in c("age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv")) {
  g <- glm2(reformulate(v, "low"), bw)
  per <- switch(v, age = sd(bw$age), lwt = 10, 1)
  s <- summary(g)$coefficients[-1, , drop = FALSE]
  pr <- suppressWarnings(suppressMessages(confint(g)))[-1, , drop = FALSE]
  wa <- confint.default(g)[-1, , drop = FALSE]
  lr <- anova(g, test = "Chisq")[["Pr(>Chi)"]][2]
  uni <- rbind(uni, data.frame(predictor = v, term = rownames(s), per = per,
                               or = exp(per * s[, 1]), wald_low = exp(per * wa[, 1]), wald_high = exp(per * wa[, 2]),
                               profile_low = exp(per * pr[, 1]), profile_high = exp(per * pr[, 2]),
                               p_wald = s[, 4], p_lr = lr))
}
wcsv(uni, "univariate_birthwt.csv")

# forward LR stepwise (SPSS Forward: LR) on both datasets, score and LR entry
sw <- list(
  birthwt = list(d = bw, y = "low", c = c("age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv")),
  infert = list(d = inf, y = "case", c = c("age", "parity", "education", "spontaneous", "induced"))
)
for (nm in names(sw)) for (et in c("Rao", "LRT")) {
  r <- forward_lr_r(sw[[nm]]$d, sw[[nm]]$y, sw[[nm]]$c, entry_test = et)
  wcsv(r$steps, sprintf("stepwise_%s_%s.csv", nm, et))
}
# entry = removal = 0.10 on birthwt: a variable leaves again (a removal step)
r <- forward_lr_r(bw, "low", sw$birthwt$c, entry = 0.10, removal = 0.10)
wcsv(r$steps, "stepwise_birthwt_Rao_010.csv")

# Firth (brglm2's AS_mean = Firth's penalised likelihood for logistic regression) on the
# endometrial data of Heinze & Schemper (2002), with quasi-complete separation by NV.
if (have_brglm2) {
  data(endometrial, package = "brglm2")
  wcsv(endometrial, "endometrial.csv")
  m <- suppressWarnings(glm(HG ~ NV + PI + EH, data = endometrial, family = binomial, method = brglm2::brglmFit,
           type = "AS_mean", epsilon = 1e-14, maxit = 500))  # brglm2 warns on its adjusted start-up responses
  s <- coef(summary(m))
  wcsv(data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2], z = s[, 3], p = s[, 4]), "firth_endometrial.csv")
}

v <- c(R = paste(R.version$major, R.version$minor, sep = "."),
       MASS = as.character(packageVersion("MASS")), rms = as.character(packageVersion("rms")),
       car = as.character(packageVersion("car")), Hmisc = as.character(packageVersion("Hmisc")),
       brglm2 = if (have_brglm2) as.character(packageVersion("brglm2")) else NA)
writeLines(paste(names(v), v, sep = ": "), "versions.txt")
print(v)
