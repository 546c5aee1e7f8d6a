"""``RayBackend``: shards are Ray actors; one shared ``ray.wait`` loop gathers from them.

:func:`wait_loop` keeps requests in flight per actor and yields results in completion order; it
drives ``gather_async`` (``num_async`` requests per actor) and ``repartition`` (slices pulled
from every old actor). Every ``ray.wait`` and ``ray.get`` here carries a timeout: a blocking
wait is a loop of :data:`POLL_S` waits, and a dead actor's requests complete with
``RayActorError`` at once, so death is reported (as a ``ShardError`` naming shard and stage) in
bounded time instead of hanging.

Ray is imported when this module is, which only happens once a plan uses actors.

A plan over actors (needs ``ray.init()`` first)::

    from rlcore.dataflow import from_range
    from_range(4, num_shards=2, backend="ray").gather_sync().take(4)   # [0, 2, 1, 3]

Examples:
    >>> RayBackend.name
    'ray'
    >>> list(wait_loop({}, resubmit=lambda key: None, timeout=None))  # nothing in flight
    []
"""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable, Iterator, Sequence

import ray

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.metrics import SharedMetrics
from rlcore.dataflow.shard_backend import MetricsGetter, Shard, ShardBackend, report_fault
from rlcore.dataflow.shard_error import ShardError
from rlcore.dataflow.worker import ParallelIteratorWorker

POLL_S = 1.0
"""Longest single ``ray.wait`` of a blocking loop; the loop re-checks between waits."""

GET_TIMEOUT_S = 60.0
"""Timeout of ``ray.get`` on a reference ``ray.wait`` reported ready (it should return at once)."""

BATCH_WAIT_AFTER_S = 0.002
"""If the consumer took longer than this since the last wait, first collect every ready result
with one non-blocking wait; otherwise block for the next one directly (one call per result)."""

INIT_TIMEOUT_S = 120.0
"""How long shards may take to answer ``par_iter_init`` (actor start-up included)."""


def wait_loop(
    futures: dict[Any, Hashable],
    resubmit: Callable[[Hashable], Any],
    timeout: float | None,
) -> Iterator[tuple[str, Hashable, Any]]:
    """The shared gather loop: waits on ``futures`` and yields what completes, in order of completion.

    Each ready request is fetched and immediately resubmitted for its key (so the number in
    flight per key stays constant) unless its shard is exhausted or failed.

    Args:
        futures: ``ObjectRef -> key`` of requests in flight (mutated).
        resubmit: ``key -> ObjectRef`` of the next request for that key.
        timeout: ``None`` blocks until something is ready; a number waits at most that long per
            round and then yields ``("not_ready", None, None)``.

    Yields:
        ``("items", key, value)``, ``("fault", key, exception)`` or ``("not_ready", None, None)``.
    """
    last_wait = time.perf_counter()
    while futures:
        pending = list(futures)
        if timeout is None:
            ready = []
            if len(pending) > 1 and time.perf_counter() - last_wait > BATCH_WAIT_AFTER_S:
                # The consumer was away a while: several results are likely ready; take them all
                # in one call (RLlib Flow's batched wait).
                ready, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
            while not ready:  # block, in bounded steps, for the first one
                ready, _ = ray.wait(pending, num_returns=1, timeout=POLL_S)
            last_wait = time.perf_counter()
        else:
            ready, _ = ray.wait(pending, num_returns=len(pending), timeout=timeout)
        for ref in ready:
            if ref not in futures:  # dropped meanwhile (its shard failed)
                continue
            key = futures.pop(ref)
            try:
                value = ray.get(ref, timeout=GET_TIMEOUT_S)
            except StopIteration:  # RayTaskError(StopIteration): this shard is exhausted
                continue
            except Exception as err:
                yield ("fault", key, err)
                continue
            futures[resubmit(key)] = key
            yield ("items", key, value)
        if timeout is not None:
            yield ("not_ready", None, None)


def wait_all(refs: list[Any], timeout: float | None) -> bool:
    """Waits until every ref is ready (``True``), or ``timeout`` passed (``False``)."""
    if timeout is not None:
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        return len(ready) == len(refs)
    while True:
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=POLL_S)
        if len(ready) == len(refs):
            return True


class RayBackend(ShardBackend):
    """Shards are Ray actor handles of ``ParallelIteratorWorker`` (or subclasses)."""

    name = "ray"

    def create_workers(self, generators: Sequence[Any], repeat: bool) -> list[Any]:
        if not ray.is_initialized():
            raise RuntimeError(
                "backend='ray' needs a running Ray: call ray.init() first, or use "
                "backend='inprocess'"
            )
        worker_cls = ray.remote(ParallelIteratorWorker)
        return [worker_cls.remote(g, repeat) for g in generators]

    def init(self, shards: Sequence[Shard], transforms: list[Any], pipeline: str, metrics: MetricsGetter) -> list[Shard]:
        refs = [a.par_iter_init.remote(transforms) for _, a in shards]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=INIT_TIMEOUT_S)
        ready_set = set(ready)
        live = []
        for (index, actor), ref in zip(shards, refs):
            try:
                if ref not in ready_set:
                    raise TimeoutError(f"no answer to par_iter_init within {INIT_TIMEOUT_S} s")
                ray.get(ref, timeout=GET_TIMEOUT_S)
            except Exception as err:
                report_fault(metrics, index, pipeline, "par_iter_init", err)
            else:
                live.append((index, actor))
        return live

    def sync_rounds(
        self, shards: Sequence[Shard], pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        active = list(shards)
        futures = [a.par_iter_next.remote() for _, a in active]
        while active:
            if not wait_all(futures, timeout):
                yield NOT_READY
                continue
            results, survivors, failed = [], [], False
            for (index, actor), ref in zip(active, futures):
                try:
                    results.append(ray.get(ref, timeout=GET_TIMEOUT_S))
                except StopIteration:
                    continue
                except Exception as err:
                    report_fault(metrics, index, pipeline, stage, err)
                    failed = True
                    continue
                survivors.append((index, actor))
            active = survivors
            if results:
                yield results
            elif failed:
                yield NOT_READY
            # Ask for the next round only now: the consumer has handled this one (fetch ordering,
            # e.g. weights are broadcast before the next synchronous sample).
            futures = [a.par_iter_next.remote() for _, a in active]
            if timeout is not None:
                yield NOT_READY

    def async_items(
        self,
        shards: Sequence[Shard],
        batch_ms: float,
        num_async: int,
        pipeline: str,
        stage: str,
        metrics: MetricsGetter,
        timeout: float | None,
    ) -> Iterator[Any]:
        by_index = dict(shards)
        futures: dict[Any, Hashable] = {}
        for _ in range(num_async):
            for index, actor in shards:
                futures[actor.par_iter_next_batch.remote(batch_ms)] = index

        def resubmit(index: Hashable) -> Any:
            return by_index[index].par_iter_next_batch.remote(batch_ms)

        for kind, index, value in wait_loop(futures, resubmit, timeout):
            if kind == "items":
                metrics().current_actor = by_index[index]
                yield from value
            elif kind == "fault":
                _drop(futures, index)
                report_fault(metrics, index, pipeline, stage, value)
                yield NOT_READY
            else:
                yield NOT_READY

    def shard_items(
        self, shard: Shard, batch_ms: float, num_async: int, pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        index, actor = shard
        queue = [actor.par_iter_next_batch.remote(batch_ms) for _ in range(num_async)]
        while queue:
            if not wait_all(queue[:1], timeout):
                yield NOT_READY
                continue
            try:
                batch = ray.get(queue.pop(0), timeout=GET_TIMEOUT_S)
            except StopIteration:
                return
            except Exception as err:
                report_fault(metrics, index, pipeline, stage, err)
                yield NOT_READY
                return
            queue.append(actor.par_iter_next_batch.remote(batch_ms))
            yield from batch
            if timeout is not None:
                yield NOT_READY

    def slice_items(self, shards: Sequence[Shard], step: int, start: int, batch_ms: float, pipeline: str) -> Iterator[Any]:
        by_index = dict(shards)

        def request(index: Hashable) -> Any:
            return by_index[index].par_iter_slice_batch.remote(step=step, start=start, batch_ms=batch_ms)

        futures = {request(index): index for index, _ in shards}
        for kind, index, value in wait_loop(futures, request, None):
            if kind == "items":
                yield from value
            elif kind == "fault":
                raise ShardError.from_exception(index, pipeline, value, default_stage="repartition")

    def stats(self, shard: Any) -> list[tuple[str, int, float]]:
        try:
            return list(ray.get(shard.par_iter_stats.remote(), timeout=10.0))
        except AttributeError:  # an actor class without par_iter_stats
            return []


def _drop(futures: dict[Any, Hashable], index: Hashable) -> None:
    for ref in [r for r, k in futures.items() if k == index]:
        del futures[ref]


def concurrent_map(
    it: Iterator[Any], fn: Callable[[Any], Any], max_concurrency: int, resources: dict | None, shared: SharedMetrics
) -> Iterator[Any]:
    """Runs ``fn`` on items as Ray tasks, at most ``max_concurrency`` at once (0: unbounded).

    Results come in completion order; ``NOT_READY`` passes through without a task.
    """
    remote_fn = ray.remote(fn).options(**(resources or {})).remote
    in_flight: list[Any] = []

    def finished(refs: list[Any]) -> tuple[list[Any], list[Any]]:
        ready: list[Any] = []
        while not ready:
            ready, rest = ray.wait(refs, num_returns=1, timeout=POLL_S)
        return ray.get(ready, timeout=GET_TIMEOUT_S), rest

    for item in it:
        if item is NOT_READY:
            yield item
            continue
        if max_concurrency and len(in_flight) >= max_concurrency:
            done, in_flight = finished(in_flight)
            yield from done
        in_flight.append(remote_fn(item))
    while in_flight:
        done, in_flight = finished(in_flight)
        yield from done
