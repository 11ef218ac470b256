# Reference values for hccstats.calibration and hccstats.decision_curve.
# Run from the repository root:  Rscript tests/reference/calibration/make_reference.R
# Writes tests/reference/calibration/*.csv (decision curves: net_benefit.csv) and versions.txt;
# the tests read MASS::birthwt and pROC::aSAH from tests/reference/datasets/.
suppressMessages({library(rms); library(MASS); library(pROC)})
out <- "tests/reference/calibration"
wr <- function(x, f) write.csv(x, f, row.names = FALSE)
fmt <- function(x) formatC(x, digits = 17, format = "g")
writeLines(c(paste("R", R.version$major, R.version$minor, sep = "."),
             paste("rms", packageVersion("rms")), paste("pROC", packageVersion("pROC")),
             paste("MASS", packageVersion("MASS")), paste("date", Sys.Date())),
           file.path(out, "versions.txt"))

# --- data: MASS::birthwt (189 patients), 5-predictor model; pROC::aSAH (113 patients)
bw <- birthwt
f <- lrm(low ~ age + lwt + smoke + ptl + ht, data = bw, x = TRUE, y = TRUE)
data(aSAH)
g <- lrm(outcome ~ s100b + ndka + age, data = aSAH, x = TRUE, y = TRUE)
as <- data.frame(poor = as.integer(aSAH$outcome == "Poor"), s100b = aSAH$s100b, ndka = aSAH$ndka,
                 age = aSAH$age)

# --- lowess against R (iter 0 and 3; ties)
set.seed(2023)
lw <- NULL
for (k in 1:6) {
  n <- c(25, 60, 189, 400, 7, 1000)[k]
  x <- if (k %% 2 == 0) round(runif(n), 2) else runif(n)
  y <- rbinom(n, 1, x)
  for (it in c(0, 3)) {
    l <- lowess(x, y, iter = it)
    lw <- rbind(lw, data.frame(case = k, iter = it, x_in = fmt(x), y_in = y, x = fmt(l$x), fitted = fmt(l$y)))
  }
}
wr(lw, file.path(out, "lowess.csv"))

# --- val.prob: apparent and "external" (miscalibrated) risks
lp <- predict(f); pa <- plogis(predict(g))
vp <- rbind(
  birthwt_apparent = val.prob(plogis(lp), bw$low, pl = FALSE),
  birthwt_shrunk = val.prob(plogis(0.6 * lp - 0.3), bw$low, pl = FALSE),
  asah_apparent = val.prob(pa, as$poor, pl = FALSE),
  asah_shifted = val.prob(plogis(qlogis(pa) + 0.5), as$poor, pl = FALSE))
risks <- data.frame(birthwt_apparent = fmt(plogis(lp)), birthwt_shrunk = fmt(plogis(0.6 * lp - 0.3)))
risks_a <- data.frame(asah_apparent = fmt(pa), asah_shifted = fmt(plogis(qlogis(pa) + 0.5)))
wr(risks, file.path(out, "risks_birthwt.csv"))
wr(risks_a, file.path(out, "risks_asah.csv"))
vpd <- data.frame(case = rownames(vp), apply(vp, 2, fmt), check.names = FALSE)
wr(vpd, file.path(out, "val_prob.csv"))

# --- le Cessie-van Houwelingen (rms residuals.lrm type = "gof")
gof <- rbind(birthwt = residuals(f, type = "gof"), asah = residuals(g, type = "gof"))
wr(data.frame(case = rownames(gof), apply(gof, 2, fmt), check.names = FALSE), file.path(out, "le_cessie.csv"))

# --- Hosmer-Lemeshow as ResourceSelection::hoslem.test 0.3-5 (unique quantile breaks, g - 2 df;
#     every case here has g distinct groups, so the stored df equal nlevels(grp) - 2 as well)
hl <- function(p, y, g = 10) {
  grp <- cut(p, breaks = unique(quantile(p, probs = seq(0, 1, 1/g))), include.lowest = TRUE)
  obs <- xtabs(cbind(1 - y, y) ~ grp); expct <- xtabs(cbind(1 - p, p) ~ grp)
  chisq <- sum((obs - expct)^2 / expct); df <- g - 2
  c(statistic = chisq, df = df, p_value = 1 - pchisq(chisq, df))
}
hlr <- rbind(birthwt_g10 = hl(plogis(lp), bw$low), birthwt_g8 = hl(plogis(lp), bw$low, 8),
             asah_g10 = hl(pa, as$poor), asah_shifted_g10 = hl(plogis(qlogis(pa) + 0.5), as$poor))
wr(data.frame(case = rownames(hlr), apply(hlr, 2, fmt)), file.path(out, "hosmer_lemeshow.csv"))

# --- decision curves: net benefit (Vickers & Elkin 2006; test positive when risk >= threshold)
th <- seq(0.01, 0.99, by = 0.01)
nb <- function(p, y) sapply(th, function(t) mean(p >= t & y == 1) - mean(p >= t & y == 0) * t / (1 - t))
dc <- rbind(
  data.frame(data = "birthwt", model = "lrm", threshold = th, net_benefit = fmt(nb(plogis(lp), bw$low))),
  data.frame(data = "birthwt", model = "Treat all", threshold = th, net_benefit = fmt(nb(rep(1, 189), bw$low))),
  data.frame(data = "asah", model = "lrm", threshold = th, net_benefit = fmt(nb(pa, as$poor))),
  data.frame(data = "asah", model = "s100b", threshold = th, net_benefit = fmt(nb(as$s100b / 2.5, as$poor))),
  data.frame(data = "asah", model = "Treat all", threshold = th, net_benefit = fmt(nb(rep(1, 113), as$poor))))
wr(dc, file.path(out, "net_benefit.csv"))

# --- calibrate and validate: exact resamples (seed 11, B = 50) ...
set.seed(11); idx <- replicate(50, sample(189, replace = TRUE))
wr(idx, file.path(out, "resamples_seed11_B50.csv"))
set.seed(11); cal <- calibrate(f, B = 50)
wr(data.frame(apply(unclass(cal)[, 1:9], 2, fmt)), file.path(out, "calibrate_seed11_B50.csv"))
set.seed(11); invisible(capture.output(v <- validate(f, B = 50)))
wr(data.frame(index = rownames(v), apply(unclass(v)[, 1:6], 2, fmt)), file.path(out, "validate_seed11_B50.csv"))

# ... and the spread of rms over 20 seeds (B = 200)
cals <- NULL; vals <- NULL
for (s in 1:20) {
  set.seed(s); capture.output(cal <- calibrate(f, B = 200))
  pr <- attr(cal, "predicted"); ok <- !is.na(cal[, "predy"] + cal[, "calibrated.corrected"])
  err <- pr - approx(cal[ok, "predy"], cal[ok, "calibrated.corrected"], xout = pr, ties = mean)$y
  cals <- rbind(cals, data.frame(seed = s, predy = fmt(cal[, "predy"]), corrected = fmt(cal[, "calibrated.corrected"]),
                                 mae = fmt(mean(abs(err), na.rm = TRUE)), mse = fmt(mean(err^2, na.rm = TRUE)),
                                 q90 = fmt(quantile(abs(err), 0.9, na.rm = TRUE))))
  set.seed(s); invisible(capture.output(v <- validate(f, B = 200)))
  vals <- rbind(vals, data.frame(seed = s, index = rownames(v), corrected = fmt(v[, "index.corrected"]),
                                 optimism = fmt(v[, "optimism"])))
}
wr(cals, file.path(out, "calibrate_spread_B200.csv"))
wr(vals, file.path(out, "validate_spread_B200.csv"))
