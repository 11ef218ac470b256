"""One self-contained HTML file: journal CSS inline, figures embedded as base64 PNG."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path

from .formatting import typeset
from .layout import group_runs, header_groups, numeric_columns
from .model import Figure, Report, Table, Text, slug

__all__ = ["render_html", "CSS"]

CSS = """
:root { --ink: #1a1a1a; --muted: #5f6368; --rule: #1a1a1a; --accent: #1f4e79; }
* { box-sizing: border-box; }
body { font-family: "Source Serif Pro", Georgia, "DejaVu Serif", serif; color: var(--ink);
       max-width: 1040px; margin: 2.5rem auto; padding: 0 1.5rem; line-height: 1.5; background: #fff; }
h1 { font-size: 1.75rem; line-height: 1.25; margin-bottom: .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #d0d0d0; padding-bottom: .25rem; color: var(--accent); }
.subtitle { color: var(--muted); margin-top: 0; white-space: pre-line; }
nav.toc { font-size: .9rem; columns: 2; margin: 1.5rem 0; padding: .75rem 1rem; background: #f6f7f9; border-radius: 4px; }
nav.toc a { color: var(--accent); text-decoration: none; display: block; }
.status { font-family: system-ui, sans-serif; font-size: .75rem; padding: .1rem .45rem; border-radius: 3px;
          margin-left: .5rem; vertical-align: middle; font-weight: 600; }
.status.failed { background: #fde2e1; color: #a50e0e; }
.status.not-available { background: #eceff1; color: #455a64; }
figure.table { margin: 1.75rem 0 1.75rem 50%; width: max-content; min-width: 100%;
               max-width: calc(100vw - 2rem); transform: translateX(-50%); }
.table-scroll { overflow-x: auto; max-width: 100%; }
figure.table figcaption, figure.fig figcaption { font-size: .95rem; margin-bottom: .4rem; text-align: left; }
figure.fig figcaption { margin-top: .4rem; }
table.three-line { border-collapse: collapse; font-family: system-ui, "DejaVu Sans", sans-serif; font-size: .85rem;
                   border-top: 2px solid var(--rule); border-bottom: 2px solid var(--rule); width: auto; min-width: 60%; }
table.three-line thead th { border-bottom: 1px solid var(--rule); text-align: left; font-weight: 600; padding: .35rem .7rem;
                            vertical-align: bottom; }
table.three-line td { padding: .25rem .7rem; text-align: left; vertical-align: top; overflow-wrap: normal; }
table.three-line td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.three-line th.num { text-align: right; }
figure.table > figcaption, figure.table > .footnote { width: 0; min-width: 100%; }  /* wrap at the table */
table.three-line thead th.span { text-align: center; padding-bottom: .15rem; }
.footnote { font-size: .8rem; color: var(--muted); margin-top: .35rem; max-width: 900px; }
figure.fig { margin: 1.75rem 0; }
figure.fig img { max-width: 100%; height: auto; border: 1px solid #eee; }
p.note { font-size: .85rem; color: var(--muted); }
p.error { font-family: system-ui, sans-serif; font-size: .9rem; background: #fff4f4; border-left: 4px solid #c62828;
          padding: .5rem .75rem; }
div.alert { font-family: system-ui, sans-serif; font-size: .95rem; background: #fff8e1; border: 2px solid #c62828;
            border-radius: 4px; padding: .6rem .9rem; margin: 1rem 0; }
pre { white-space: pre-wrap; font-size: .8rem; background: #f6f7f9; padding: .75rem; }
@media print { nav.toc { display: none; } body { margin: 0; } }
"""

_LABEL = re.compile(r"^((?:Supplementary )?(?:Table|Fig\.|Figure) [A-Za-z0-9.]+)")


def caption_html(caption: str) -> str:
    caption = typeset(caption)
    m = _LABEL.match(caption)
    if not m:
        return html.escape(caption)
    return f"<b>{html.escape(m.group(1))}</b>{html.escape(caption[m.end() :])}"


def _table(t: Table) -> str:
    """A three-line table; numeric columns right-aligned and unwrapped, text columns wrap, and a
    table wider than the page scrolls inside its own box (no column is ever cut off)."""
    disp = t.display()
    numeric = numeric_columns(disp)
    num = [' class="num"' if n else "" for n in numeric]
    head = _head(disp.columns, num)
    rows = []
    for rec in disp.itertuples(index=False):
        cells = []
        for v, cls in zip(rec, num):
            s = str(v)
            indent = len(s) - len(s.lstrip(" "))  # leading spaces indent a level under its variable
            cells.append(f"<td{cls}>{'&nbsp;' * indent}{html.escape(s.lstrip(' '))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    foot = f'<div class="footnote">{html.escape(typeset(t.footnote))}</div>' if t.footnote else ""
    return (
        f'<figure class="table" id="{slug(t.name)}"><figcaption>{caption_html(t.caption)}</figcaption>'
        f'<div class="table-scroll"><table class="three-line"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{foot}</figure>"
    )


def _head(columns, num: list[str]) -> str:
    """The header row(s): model names span their columns above them (a second row) when
    adjacent headers share a "Model: " prefix; other headers span both rows."""
    groups = header_groups(columns)
    if all(g is None for g, _ in groups):
        return (
            "<tr>"
            + "".join(f"<th{c}>{html.escape(str(h))}</th>" for h, c in zip(columns, num))
            + "</tr>"
        )
    top, i = [], 0
    for g, k in group_runs(groups):
        if g is None:
            top.append(f'<th rowspan="2"{num[i]}>{html.escape(groups[i][1])}</th>')
        else:
            top.append(f'<th colspan="{k}" class="span">{html.escape(g)}</th>')
        i += k
    sub = [f"<th{c}>{html.escape(h)}</th>" for (g, h), c in zip(groups, num) if g is not None]
    return f"<tr>{''.join(top)}</tr><tr>{''.join(sub)}</tr>"


def _figure(f: Figure, png: Path) -> str:
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (
        f'<figure class="fig" id="{slug(f.name)}"><img alt="{html.escape(f.caption or f.name)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption_html(f.caption)}</figcaption></figure>'
    )


def _text(t: Text) -> str:
    if t.style == "pre":
        return f"<pre>{html.escape(t.text)}</pre>"
    cls = f' class="{t.style}"' if t.style != "body" else ""
    return f"<p{cls}>{html.escape(typeset(t.text))}</p>"


def render_html(report: Report, pngs: Mapping[str, Path]) -> str:
    """The report as one HTML document; ``pngs`` maps figure name → saved PNG file."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    if report.subtitle:
        parts.append(f'<p class="subtitle">{html.escape(report.subtitle)}</p>')
    for alert in report.alerts:
        parts.append(f'<div class="alert" role="alert"><b>Warning:</b> {html.escape(alert)}</div>')
    toc = "".join(
        f'<a href="#sec-{i}">{i}. {html.escape(s.title)}</a>'
        for i, s in enumerate(report.sections, 1)
    )
    parts.append(f'<nav class="toc">{toc}</nav>')
    for i, sec in enumerate(report.sections, 1):
        badge = ""
        if sec.status != "ok":
            badge = f'<span class="status {slug(sec.status).replace("_", "-")}">{html.escape(sec.status)}</span>'
        parts.append(
            f'<section id="sec-{i}"><h2>{i}. {html.escape(typeset(sec.title))}{badge}</h2>'
        )
        if sec.message:
            parts.append(f'<p class="error">{html.escape(typeset(sec.message))}</p>')
        for b in sec.blocks:
            if isinstance(b, Table):
                parts.append(_table(b))
            elif isinstance(b, Figure):
                parts.append(_figure(b, pngs[b.name]))
            else:
                parts.append(_text(b))
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
