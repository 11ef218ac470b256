"""The README's Python example runs as it stands, and prints what it says it prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    """The python code block of the README's "Example" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Example\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


def test_readme_install_is_from_the_checkout():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    install = text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert "pip install '.[all]'" in install
    assert not re.search(r"pip install '?hccstats", install)  # no package index serves it


def test_readme_example_runs_from_a_checkout(tmp_path):
    code = readme_example()
    assert 8 <= len([ln for ln in code.splitlines() if ln.strip()]) <= 15
    data = "tests/reference/datasets/birthwt.csv"
    (tmp_path / data).parent.mkdir(parents=True)
    shutil.copy(ROOT / data, tmp_path / data)
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "Low (n = 59)" in out and "Mann–Whitney U" in out and "smoke, n (%)" in out  # Table 1
    assert "Logistic Regression Model" in out and re.search(r"Obs +189", out)  # lrm
    assert "(DeLong)" in out and "AUC = 0.74" in out  # roc / ci_auc
    assert "net_benefit" in out and "Treat" not in out.split("net_benefit")[0]  # dca
    for ext in ("png", "pdf", "svg"):
        assert (tmp_path / f"birthwt_nomogram.{ext}").stat().st_size > 0
