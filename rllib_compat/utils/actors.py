"""RLlib 1.x import path ``ray.rllib.utils.actors``: ``TaskPool``, the in-flight actor call tracker.

1.x's async optimizers and custom execution code keep one or more calls in flight per actor:
``pool.add(worker, obj_ref)`` when submitting, ``for worker, obj_ref in pool.completed():`` to
collect the finished ones (without blocking, or waiting up to ``timeout`` seconds with
``blocking_wait=True``), then submit again. ``completed_prefetch`` hands out at most
``max_yield`` finished calls per call and keeps the rest queued; ``reset_workers`` forgets the
calls of workers that were removed. Ray is imported when a pool is first polled.

Examples:
    >>> pool = TaskPool()
    >>> pool.count, list(pool.completed())
    (0, [])
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, Dict, Iterable, Iterator, Tuple

__all__ = ["TaskPool"]


class TaskPool:
    """Tracks in-flight actor calls: ``{first ObjectRef: worker}`` plus all refs of each call.

    Args:
        timeout: How long ``completed(blocking_wait=True)`` waits for one call (RLlib 1.x: 10 s).
    """

    def __init__(self, timeout: float = 10.0):
        self._tasks: Dict[Any, Any] = {}
        self._objects: Dict[Any, Any] = {}
        self._fetching: Deque[Tuple[Any, Any]] = deque()
        self._timeout = float(timeout)

    def add(self, worker: Any, all_obj_refs: Any) -> None:
        """Records a call of ``worker``: one ObjectRef, or a list of them (tracked by the first)."""
        obj_ref = all_obj_refs[0] if isinstance(all_obj_refs, list) else all_obj_refs
        self._tasks[obj_ref] = worker
        self._objects[obj_ref] = all_obj_refs

    def completed(self, blocking_wait: bool = False) -> Iterator[Tuple[Any, Any]]:
        """Yields ``(worker, obj_refs)`` for every finished call and stops tracking them.

        Args:
            blocking_wait: When nothing has finished, wait up to ``timeout`` seconds for one call.
        """
        pending = list(self._tasks)
        if not pending:
            return
        import ray

        ready, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
        if not ready and blocking_wait:
            ready, _ = ray.wait(pending, num_returns=1, timeout=self._timeout)
        for obj_ref in ready:
            yield self._tasks.pop(obj_ref), self._objects.pop(obj_ref)

    def completed_prefetch(self, blocking_wait: bool = False, max_yield: int = 999) -> Iterator[Tuple[Any, Any]]:
        """Like :meth:`completed`, but hands out at most ``max_yield`` calls; the rest wait in a queue."""
        for worker, obj_ref in self.completed(blocking_wait=blocking_wait):
            self._fetching.append((worker, obj_ref))
        for _ in range(max_yield):
            if not self._fetching:
                break
            yield self._fetching.popleft()

    def reset_workers(self, workers: Iterable[Any]) -> None:
        """Forgets the calls (pending or queued) of workers that are not in ``workers``."""
        keep = list(workers)
        for obj_ref, worker in list(self._tasks.items()):
            if worker not in keep:
                del self._tasks[obj_ref]
                del self._objects[obj_ref]
        for _ in range(len(self._fetching)):  # the same deque: generators in flight see the change
            worker, obj_ref = self._fetching.popleft()
            if worker in keep:
                self._fetching.append((worker, obj_ref))

    @property
    def count(self) -> int:
        """How many calls are in flight."""
        return len(self._tasks)
