# The datasets the reference tests use, each stored once, exactly as R ships it:
# MASS::birthwt (189 births), datasets::infert (248 women), pROC::aSAH (113 patients),
# MASS::biopsy (699 breast biopsies; V6 has 16 missing values, written as empty cells),
# survival::pbc (418 patients with primary biliary cirrhosis: 312 in the randomised trial,
# 106 not; time in days, status 0 censored / 1 transplant / 2 dead).
# Each topic's make_reference.R computes R's numbers from the same R datasets; the Python
# tests read these copies (tests/_datasets.py) so that the stored-reference tests need no R.
# Run from this folder:  Rscript make_datasets.R
# Writes birthwt.csv, infert.csv, asah.csv, biopsy.csv, pbc.csv and versions.txt.
suppressPackageStartupMessages({library(MASS); library(pROC); library(survival)})
wcsv <- function(x, f) write.csv(x, f, row.names = FALSE)
data(birthwt, package = "MASS")
wcsv(birthwt, "birthwt.csv")
data(infert, package = "datasets")
wcsv(infert, "infert.csv")
data(aSAH, package = "pROC")
wcsv(aSAH, "asah.csv")
wcsv(survival::pbc, "pbc.csv")
data(biopsy, package = "MASS")
write.csv(biopsy, "biopsy.csv", row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("MASS", packageVersion("MASS")),
             paste("pROC", packageVersion("pROC")),
             paste("survival", packageVersion("survival")), "command: Rscript make_datasets.R"),
           "versions.txt")
