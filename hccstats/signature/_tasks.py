"""The signature search's tasks run in order, here and in worker processes at once.

With ``n_jobs = n > 1`` on this machine, ``n - 1`` worker processes (joblib's reusable loky
executor) and this process share the tasks: this process is warm (everything imported,
compiled functions loaded) and starts at once, while each fresh worker spends a second or
two importing before its first task. The workers take tasks from the front of the list, this
process from the back; each worker always has a second task queued, so it never waits for
this process. The results come back in task order and do not depend on ``n`` (every task's
seed is fixed before it runs). On a Dask cluster the tasks go through joblib's Dask backend
instead (:func:`run_tasks` with ``jobs`` from ``_workers``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait

from joblib import Parallel, delayed, effective_n_jobs

from .._progress import progress_bar

__all__ = ["run_tasks"]

#: tasks queued per worker process (one running, one waiting)
QUEUED_PER_WORKER = 2


def run_tasks(
    func: Callable,
    tasks: Sequence[tuple],
    n_jobs: int | None,
    *,
    desc: str,
    progress: bool = False,
    joblib_backend: bool = False,
) -> list:
    """``[func(*args) for args in tasks]``, computed by ``n_jobs`` processes (this one
    included). ``joblib_backend``: hand the tasks to the active joblib backend instead
    (a Dask cluster's workers)."""
    with progress_bar(len(tasks), desc, progress) as bar:
        if joblib_backend:
            out = []
            for item in Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(func)(*args) for args in tasks
            ):
                out.append(item)
                bar.update(1)
            return out
        n = min(effective_n_jobs(n_jobs), len(tasks))
        if n <= 1:
            out = []
            for args in tasks:
                out.append(func(*args))
                bar.update(1)
            return out
        return _shared(func, tasks, n - 1, bar)


def _shared(func: Callable, tasks: Sequence[tuple], n_workers: int, bar) -> list:
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=n_workers)
    pending = deque(range(len(tasks)))
    running: dict = {}  # future -> task index
    results: list = [None] * len(tasks)

    def top_up() -> None:
        while pending and len(running) < QUEUED_PER_WORKER * n_workers:
            i = pending.popleft()
            running[executor.submit(func, *tasks[i])] = i

    def collect(done) -> None:
        for future in done:
            results[running.pop(future)] = future.result()
            bar.update(1)

    try:
        top_up()
        while pending or running:
            if pending:
                i = pending.pop()
                results[i] = func(*tasks[i])
                bar.update(1)
                collect([f for f in running if f.done()])
            else:
                collect(wait(running, return_when=FIRST_COMPLETED).done)
            top_up()
    except BaseException:
        for future in running:
            future.cancel()
        raise
    return results
