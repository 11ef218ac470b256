# Stored R outputs for tests/test_survival_stepwise.py (the tests that run without R): SPSS's
# Forward: LR and Backward: LR for Cox models written out in R on survival::pbc (the copy in
# tests/reference/datasets/pbc.csv), with the candidates of the test.
#   entry:   score test at the current estimate, the candidate's coefficients at 0
#            (coxph(..., init = c(b, 0), iter.max = 0)$score); smallest p below entry enters
#   removal: 2 * (loglik - loglik without the term); largest p above removal leaves
# A model visited before stops the selection; ties go to the first candidate in order.
# Run from the repository root: Rscript tests/reference/survival/stepwise_cox.R
suppressPackageStartupMessages({library(survival); library(rms)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
options(digits = 17)
d <- read.csv(file.path(here, "..", "datasets", "pbc.csv"))
d$death <- as.integer(d$status == 2)
d <- na.omit(d[, c("time", "death", "age", "bili", "albumin", "edema", "sex", "ascites",
                   "stage", "protime", "platelet")])
terms <- c("bili" = "bili", "age" = "age", "log_bili" = "log(bili)",
           "log_albumin" = "log(albumin)", "edema" = "edema", "sex" = "sex",
           "ascites" = "ascites", "C(stage)" = "factor(stage)",
           "rcs(protime, 4)" = "rcs(protime, 4)", "platelet" = "platelet")
ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
form <- function(m) as.formula(paste("Surv(time, death) ~",
                                     if (length(m)) paste(terms[m], collapse = " + ") else "1"))
fitm <- function(m) coxph(form(m), data = d, control = ctl)
ll <- function(m) tail(fitm(m)$loglik, 1)
ncols <- function(m) ncol(model.matrix(form(m), d)) - 1
score <- function(m, x) {
  b <- if (length(m)) coef(fitm(m)) else numeric(0)
  k <- ncols(c(m, x)) - length(b)
  suppressWarnings(coxph(form(c(m, x)), data = d, init = c(b, rep(0, k)),
                         control = coxph.control(iter.max = 0))$score)
}

select <- function(direction, entry = 0.05, removal = 0.10) {
  cands <- names(terms)
  m <- if (direction == "forward") character(0) else cands
  visited <- list(m)
  seen <- function(x) any(vapply(visited, function(v) setequal(v, x), TRUE))
  log <- data.frame()
  add <- function(action, term, stat, df) {
    log <<- rbind(log, data.frame(direction = direction, step = nrow(log) + 1, action = action,
                                  term = term, statistic = stat, df = df,
                                  p_value = pchisq(stat, df, lower.tail = FALSE)))
  }
  remove_one <- function() {  # TRUE: removed; FALSE: nothing to remove; NA: cycle
    if (!length(m)) return(FALSE)
    full <- ll(m)
    lr <- vapply(m, function(x) max(2 * (full - ll(setdiff(m, x))), 0), 0)
    df <- vapply(m, function(x) ncols(x), 0)
    p <- pchisq(lr, df, lower.tail = FALSE)
    w <- which.max(p)
    if (!(p[w] > removal)) return(FALSE)
    new <- setdiff(m, m[w])
    if (seen(new)) return(NA)
    visited[[length(visited) + 1]] <<- new
    add("remove", m[w], lr[w], df[w])
    m <<- new
    TRUE
  }
  enter_one <- function() {  # TRUE: entered; FALSE: none qualifies or a cycle
    out <- setdiff(cands, m)
    if (!length(out)) return(FALSE)
    st <- vapply(out, function(x) score(m, x), 0)
    df <- vapply(out, function(x) ncols(x), 0)
    p <- pchisq(st, df, lower.tail = FALSE)
    b <- which.min(p)
    if (!(p[b] < entry)) return(FALSE)
    new <- c(m, out[b])
    if (seen(new)) return(FALSE)
    visited[[length(visited) + 1]] <<- new
    add("enter", out[b], st[b], df[b])
    m <<- new
    TRUE
  }
  repeat {
    if (direction == "forward") {
      if (!enter_one()) break
      repeat { r <- remove_one(); if (!isTRUE(r)) break }
      if (is.na(r)) break
    } else {
      r <- remove_one()
      if (is.na(r)) break
      if (!r && !enter_one()) break
    }
  }
  log
}

runs <- list(c("forward", 0.05, 0.10), c("backward", 0.05, 0.10), c("forward", 0.20, 0.25))
out <- do.call(rbind, lapply(runs, function(r) {
  cbind(select(r[1], as.numeric(r[2]), as.numeric(r[3])), entry = as.numeric(r[2]),
        removal = as.numeric(r[3]))
}))
rownames(out) <- NULL
con <- file(file.path(here, "stepwise_cox_pbc.csv"), "w")
writeLines(sprintf("# R %s.%s, survival %s, rms %s", R.version$major, R.version$minor,
                   packageVersion("survival"), packageVersion("rms")), con)
write.csv(out, con, row.names = FALSE)
close(con)
print(out)
