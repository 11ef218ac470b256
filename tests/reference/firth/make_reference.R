# Firth's penalised likelihood on a separated sample of MASS::biopsy: brglm2's estimates, and
# the penalised profile-likelihood 95% CIs and penalised likelihood-ratio p values that logistf
# prints by default, computed here from the penalised log-likelihood written out
# (l*(b) = l(b) + log|X'WX| / 2; logistf itself is not packaged by Debian).
# Data: the first 200 complete cases of MASS::biopsy (tests/reference/datasets/biopsy.csv),
# malignant = (class == "malignant"), thick = (clump thickness V1 >= 9), uniformity of cell
# shape V3, bare nuclei V6. Every thick clump is malignant: quasi-complete separation by thick.
# Profile: for coefficient j held at t, the other coefficients maximise l* (BFGS with the
# analytic gradient, Firth's modified score, started at brglm2's estimates); the limits solve
# 2 (l*(b^) - l*_j(t)) = qchisq(0.95, 1) by uniroot, bracketed by stepping outward from the
# estimate; p = pchisq(2 (l*(b^) - l*_j(0)), 1, lower.tail = FALSE).
# Run from this folder:  Rscript make_reference.R > make_reference.Rout 2>&1
suppressPackageStartupMessages({library(MASS); library(brglm2)})
d <- na.omit(biopsy)[1:200, ]
d$malignant <- as.integer(d$class == "malignant")
d$thick <- as.integer(d$V1 >= 9)
print(table(thick = d$thick, malignant = d$malignant))
f <- malignant ~ thick + V3 + V6
ml <- suppressWarnings(glm(f, data = d, family = binomial))
cat("ML estimate of thick (diverging under separation):", coef(ml)[["thick"]], "\n")
m <- suppressWarnings(glm(f, data = d, family = binomial, method = brglmFit,
                          type = "AS_mean", epsilon = 1e-14, maxit = 500))
X <- model.matrix(f, d); y <- d$malignant; k <- ncol(X)
pl <- function(b) {
  eta <- drop(X %*% b); p <- plogis(eta)
  sum(y * plogis(eta, log.p = TRUE) + (1 - y) * plogis(-eta, log.p = TRUE)) +
    0.5 * determinant(crossprod(X * sqrt(p * (1 - p))))$modulus[1]
}
score <- function(b) {  # Firth's modified score, the gradient of pl
  p <- plogis(drop(X %*% b)); w <- p * (1 - p)
  h <- w * rowSums((X %*% solve(crossprod(X * sqrt(w)))) * X)
  drop(crossprod(X, y - p + h * (0.5 - p)))
}
b0 <- coef(m); se <- sqrt(diag(vcov(m)))
lmax <- pl(b0)
prof <- function(j, t) {
  full <- function(u) { b <- b0; b[j] <- t; b[-j] <- u; b }
  o <- optim(b0[-j], function(u) -pl(full(u)), function(u) -score(full(u))[-j],
             method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  -o$value
}
q <- qchisq(0.95, 1)
limit <- function(j, sgn) {
  g <- function(t) 2 * (lmax - prof(j, t)) - q
  inner <- b0[j]; step <- se[j] / 2
  repeat { outer <- b0[j] + sgn * step; if (g(outer) >= 0) break; inner <- outer; step <- 2 * step }
  uniroot(g, sort(c(inner, outer)), tol = 1e-12)$root
}
out <- data.frame(term = colnames(X), estimate = b0, se = se,
                  ci_low = sapply(1:k, limit, sgn = -1), ci_high = sapply(1:k, limit, sgn = 1),
                  p = sapply(1:k, function(j) pchisq(2 * (lmax - prof(j, 0)), 1, lower.tail = FALSE)))
out$penalised_loglik <- lmax
print(out, digits = 12)
write.csv(out, "firth_profile_biopsy.csv", row.names = FALSE)
v <- c(R = paste(R.version$major, R.version$minor, sep = "."),
       MASS = as.character(packageVersion("MASS")), brglm2 = as.character(packageVersion("brglm2")))
writeLines(c(paste(names(v), v, sep = ": "), "command: Rscript make_reference.R"), "versions.txt")
print(v)
