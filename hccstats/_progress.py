"""Progress bars with an ETA (tqdm) for the slow loops; silent unless asked for."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["progress_bar"]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


@contextlib.contextmanager
def progress_bar(total: int, desc: str, enabled: bool = False) -> Iterator[object]:
    """A tqdm bar on stderr (``update(n)`` after each unit of work, ETA from the rate so
    far) when ``enabled``, else an object whose ``update`` does nothing."""
    if not enabled:
        yield _Silent()
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="it", leave=False, dynamic_ncols=True) as bar:
        yield bar
