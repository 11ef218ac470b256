"""Make docs/img/multivariable-table.png: the multivariable table of a clinical-only study
(survival::colon, recurrence; a forward-LR clinical model beside a prespecified model with
``rcs(age, 4)``, ``log(nodes + 1)`` and ``rx * sex``) as report.html shows it at 1280 px.

Needs R with survival (the data) and headless Chromium. Run from the repository root:

    python scripts/multivariable_table_screenshot.py [--out docs/img/multivariable-table.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE_ID = "table3_multivariable"
MODELS = """\
  models:
    Spline model: ["rcs(age, 4)", "log(nodes + 1)", "rx * sex", extent]
"""
#: keep only the table's figure on the page
ONLY_TABLE = f"""<script>
window.addEventListener('load', () => {{
  const t = document.getElementById('{TABLE_ID}');
  document.body.innerHTML = '';
  document.body.appendChild(t);
  t.style.margin = '24px';
  t.style.transform = 'none';
}});
</script>"""


def _study(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_report_tables import COLON_YAML, _colon  # the tests' colon study

    folder.mkdir(parents=True, exist_ok=True)
    _colon().to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(COLON_YAML + MODELS, encoding="utf-8")
    return folder / "study.yaml"


def _crop(png: Path, target: Path, margin: int = 24) -> None:
    from PIL import Image, ImageChops

    img = Image.open(png).convert("RGB")
    box = ImageChops.difference(img, Image.new("RGB", img.size, "white")).getbbox()
    left, top, right, bottom = box
    img.crop((max(left - margin, 0), max(top - margin, 0), right + margin, bottom + margin)).save(
        target, optimize=True
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "multivariable-table.png")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("headless Chromium is needed (scripts/bootstrap.sh --test installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        report = work / "report"
        cmd = [sys.executable, "-m", "hccstats.report", "--config", str(_study(work / "colon"))]
        subprocess.run([*cmd, "--out", str(report), "--no-r", "--quiet"], check=True, cwd=ROOT)
        page = work / "table.html"
        text = (report / "report.html").read_text(encoding="utf-8")
        page.write_text(text.replace("</body>", ONLY_TABLE + "</body>"), encoding="utf-8")
        shot = work / "shot.png"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={work / 'profile'}",
                "--hide-scrollbars",
                "--window-size=1280,1200",
                "--virtual-time-budget=3000",
                f"--screenshot={shot}",
                page.resolve().as_uri(),
            ],  # fmt: skip
            check=True,
            capture_output=True,
            timeout=180,
        )
        _crop(shot, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
