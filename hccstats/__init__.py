"""hccstats: R-validated statistics for clinical prediction-model studies in radiology.

The public names below are R-style (each docstring names its R equivalent). They are
loaded lazily: ``import hccstats`` is cheap and starts neither R nor heavy libraries.

>>> import hccstats as hs
>>> r = hs.roc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], direction="<")
>>> hs.ci_auc(r)
95% CI: 0.5809-1.0000 (DeLong); AUC = 0.8889
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import (
    ConvergenceWarning,
    HccstatsWarning,
    InputError,
    RNotAvailableError,
    SeparationWarning,
    UndefinedStatisticWarning,
)

__version__ = "0.1.0"

# public name -> module that defines it (one topic per module; see docs/architecture.md)
_LAZY: dict[str, str] = {
    "ConfidenceInterval": "hccstats._results",
    "TestResult": "hccstats._results",
    "RegressionFit": "hccstats._fitbase",  # the base of LogisticFit and CoxFit
    # column names as formula code: patsy's Q('biopsy result'), R's `biopsy result`
    "quote_name": "hccstats._names",
    "r_quote": "hccstats._names",
    # discrimination (pROC)
    "roc": "hccstats.discrimination",
    "Roc": "hccstats.discrimination",
    "ci_auc": "hccstats.discrimination",
    "AucCI": "hccstats.discrimination",
    "roc_test": "hccstats.discrimination",
    "DeLongTest": "hccstats.discrimination",
    "coords": "hccstats.discrimination",
    "Coords": "hccstats.discrimination",
    "Cutoff": "hccstats.discrimination",
    # logistic regression (stats::glm, rms::lrm, car::vif, SPSS Forward: LR)
    "lrm": "hccstats.logistic",
    "LogisticFit": "hccstats.logistic",
    "univariate": "hccstats.logistic",
    "univariable": "hccstats.logistic",
    "Univariate": "hccstats.logistic",
    "forward_lr": "hccstats.logistic",
    "backward_lr": "hccstats.logistic",
    "Stepwise": "hccstats.logistic",
    "vif": "hccstats.logistic",
    "rcs": "hccstats.logistic",
    "rcs_knots": "hccstats.logistic",
    "pol": "hccstats.logistic",
    "VIF": "hccstats.logistic",
    # rms::anova Wald tests per predictor (logistic and Cox fits)
    "anova": "hccstats._anova",
    "Anova": "hccstats._anova",
    # rms::Predict partial effects (odds / hazard ratio against one predictor)
    "partial_effect": "hccstats._partial",
    "PartialEffect": "hccstats._partial",
    # baseline table (tableone)
    "table_one": "hccstats.baseline",
    "TableOne": "hccstats.baseline",
    "wilcox_test": "hccstats.baseline",
    "chisq_test": "hccstats.baseline",
    "fisher_test": "hccstats.baseline",
    "WilcoxonTest": "hccstats.baseline",
    "ChisqTest": "hccstats.baseline",
    # agreement (irr)
    "kappa2": "hccstats.agreement",
    "kappam_fleiss": "hccstats.agreement",
    "Kappa": "hccstats.agreement",
    # calibration (rms::calibrate, validate, val.prob)
    "calibrate": "hccstats.calibration",
    "validate": "hccstats.calibration",
    "val_prob": "hccstats.calibration",
    # decision curves (dcurves)
    "dca": "hccstats.decision_curve",
    # survival performance at a horizon (timeROC, riskRegression, rms::val.surv)
    "td_auc": "hccstats.survival",
    "TimeDependentAuc": "hccstats.survival",
    "brier_score": "hccstats.survival",
    "BrierScore": "hccstats.survival",
    "val_surv": "hccstats.survival",
    "ValSurv": "hccstats.survival",
    # reclassification (Hmisc::improveProb)
    "improve_prob": "hccstats.reclassification",
    "ImproveProb": "hccstats.reclassification",
    # nomograms (rms::nomogram)
    "nomogram": "hccstats.nomograms",
    "nomogram_score": "hccstats.nomograms",
    "Nomogram": "hccstats.nomograms",
    # survival (survival::coxph, cox.zph, survfit, survdiff, concordance; rms::calibrate)
    "coxph": "hccstats.survival",
    "CoxFit": "hccstats.survival",
    "cox_zph": "hccstats.survival",
    "CoxZph": "hccstats.survival",
    "survfit": "hccstats.survival",
    "SurvFit": "hccstats.survival",
    "survdiff": "hccstats.survival",
    "km_plot": "hccstats.plots",
    "concordance": "hccstats.survival",
    "Concordance": "hccstats.survival",
    "calibrate_cox": "hccstats.survival",
    "CoxCalibration": "hccstats.survival",
    "forward_cox": "hccstats.survival",
    "backward_cox": "hccstats.survival",
    "CoxStepwise": "hccstats.survival",
    "univariate_cox": "hccstats.survival",
    "CoxUnivariate": "hccstats.survival",
    # published models from their equation (external validation)
    "published_lrm": "hccstats.published",
    "published_cox": "hccstats.published",
    "PublishedLogistic": "hccstats.published",
    "PublishedCox": "hccstats.published",
    # deep-learning signatures
    "signature_search": "hccstats.signature",
    "SpearmanFilter": "hccstats.signature",
    "CorrelationPruner": "hccstats.signature",
    "ReliefF": "hccstats.signature",
    "fuse_signatures": "hccstats.signature",
    "difference_table": "hccstats.signature",
}

__all__ = [
    "ConvergenceWarning",
    "HccstatsWarning",
    "InputError",
    "RNotAvailableError",
    "SeparationWarning",
    "UndefinedStatisticWarning",
]
__all__ += sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hccstats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API only: ``__all__`` and the version."""
    return sorted([*__all__, "__version__"])
