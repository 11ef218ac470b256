"""Progress bars with an ETA (tqdm) for the slow loops; silent unless asked for."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

__all__ = ["progress_bar", "track"]


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


def track(results: Iterable, total: int, desc: str, enabled: bool = False) -> list:
    """The items of ``results`` (e.g. joblib's ``return_as="generator"``) as a list, with a
    progress bar of ``total`` items when ``enabled``."""
    out = []
    with progress_bar(total, desc, enabled) as bar:
        for item in results:
            out.append(item)
            bar.update(1)
    return out
