"""reports.background: figures saved in forked children give the bytes of a save in the caller."""

from __future__ import annotations

import errno
import os
import sys
import time

import pytest
from matplotlib.figure import Figure as MplFigure

from reports import Report
from reports.background import FigureWriter
from reports.figures import save_figures

fork_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the writer forks on Linux only"
)


def _report() -> Report:
    rep = Report("Figures")
    sec = rep.section("Results")
    for name, slope in (("fig_a", 1.0), ("fig_b", -0.5)):
        fig = MplFigure(figsize=(3.4, 2.6))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [0, slope, 2 * slope], label=name)
        ax.legend()
        sec.figure(name, fig, caption=f"{name}: a line")
    return rep


def _bytes(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@fork_only
def test_figures_saved_in_children_are_the_bytes_of_a_save_in_the_caller(tmp_path):
    rep = _report()
    direct = save_figures(rep, tmp_path / "direct")
    writer = FigureWriter(tmp_path / "staged")
    writer.save(rep.figures())
    assert len(writer._children) == 2, "each figure saved in its own child process"
    staged = writer.finish()
    assert {name for name, _, _ in staged.values()} == {"fig_a", "fig_b"}
    moved = save_figures(rep, tmp_path / "moved", staged=staged)
    assert sorted(moved) == sorted(direct)
    assert _bytes(tmp_path / "moved") == _bytes(tmp_path / "direct")
    assert len(_bytes(tmp_path / "moved")) == 4  # PNG and PDF of each


@fork_only
def test_a_figure_left_out_or_renamed_after_staging_is_saved_by_the_renderer(tmp_path):
    rep = _report()
    writer = FigureWriter(tmp_path / "staged")
    writer.save(rep.figures()[:1])
    staged = writer.finish()
    rep.figures()[0].name = "fig_renamed"
    out = save_figures(rep, tmp_path / "out", staged=staged)
    assert sorted(out) == ["fig_b", "fig_renamed"]
    assert sorted(_bytes(tmp_path / "out")) == [
        "fig_b.pdf",
        "fig_b.png",
        "fig_renamed.pdf",
        "fig_renamed.png",
    ]


def _full_disk(path):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


@fork_only
def test_a_child_error_is_raised_by_finish_with_its_type_errno_and_file(tmp_path):
    writer = FigureWriter(tmp_path)
    writer.call(_full_disk, tmp_path / "x.png")
    with pytest.raises(OSError) as info:
        writer.finish()
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "x.png")
    assert writer.finish() == {}  # the child was reaped once


def test_without_fork_each_save_runs_at_once_in_the_caller(tmp_path):
    writer = FigureWriter(tmp_path / "staged", fork=False)
    writer.save(_report().figures())
    assert not writer._children
    assert sorted(p.name for p in (tmp_path / "staged").rglob("*.p*")) == [
        "fig_a.pdf",
        "fig_a.png",
        "fig_b.pdf",
        "fig_b.png",
    ]
    with pytest.raises(OSError, match="No space left"):
        writer.call(_full_disk, tmp_path / "x.png")


@fork_only
def test_close_ends_the_children_of_a_run_that_stops(tmp_path):
    writer = FigureWriter(tmp_path)
    writer.call(time.sleep, 30)  # a child that would outlive the run
    pid = writer._children[0][0]
    writer.close()
    assert not writer._children
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # reaped


@fork_only
def test_render_all_waits_for_each_figure_where_it_is_needed_tables_first(tmp_path):
    import pandas as pd

    from reports import render_all
    from reports.figures import PlacedFigures

    rep = _report()
    rep.sections[0].table("counts", pd.DataFrame({"n": [1, 2]}), caption="Table 1 Counts")
    writer = FigureWriter(tmp_path / "staged")
    writer.save(rep.figures())
    placed = PlacedFigures(rep, tmp_path / "placed", writer)
    assert placed["fig_a"].read_bytes()[:4] == b"\x89PNG"
    assert len(writer._children) == 1  # fig_b's save was not waited for
    assert sorted(placed.all()) == ["fig_a", "fig_b"] and not writer._children

    writer = FigureWriter(tmp_path / "staged2")
    writer.save(rep.figures())
    seen, staged = [], writer.staged

    def first_wait(fig):
        seen.append(sorted(p.name for p in (tmp_path / "out" / "tables").iterdir()))
        return staged(fig)

    writer.staged = first_wait
    written = render_all(rep, tmp_path / "out", writer=writer)
    assert seen[0] == ["counts.csv"]  # the tables were written before any figure was awaited
    assert "report.docx" in written and "report.html" in written and not writer._children
    save_figures(rep, tmp_path / "direct")
    assert _bytes(tmp_path / "out" / "figures") == _bytes(tmp_path / "direct")
