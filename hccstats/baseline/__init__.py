"""Baseline characteristics (Table 1) and the two-group tests behind it, with R's defaults.

R equivalents: ``tableone::CreateTableOne``, ``wilcox.test``, ``chisq.test``, ``fisher.test``,
``kruskal.test``.
"""

from ._table_one import TableOne, table_one
from ._tests import (
    ChisqTest,
    FisherTooLarge,
    WilcoxonTest,
    chisq_test,
    fisher_test,
    kruskal_test,
    wilcox_test,
)

__all__ = [
    "TableOne",
    "table_one",
    "wilcox_test",
    "chisq_test",
    "fisher_test",
    "kruskal_test",
    "FisherTooLarge",
    "WilcoxonTest",
    "ChisqTest",
]
