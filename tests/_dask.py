"""A local Dask cluster for the tests that run work on one: two workers of one thread each,
threads of the test process (no processes to start), its web server on a free port
(port 8787 may be taken by another cluster on the machine)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[str]:
    """The scheduler address of a ``distributed.LocalCluster`` (skips without distributed)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address
