"""Manuscript formatting, the rules of :mod:`hccstats.formatting` (a leaf module the statistics
and the renderer share): every rule for showing a number lives there, in one place, and is
re-exported here for the renderer and the report."""

from hccstats.formatting import *  # noqa: F403 - the one place's public names, re-exported
from hccstats.formatting import __all__  # noqa: F401
