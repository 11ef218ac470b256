"""Headless Chromium: lay out an HTML page at a given width and measure every table in it."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

MEASURE_JS = """
<script>
window.addEventListener('load', () => {
  const vw = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll('table')].map((t) => {
    const box = t.parentElement;
    const b = box.getBoundingClientRect();
    const cells = [...t.querySelectorAll('th, td')].map((c) => ({
      text: c.textContent, scroll: c.scrollWidth, client: c.clientWidth}));
    return {id: t.closest('figure').id, vw, table_width: t.getBoundingClientRect().width,
            table_left: t.getBoundingClientRect().left,
            box_left: b.left, box_right: b.right, box_scroll: box.scrollWidth,
            box_client: box.clientWidth, overflow: getComputedStyle(box).overflowX, cells};
  });
  const pre = document.createElement('pre');
  pre.id = 'layout-json';
  pre.textContent = JSON.stringify({vw, page_scroll: document.documentElement.scrollWidth, tables});
  document.body.appendChild(pre);
});
</script>
"""


def table_layout(page: Path, work: Path, width: int = 800) -> dict:
    """The page laid out at ``width`` px: viewport, page scroll width and, per table, its box,
    width, overflow style and each cell's scrollWidth / clientWidth (from a script injected into
    a copy of the page, read back with ``--dump-dom``)."""
    probe = work / "probe.html"
    text = page.read_text(encoding="utf-8")
    probe.write_text(text.replace("</body>", MEASURE_JS + "</body>"), encoding="utf-8")
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={work / 'profile'}",
            f"--window-size={width},1000",
            "--virtual-time-budget=3000",
            "--dump-dom",
            probe.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    m = re.search(r'<pre id="layout-json">(.*?)</pre>', proc.stdout, re.S)
    assert m, proc.stderr[-2000:]
    return json.loads(html.unescape(m.group(1)))


def assert_no_clipped_column(layout: dict) -> None:
    """No cell's content is wider than its cell, every table box lies inside the viewport, a
    table wider than its box scrolls inside it (whole), and the page never scrolls sideways."""
    assert layout["page_scroll"] <= layout["vw"]
    for t in layout["tables"]:
        bad = [c["text"] for c in t["cells"] if c["scroll"] > c["client"] + 1]
        assert not bad, (t["id"], bad[:3])
        assert t["box_right"] <= t["vw"] + 0.5, t["id"]
        if t["table_width"] > t["box_client"] + 1:
            assert t["overflow"] in ("auto", "scroll") and t["box_scroll"] >= t["table_width"] - 1
