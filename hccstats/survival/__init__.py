"""Survival analysis beside the binary endpoint: time-dependent AUC (timeROC's IPCW estimator).
See docs/survival.md."""

from ._td_auc import TimeDependentAuc, td_auc

__all__ = ["td_auc", "TimeDependentAuc"]
