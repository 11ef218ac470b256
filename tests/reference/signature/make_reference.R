# Reference values for tests/test_signature_stats.py (hccstats.signature).
# Run from this folder:  Rscript make_reference.R
# Writes data_small.csv and data_big.csv (inputs), spearman.csv, difference.csv and versions.txt.
set.seed(2023)
n <- 40
y <- rep(c(0, 1), c(25, 15))
x1 <- rnorm(n) + 0.8 * y
x2 <- round(rnorm(n) + 0.5 * y, 1)           # ties
x3 <- runif(n)
s_exact <- plogis(x1)                          # no ties, both groups < 50: exact test
s_ties <- round(plogis(x1), 2)                 # ties: normal approximation
small <- data.frame(y = y, x1 = x1, x2 = x2, x3 = x3, s_exact = s_exact, s_ties = s_ties)
nb <- 195
yb <- rep(c(0, 1), c(141, 54))
s_big <- plogis(rnorm(nb, sd = 1.2) + 1.5 * yb - 1)  # groups >= 50: normal approximation
big <- data.frame(y = yb, s_big = s_big)
write.csv(small, "data_small.csv", row.names = FALSE)
write.csv(big, "data_big.csv", row.names = FALSE)

sp <- do.call(rbind, lapply(c("x1", "x2", "x3"), function(v) {
  ct <- suppressWarnings(cor.test(small[[v]], y, method = "spearman", exact = FALSE))
  data.frame(feature = v, rho = unname(ct$estimate), p_value = ct$p.value)
}))
write.csv(sp, "spearman.csv", row.names = FALSE)

diff_one <- function(name, s, y) {
  w <- suppressWarnings(wilcox.test(s[y == 1], s[y == 0]))
  qe <- quantile(s[y == 1], c(.25, .5, .75))
  qn <- quantile(s[y == 0], c(.25, .5, .75))
  # epsilon tightened: the default 1e-8 stops IRLS early enough to move the SE by ~6e-5
  fit <- glm(y ~ I(s / 0.1), family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
  ci <- exp(confint.default(fit))[2, ]
  data.frame(signature = name, q1_events = qe[1], median_events = qe[2], q3_events = qe[3],
             q1_nonevents = qn[1], median_nonevents = qn[2], q3_nonevents = qn[3],
             mw_statistic = unname(w$statistic), mw_p_value = w$p.value, mw_method = w$method,
             estimate = exp(coef(fit)[2]), ci_low = ci[1], ci_high = ci[2],
             p_value = summary(fit)$coefficients[2, 4], row.names = NULL)
}
d <- rbind(diff_one("s_exact", s_exact, y), diff_one("s_ties", s_ties, y),
           diff_one("s_big", s_big, yb))
write.csv(d, "difference.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("stats", packageVersion("stats"))), "versions.txt")
options(digits = 15)
print(sp)
print(d)
