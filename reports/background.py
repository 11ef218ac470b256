"""Saving figures while the caller goes on: each save runs in a forked child process.

A matplotlib figure is saved from the very objects the caller drew (a forked child shares
them, nothing is pickled), so the files are the bytes a save in the caller would write.
By default it forks on Linux only (macOS's system libraries are not safe to use in a forked
child of a threaded process; Windows has no ``os.fork``); elsewhere, or with ``fork=False``,
each save runs at once in the caller, as before. :meth:`FigureWriter.finish` waits for the children
and raises the first error a child met (the same exception, with its message).

>>> writer = FigureWriter(tmp / "staged")  # doctest: +SKIP
>>> writer.save([section.figure("fig_roc", fig)])  # doctest: +SKIP
>>> staged = writer.finish()  # doctest: +SKIP
>>> save_figures(report, out / "figures", staged=staged)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .model import Figure

__all__ = ["FigureWriter"]

Staged = dict[int, tuple[str, Path, Path]]  # id(Figure) -> (name, png, pdf)


class FigureWriter:
    """Figures saved in forked children; :meth:`finish` returns where each one lies.

    Parameters
    ----------
    folder : Path
        Scratch folder for the staged files (one subfolder per figure, so two figures of the
        same name never race); :func:`reports.figures.save_figures` moves them into place.
    fork : bool, optional
        ``False`` saves in the caller; ``True`` forks wherever ``os.fork`` exists; default:
        fork on Linux.
    """

    def __init__(self, folder: str | Path, *, fork: bool | None = None):
        self.folder = Path(folder)
        able = hasattr(os, "fork")
        self.fork = (able and sys.platform.startswith("linux")) if fork is None else fork and able
        self._children: list[tuple[int, int]] = []  # (pid, read end of its error pipe)
        self._staged: Staged = {}
        self._child_of: dict[int, tuple[int, int]] = {}  # id(Figure) -> the child saving it

    def save(self, figures: Iterable[Figure]) -> None:
        """Save matplotlib-backed figure blocks (PNG and PDF), each in its own background
        child (several figures are saved side by side where cores are free); a figure already
        given, or one backed by files, is left to the renderer."""
        from .figures import save_one

        for fig in figures:
            if id(fig) in self._staged or not hasattr(fig.source, "savefig"):
                continue
            where = self.folder / str(len(self._staged))
            where.mkdir(parents=True, exist_ok=True)
            self._staged[id(fig)] = (fig.name, where / f"{fig.name}.png", where / f"{fig.name}.pdf")
            self.call(save_one, fig, where)
            if self._children:
                self._child_of[id(fig)] = self._children[-1]

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (it writes files) in a child; its return value is dropped."""
        if not self.fork:
            fn(*args)
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: save, report an error through the pipe, never return
            code = 0
            try:
                os.close(read)
                gc.disable()  # the caller's objects are its own to collect
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - every error goes back to the caller
                code = 1
                _send(write, exc)
            finally:
                os._exit(code)
        os.close(write)
        self._children.append((pid, read))

    def staged(self, fig: Figure) -> tuple[str, Path, Path] | None:
        """Where ``fig`` was saved (name, PNG, PDF), once its child has ended (waited for
        here; its error raised); None for a figure this writer was not given."""
        child = self._child_of.pop(id(fig), None)
        if child is not None and child in self._children:
            self._children.remove(child)
            exc = _wait(*child)
            if exc is not None:
                raise exc
        return self._staged.get(id(fig))

    def finish(self) -> Staged:
        """Wait for every child; raise the first error one met; the staged figures."""
        errors = [_wait(pid, read) for pid, read in self._children]
        self._children = []
        self._child_of = {}
        for exc in errors:
            if exc is not None:
                raise exc
        return dict(self._staged)

    def close(self) -> None:
        """End and reap every child still saving (a run that stops early: its files are not
        wanted); after :meth:`finish` there is none."""
        for pid, read in self._children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait(pid, read)
        self._children = []
        self._child_of = {}


def _send(fd: int, exc: BaseException) -> None:
    try:
        data = pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its text
        data = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _wait(pid: int, read: int) -> BaseException | None:
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if data:
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a child ended while it wrote its error
            return RuntimeError(f"figure writer process {pid} failed (status {status})")
    if status != 0:
        return RuntimeError(f"figure writer process {pid} ended with status {status}")
    return None
