"""Atomic output folders: build in a hidden temporary folder beside ``out``, rename at the end.

A failed or killed run leaves ``out`` as it was (a leftover hidden ``.<name>.partial-*``
folder from a SIGKILL is removed by the next run). An existing non-empty ``out`` is
refused unless ``force``, and even then replaced only when a previous run wrote it (it
holds :data:`MARKER`); a folder that holds the inputs, or lies inside an input folder, is
always refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from extract.outdir import input_clash

__all__ = ["OutputExistsError", "OutputNotWritableError", "atomic_dir", "check_out_dir", "MARKER"]

_PARTIAL = ".partial-"
#: written last into every folder :func:`atomic_dir` makes; ``force`` replaces only such folders
MARKER = ".hccstats-report"


class OutputExistsError(Exception):
    """``out`` may not be written: not empty without ``force``, not ours, or it holds inputs."""


class OutputNotWritableError(OutputExistsError):
    """``out`` cannot be created or written (read-only folder, a file in its path)."""


def check_out_dir(
    out: str | Path,
    *,
    force: bool = False,
    protect: Iterable[str | Path] = (),
    within: Iterable[str | Path] = (),
) -> Path:
    """Validate ``out``: raise :class:`OutputExistsError` (one line) when it may not be written.

    ``out`` may not hold (or be) any path of ``protect`` (input files and folders), nor lie
    inside any folder of ``within`` (input folders: images, feature tables). A non-empty
    ``out`` is replaced only with ``force`` and only when it holds :data:`MARKER`, i.e. a
    previous report wrote it.
    """
    clash = input_clash(out, protect, within)  # the check python -m extract makes too
    if clash:
        raise OutputExistsError(clash)
    out = Path(out).expanduser().resolve()
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            what = "exists and is not a folder" if parent == out else f"{parent} is a file"
            raise OutputNotWritableError(f"--out {out}: {what}")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputExistsError(
                f"--out {out}: exists and is not empty (use --force to replace it)"
            )
        if not (out / MARKER).is_file():
            raise OutputExistsError(
                f"--out {out}: not a folder written by a previous report (no {MARKER}); "
                "--force replaces only those: choose another folder"
            )
    return out


def _clean_stale(out: Path) -> None:
    for p in out.parent.glob(f".{out.name}{_PARTIAL}*"):
        if p.is_dir():
            try:
                pid = int(p.name.rsplit("-", 2)[-2])
            except (ValueError, IndexError):
                continue
            if not _pid_alive(pid):
                shutil.rmtree(p, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit, so the temporary folder is removed on ``kill``."""
    try:
        old = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def atomic_dir(
    out: str | Path,
    *,
    force: bool = False,
    protect: Iterable[str | Path] = (),
    within: Iterable[str | Path] = (),
) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` in one rename.

    The folder is ``.<out>.partial-<pid>-*`` beside ``out``; :data:`MARKER` is written into
    it last. ``force``, ``protect`` and ``within``: see :func:`check_out_dir`.

    >>> with atomic_dir("report-out") as tmp:
    ...     _ = (tmp / "report.html").write_text("...")
    >>> sorted(p.name for p in Path("report-out").iterdir())
    ['.hccstats-report', 'report.html']
    """
    out = check_out_dir(out, force=force, protect=protect, within=within)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_PARTIAL}{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputNotWritableError(
            f"--out {out}: cannot write in {out.parent} ({exc.strerror or exc})"
        ) from None
    try:
        with _sigterm_as_exit():
            yield tmp
            os.chmod(tmp, 0o755)
            (tmp / MARKER).write_text(
                "This folder was written by hccstats; --force may replace it.\n", encoding="utf-8"
            )
            # still allowed after the long run
            check_out_dir(out, force=force, protect=protect, within=within)
            old = None
            if out.exists():
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(out, old)
            os.replace(tmp, out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
