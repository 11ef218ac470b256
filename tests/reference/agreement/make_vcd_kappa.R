# Cohen's kappa and its asymptotic SE (Fleiss, Cohen & Everitt 1969) from vcd::Kappa,
# for the 4x4 tables vcd ships: SexualFun (husband x wife) and MSPatients (the two
# neurologists, Winnipeg patients). Output: vcd_kappa.csv beside this script.
suppressPackageStartupMessages(library(vcd))
out <- list()
tabs <- list(SexualFun = SexualFun, MSPatients_Winnipeg = MSPatients[, , "Winnipeg"])
for (nm in names(tabs)) {
  tab <- unclass(tabs[[nm]])
  for (w in c("Equal-Spacing", "Fleiss-Cohen")) {
    k <- Kappa(tab, weights = w)
    ci <- confint(k, level = 0.95)
    out[[length(out) + 1]] <- data.frame(
      table = nm, weights = w,
      unweighted = k$Unweighted[["value"]], unweighted_ase = k$Unweighted[["ASE"]],
      unweighted_lwr = ci[1, 1], unweighted_upr = ci[1, 2],
      weighted = k$Weighted[["value"]], weighted_ase = k$Weighted[["ASE"]],
      weighted_lwr = ci[2, 1], weighted_upr = ci[2, 2])
  }
}
res <- do.call(rbind, out)
res$R_version <- paste(R.version$major, R.version$minor, sep = ".")
res$vcd_version <- as.character(packageVersion("vcd"))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
write.csv(res, file.path(here, "vcd_kappa.csv"), row.names = FALSE)
# the tables themselves, so the Python test needs no R to rebuild the ratings
write.csv(as.data.frame(as.table(unclass(SexualFun))), file.path(here, "SexualFun.csv"), row.names = FALSE)
write.csv(as.data.frame(as.table(unclass(MSPatients[, , "Winnipeg"]))),
          file.path(here, "MSPatients_Winnipeg.csv"), row.names = FALSE)
print(res, digits = 15)
writeLines(c(R.version.string, paste("vcd", packageVersion("vcd")),
             "command: Rscript tests/reference/agreement/make_vcd_kappa.R"), file.path(here, "versions.txt"))
