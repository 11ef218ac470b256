"""reports: render a :class:`Report` (sections of tables, figures and text) to files.

It knows no statistics: :mod:`hccstats.report` builds the Report; this package writes
``report.html`` (self-contained), ``report.docx`` (three-line tables), ``tables/*.csv``
(raw, unrounded) and ``figures/*.png`` (300 dpi) + ``*.pdf``. Manuscript formatting lives
in :mod:`reports.formatting` only.

>>> import pandas as pd
>>> from reports import Report, render_all, atomic_dir
>>> from reports import formatting as F
>>> rep = Report("Demo")
>>> sec = rep.section("Results")
>>> t = sec.table("auc", pd.DataFrame({"model": ["A"], "auc": [0.9491], "lo": [0.919], "hi": [0.98]}),
...               caption="Table 1 AUC", formats={"Model": F.col("model", "text"),
...                                               "AUC (95% CI)": F.est_ci("auc", "lo", "hi")})
>>> F.format_table(t.data, t.formats)
  Model         AUC (95% CI)
0     A  0.949 (0.919–0.980)
>>> with atomic_dir("out") as tmp:
...     written = render_all(rep, tmp)
>>> sorted(written)
['report.docx', 'report.html', 'tables/auc.csv']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .background import FigureWriter
from .model import Block, Figure, Report, Section, Table, Text, slug
from .output import MARKER, OutputExistsError, OutputNotWritableError, atomic_dir, check_out_dir
from .tabular import csv_text, json_text, to_jsonable, write_csv, write_json

__all__ = [
    "Report",
    "Section",
    "Table",
    "Figure",
    "Text",
    "Block",
    "slug",
    "atomic_dir",
    "check_out_dir",
    "OutputExistsError",
    "OutputNotWritableError",
    "MARKER",
    "write_csv",
    "write_json",
    "to_jsonable",
    "csv_text",
    "json_text",
    "render_all",
]


def render_all(
    report: Report,
    folder: str | Path,
    *,
    html: bool = True,
    docx: bool = True,
    staged: Mapping[int, tuple[str, Path, Path]] | None = None,
    writer: FigureWriter | None = None,
) -> dict[str, Path]:
    """Write tables (CSV), figures, ``report.docx`` and ``report.html`` into ``folder``;
    ``staged``: figures saved already; ``writer``: the :class:`reports.background.FigureWriter`
    still saving them, each figure then waited for where a renderer first needs it (the
    tables and the report's start are written meanwhile), every save by the end."""
    from .docx import render_docx
    from .figures import PlacedFigures, save_figures
    from .html import render_html

    folder = Path(folder)
    written: dict[str, Path] = {}
    seen: set[str] = set()
    for t in report.tables():
        if t.name in seen:
            raise ValueError(f"two tables named {t.name!r}")
        seen.add(t.name)
        written[f"tables/{t.name}.csv"] = write_csv(t.data, folder / "tables" / f"{t.name}.csv")
    if writer is not None:
        pngs: Mapping[str, Path] = PlacedFigures(report, folder / "figures", writer)
    else:
        figs = save_figures(report, folder / "figures", staged=staged)
        pngs = {name: png for name, (png, _) in figs.items()}
    if docx:
        written["report.docx"] = render_docx(report, folder / "report.docx", pngs)
    if html:
        p = folder / "report.html"
        p.write_text(render_html(report, pngs), encoding="utf-8")
        written["report.html"] = p
    if isinstance(pngs, PlacedFigures):
        pngs.all()
    return written
