"""``import hccstats``: the public API and nothing else, each name documented and importable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hccstats as hs

ROOT = Path(__file__).resolve().parents[1]


def test_dir_shows_only_the_public_api():
    assert dir(hs) == sorted([*hs.__all__, "__version__"])
    assert not {"Any", "annotations", "importlib"} & set(dir(hs))


def test_every_public_name_resolves_and_is_documented():
    docs = "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    for name in hs.__all__:
        assert getattr(hs, name) is not None, name
        assert f"{name}" in docs, f"{name} is public but no page of docs/ names it"


def test_import_starts_neither_r_nor_heavy_libraries():
    code = (
        "import sys, hccstats; "
        "print(sorted(m for m in ('rpy2', 'torch', 'sklearn', 'matplotlib', 'statsmodels') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
