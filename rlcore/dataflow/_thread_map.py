"""Concurrent ``for_each`` on threads: the in-process twin of running ``fn`` as Ray tasks.

Examples:
    >>> from rlcore.dataflow.metrics import SharedMetrics
    >>> sorted(concurrent_map(iter([1, 2, 3]), lambda x: x * 2, 2, None, SharedMetrics()))
    [2, 4, 6]
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.metrics import SharedMetrics, _local

UNBOUNDED_THREADS = 32
"""Thread count used for ``max_concurrency=0`` ("unbounded")."""


def _call(fn: Callable[[Any], Any], item: Any, shared: SharedMetrics) -> Any:
    prev = _local.metrics
    _local.metrics = shared.metrics
    try:
        return fn(item)
    finally:
        _local.metrics = prev


def concurrent_map(
    it: Iterator[Any], fn: Callable[[Any], Any], max_concurrency: int, resources: dict | None, shared: SharedMetrics
) -> Iterator[Any]:
    """Runs ``fn`` on items on a thread pool, at most ``max_concurrency`` at once (0: unbounded).

    Results come in completion order; ``NOT_READY`` passes through. ``resources`` is ignored
    (it only has meaning for Ray tasks).
    """
    workers = max_concurrency or UNBOUNDED_THREADS
    in_flight: set[Future[Any]] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rlcore-for_each") as pool:
        for item in it:
            if item is NOT_READY:
                yield item
                continue
            if max_concurrency and len(in_flight) >= max_concurrency:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
            in_flight.add(pool.submit(_call, fn, item, shared))
        while in_flight:
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()
