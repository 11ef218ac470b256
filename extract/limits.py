"""The limits of extract's settings, as checks with no dependencies.

:class:`extract.config.Settings` refuses a value through :func:`settings_problem`, and so does
hccstats' study check for the ``analysis:`` keys that set extraction (``crop_size``,
``n4_iterations``, ``n4_convergence``): a value extraction would refuse is refused when the
study is loaded, naming the key, before anything runs.
"""

from __future__ import annotations

__all__ = ["MIN_SIZE", "settings_problem"]

#: the smallest crop side VGG19 takes (it halves the image four times)
MIN_SIZE = 32


def _positive_ints(values) -> bool:
    try:
        return len(values) > 0 and all(int(v) == v and v >= 1 for v in values)
    except TypeError:
        return False


def settings_problem(
    *, size=None, n4_iterations=None, n4_convergence=None, n4_shrink=None, margin=None
) -> tuple[str, str] | None:
    """The first value extraction refuses, as (setting, why); None when all are fine.

    A value left out (None) is not checked.
    """
    if size is not None and not size >= MIN_SIZE:
        return "size", f"must be at least {MIN_SIZE} (VGG19 halves it four times), not {size}"
    if n4_iterations is not None and not _positive_ints(n4_iterations):
        return (
            "n4_iterations",
            f"must be a non-empty list of positive integers, not {n4_iterations}",
        )
    if n4_convergence is not None and not 0 < n4_convergence < 1:
        return "n4_convergence", f"must lie above 0 and below 1, not {n4_convergence}"
    if n4_shrink is not None and not n4_shrink >= 1:
        return "n4_shrink", f"must be a positive integer, not {n4_shrink}"
    if margin is not None and not margin >= 0:
        return "margin", f"must be non-negative, not {margin}"
    return None
