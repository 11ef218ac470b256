"""Logistic regression equal to R: ``lrm`` (glm / rms::lrm), ``univariate``, SPSS-style
``forward_lr``, and ``vif`` (car::vif)."""

from ._lrm import LogisticFit, lrm

__all__ = ["lrm", "LogisticFit"]
