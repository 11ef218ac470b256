# SPSS "Forward: LR" written as a loop of add1()/drop1() on glm: the R oracle for
# hccstats.forward_lr (used by hccstats.rbridge.stats.forward_lr_r, sourced by
# tests/reference/logistic/make_reference.R, tests/test_stepwise.py and
# benchmarks/bench_stepwise.py).
#   entry:   add1(fit, scope = candidates not in the model, test = "Rao")  (or "LRT"),
#            the smallest p below `entry` enters (first among ties)
#   removal: drop1(fit, test = "LRT"), the largest p above `removal` leaves (first among
#            ties), repeated until none; a model visited before stops the selection.
#   exact = TRUE fits with epsilon = 1e-14 and restarts each fit twice at its own estimates
#            (glm's SEs use the weights of the iteration before the last). add1() refits the
#            base model internally without a start, so its score statistics keep an error of
#            ~1e-8 relative: the deviance is flat at the optimum and IRLS stops on it.
#            exact = FALSE uses glm's defaults (for the benchmark).
forward_lr_r <- function(d, outcome, cands, entry = 0.05, removal = 0.10,
                         entry_test = "Rao", max_steps = 2 * length(cands) + 10, exact = TRUE) {
  ctl <- if (exact) glm.control(epsilon = 1e-14, maxit = 100) else glm.control()
  fitm <- function(terms) {
    f <- reformulate(if (length(terms)) terms else "1", response = outcome)
    g <- glm(f, family = binomial, data = d, control = ctl)
    if (exact) for (i in 1:2) g <- glm(f, family = binomial, data = d, control = ctl, start = coef(g))
    g
  }
  key <- function(t) paste(sort(t), collapse = "+")
  inm <- character(0)
  seen <- key(inm)
  log <- data.frame(step = integer(0), action = character(0), term = character(0),
                    statistic = numeric(0), df = integer(0), p_value = numeric(0))
  step <- 0
  g <- fitm(inm)
  cycle <- FALSE
  repeat {
    out <- setdiff(cands, inm)
    if (!length(out) || step >= max_steps) break
    a <- add1(g, scope = out, test = entry_test)[-1, , drop = FALSE]
    stat <- if (entry_test == "Rao") a[["Rao score"]] else a[["LRT"]]
    p <- a[["Pr(>Chi)"]]
    b <- which.min(p)
    if (!(p[b] < entry)) break
    new <- c(inm, rownames(a)[b])
    if (key(new) %in% seen) break
    step <- step + 1
    inm <- new
    seen <- c(seen, key(inm))
    log[nrow(log) + 1, ] <- list(step, "enter", rownames(a)[b], stat[b], a$Df[b], p[b])
    g <- fitm(inm)
    repeat {
      if (!length(inm) || step >= max_steps) break
      dr <- drop1(g, test = "LRT")[-1, , drop = FALSE]
      p <- dr[["Pr(>Chi)"]]
      w <- which.max(p)
      if (!(p[w] > removal)) break
      red <- setdiff(inm, rownames(dr)[w])
      if (key(red) %in% seen) { cycle <- TRUE; break }
      step <- step + 1
      seen <- c(seen, key(red))
      log[nrow(log) + 1, ] <- list(step, "remove", rownames(dr)[w], dr$LRT[w], dr$Df[w], p[w])
      inm <- red
      g <- fitm(inm)
    }
    if (cycle) break
  }
  list(steps = log, selected = inm, fit = g)
}
