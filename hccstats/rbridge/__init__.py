"""The bridge to R (through rpy2): run R code on Python values and get Python values back.

hccstats computes everything in Python; this package recomputes the same numbers in R
(pROC, rms, car, stats) for the report's cross-check and for the tests. rpy2 and R are
imported lazily, on the first call, so ``import hccstats`` never starts R.

Example
-------
>>> from hccstats import rbridge
>>> rbridge.run("wilcox.test(x, y)$p.value", x=[1.0, 2.5, 3.1], y=[4.0, 5.2, 6.3])  # doctest: +SKIP
0.1
"""

from ._core import RError, RWarning, r_available, r_versions, require_r, run, to_py

__all__ = ["run", "to_py", "r_available", "require_r", "r_versions", "RError", "RWarning"]
