"""Atomic output folders: build in a hidden temporary folder beside ``out``, rename at the end.

A failed or killed run leaves ``out`` as it was (a leftover hidden ``.<name>.partial-*``
folder from a SIGKILL is removed by the next run). An existing non-empty ``out`` is
refused unless ``force``; a folder that holds the inputs is always refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["OutputExistsError", "atomic_dir", "check_out_dir"]

_PARTIAL = ".partial-"


class OutputExistsError(Exception):
    """``out`` exists and is not empty, and ``force`` was not given (or it holds inputs)."""


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def check_out_dir(
    out: str | Path, *, force: bool = False, protect: Iterable[str | Path] = ()
) -> Path:
    """Validate ``out``: raise :class:`OutputExistsError` (one line) when it may not be written."""
    out = Path(out).expanduser().resolve()
    for p in protect:
        p = Path(p).expanduser().resolve()
        if _inside(p, out):
            raise OutputExistsError(f"--out {out}: holds the input {p}; choose another folder")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputExistsError(f"--out {out}: exists and is not empty (use --force to replace it)")
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
    out: str | Path, *, force: bool = False, protect: Iterable[str | Path] = ()
) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` in one rename.

    >>> with atomic_dir("report-out") as tmp:
    ...     _ = (tmp / "report.html").write_text("...")
    >>> sorted(p.name for p in Path("report-out").iterdir())
    ['report.html']
    """
    out = check_out_dir(out, force=force, protect=protect)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_PARTIAL}{os.getpid()}-", dir=out.parent))
    try:
        with _sigterm_as_exit():
            yield tmp
            os.chmod(tmp, 0o755)
            check_out_dir(out, force=force, protect=protect)  # still allowed after the long run
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
