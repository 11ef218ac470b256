"""pytest set-up for the docstring examples (``pytest --doctest-modules hccstats reports``).

Each example runs in its own empty temporary folder, so examples that write files (figures,
reports, the demo study) write them there and leave the working tree untouched.
"""

from __future__ import annotations

import matplotlib
import pytest
from _pytest.doctest import DoctestItem

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _doctest_in_tmp_path(request, tmp_path, monkeypatch):
    if isinstance(request.node, DoctestItem):
        monkeypatch.chdir(tmp_path)
    yield
