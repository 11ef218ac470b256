"""extract: MRI phases → N4 → 0..255 → largest-slice ROI → VGG19 → 1472 deep features.

Public surface: :func:`run_study` (a cohort, resumable, sharded), :func:`merge_shards`,
:func:`extract_patient` (one patient), :func:`feature_names`, :class:`Settings`,
:class:`ExtractError`.  Knows nothing of hccstats; its tables are documented in
docs/extract.md.  Imports are lazy (torch loads only when needed).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = [
    "run_study",
    "merge_shards",
    "extract_patient",
    "feature_names",
    "Settings",
    "ExtractError",
    "Summary",
]

_LAZY = {
    "run_study": "runner",
    "Summary": "run_setup",
    "merge_shards": "shards",
    "extract_patient": "patient",
    "feature_names": "vgg",
    "Settings": "config",
    "ExtractError": "errors",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")
