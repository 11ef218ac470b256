"""Benchmark: a Cox model's performance at a horizon on 100,000 validation patients.

hccstats: ``val_surv`` (O/E, calibration slope, the rcs(cloglog) calibration curve with ICI,
E50, E90, Emax) + ``brier_score`` (Brier, null Brier, IPA with influence-function SEs) +
``td_auc`` with its influence-function SE, all at one horizon, on ``--n`` patients.

R, in the same run, timed inside R (``system.time``, data already in R):

* ``val_surv``'s computations as McLernon et al. (2023) and Austin et al. (2020) write them
  (``survfit`` + ``summary``, ``coxph(~ lp)``, ``rms::cph(~ rcs(cll, 3))`` + ``survest``) on
  the same ``--n`` patients;
* the Brier score and the td-AUC with their influence functions as the tests write them out
  (tests/test_survival_brier.py ``R_BRIER``, tests/test_td_auc.py ``R_TD_AUC_IID``: n x n
  matrices, as timeROC's ``iid = TRUE`` and the textbook influence function). These need
  O(n^2) memory (timeROC's own ``Compute.iid.KM`` too: 80 GB per matrix at n = 100,000), so
  they run on the first ``--n-small`` patients, and hccstats is timed on the same patients
  for that ratio.

    .venv/bin/python benchmarks/bench_survival_performance.py [--n 100000] [--n-small 1000]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd

import hccstats as hs
from hccstats.rbridge import r_versions, run
from tests.test_survival_brier import R_BRIER
from tests.test_td_auc import R_TD_AUC_IID

HORIZON = 36.0

R_VAL_SURV = """suppressPackageStartupMessages(library(rms))
options(datadist = NULL)
d <- data.frame(time = as.vector(time), event = as.vector(event), pred = as.vector(pred),
                lp = as.vector(lp))
system.time({
  obj <- summary(survfit(Surv(time, event) ~ 1, data = d), times = t)
  OE <- (1 - obj$surv) / mean(d$pred)
  g <- coxph(Surv(time, event) ~ lp, data = d)
  d$cll <- log(-log(1 - d$pred))
  vcal <- cph(Surv(time, event) ~ rcs(cll, 3), data = d, x = TRUE, y = TRUE, surv = TRUE)
  obs <- 1 - survest(vcal, times = t, newdata = d)$surv
  ad <- abs(d$pred - obs)
  res <- c(OE, coef(g), mean(ad), quantile(ad, c(0.5, 0.9)), max(ad))
})[["elapsed"]]
"""


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    t_event = rng.exponential(30.0 * np.exp(-(X @ np.array([0.3, -0.2, 0.15, 0.1, 0.0]))))
    t_cens = rng.uniform(6, 60, n)
    d = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
    d["time"] = np.ceil(np.minimum(t_event, t_cens))  # whole months: ties
    d["event"] = (t_event <= t_cens).astype(int)
    return d


def ours(fit, val, n_label):
    t0 = time.perf_counter()
    v = hs.val_surv(fit, val, times=HORIZON)
    risk = fit.predict_risk(val, times=HORIZON)
    b = hs.brier_score(val["time"], val["event"], risk, times=HORIZON)
    a = hs.td_auc(val["time"], val["event"], risk, times=HORIZON)
    return time.perf_counter() - t0, v, b, a, risk


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--n-small", type=int, default=1000)
    args = ap.parse_args()
    dev, val = simulate(args.n, 1), simulate(args.n, 2)
    fit = hs.coxph("Surv(time, event) ~ x1 + x2 + x3 + x4 + x5", dev)
    ours(fit, val.iloc[:300], 300)  # warm-up (numba cache load)
    t_ours, v, b, a, risk = ours(fit, val, args.n)
    lp = fit.predict(val)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_r = float(
            run(R_VAL_SURV, time=val["time"], event=val["event"], pred=risk, lp=lp, t=HORIZON)
        )
    small = val.iloc[: args.n_small]
    t_ours_small = ours(fit, small, args.n_small)[0]
    sr = fit.predict_risk(small, times=HORIZON)
    st, se = small["time"].to_numpy(float), small["event"].to_numpy(float)
    t0 = time.perf_counter()
    rb = run(R_BRIER, time=st, event=se, risk=sr, t=HORIZON)
    ra = run(R_TD_AUC_IID, time=st, event=se, marker=sr, times=np.array([HORIZON]))
    t_r_small = time.perf_counter() - t0
    bs = hs.brier_score(st, se, sr, times=HORIZON)
    as_ = hs.td_auc(st, se, sr, times=HORIZON).table
    check = max(abs(bs.brier_se - rb[1]), abs(as_["se"].iloc[0] - ra[0, 1]))
    ver = r_versions("survival", "rms")
    print(
        f"survival performance at {HORIZON:g} months: {args.n:,} validation patients "
        f"({int(val['event'].sum()):,} events), Cox model fitted on {args.n:,} others"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}; {datetime.date.today()}; R {ver['R']}, survival "
        f"{ver['survival']}, rms {ver['rms']}"
    )
    print(f"hccstats val_surv + brier_score + td_auc (SEs), n = {args.n:,}: {t_ours:.3f} s")
    print(
        f"R val.surv-style calibration (survfit, coxph, cph + survest), n = {args.n:,}: {t_r:.3f} s"
    )
    print(f"  hccstats (all three) / R (calibration only): {t_ours / t_r:.2f}")
    print(f"hccstats all three, n = {args.n_small:,}: {t_ours_small:.3f} s")
    print(f"R Brier + td-AUC influence functions (n x n), n = {args.n_small:,}: {t_r_small:.3f} s")
    print(f"  ratio hccstats / R at n = {args.n_small:,}: {t_ours_small / t_r_small:.3f}")
    print(
        f"check: AUC {a.table['auc'].iloc[0]:.4f} (se {a.table['se'].iloc[0]:.5f}), Brier "
        f"{b.brier:.4f}, IPA {b.ipa:.4f}, O/E {v.oe:.4f}, ICI {v.ici:.5f}; SEs at n = "
        f"{args.n_small:,} equal R's to {check:.1e}"
    )


if __name__ == "__main__":
    main()
