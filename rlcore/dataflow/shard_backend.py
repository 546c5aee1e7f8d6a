"""``ShardBackend``: how a ``ParallelIterator`` talks to its shards; the in-process backend.

A backend turns the shard protocol (``par_iter_init``, ``par_iter_next``, ...) into the
gathering loops of a plan. ``ParallelIterator`` holds shards and one backend and never calls a
shard itself, so the same plan runs on plain objects in this process
(:class:`InProcessBackend`, no Ray import) or on Ray actors
(:class:`rlcore.dataflow.ray_backend.RayBackend`).

Every loop reports a failing shard the same way: it drops the shard, queues a
:class:`~rlcore.dataflow.shard_error.ShardError` on the pipeline's metrics context (the consumer's
``next()`` raises it) and yields ``NOT_READY`` so the error surfaces at once; the remaining shards
go on.

Shards are passed as ``(index, handle)`` pairs so errors can name them.

Examples:
    >>> from rlcore.dataflow.worker import ParallelIteratorWorker
    >>> from rlcore.dataflow.metrics import MetricsContext
    >>> b = InProcessBackend()
    >>> shards = list(enumerate(b.create_workers([range(3), range(10, 12)], repeat=False)))
    >>> m = MetricsContext()
    >>> b.init(shards, [], "p", lambda: m)
    [(0, ...), (1, ...)]
    >>> list(b.sync_rounds(shards, "p", "batch_across_shards()", lambda: m, None))
    [[0, 10], [1, 11], [2]]
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Iterable, Iterator, Sequence

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.metrics import MetricsContext
from rlcore.dataflow.shard_error import ShardError
from rlcore.dataflow.worker import ParallelIteratorWorker

Shard = tuple[int, Any]
MetricsGetter = Callable[[], MetricsContext]


def report_fault(metrics: MetricsGetter, index: int, pipeline: str, stage: str, err: BaseException) -> None:
    """Queues a ``ShardError`` for shard ``index`` on the pipeline's metrics context."""
    metrics()._faults.append(ShardError.from_exception(index, pipeline, err, default_stage=stage))


class ShardBackend(abc.ABC):
    """The operations a ``ParallelIterator`` needs from its shards.

    Each generator method takes ``timeout``: ``None`` blocks until an item is ready; a number
    makes the loop yield ``NOT_READY`` instead of blocking longer than that.
    """

    name: str = "abstract"

    @abc.abstractmethod
    def create_workers(self, generators: Sequence[Any], repeat: bool) -> list[Any]:
        """Creates one ``ParallelIteratorWorker`` shard per generator."""

    @abc.abstractmethod
    def init(self, shards: Sequence[Shard], transforms: list[Any], pipeline: str, metrics: MetricsGetter) -> list[Shard]:
        """Calls ``par_iter_init(transforms)`` on each shard; returns the shards that succeeded."""

    @abc.abstractmethod
    def sync_rounds(
        self, shards: Sequence[Shard], pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        """Yields one list per round: the next item of every live shard, in shard order."""

    @abc.abstractmethod
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
        """Yields items as shards produce them, setting ``metrics().current_actor`` to the source."""

    @abc.abstractmethod
    def shard_items(
        self, shard: Shard, batch_ms: float, num_async: int, pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        """Yields the items of one shard in order."""

    @abc.abstractmethod
    def slice_items(self, shards: Sequence[Shard], step: int, start: int, batch_ms: float, pipeline: str) -> Iterator[Any]:
        """Yields slice ``start`` of ``step`` from every shard (the source of ``repartition``)."""

    @abc.abstractmethod
    def stats(self, shard: Any) -> list[tuple[str, int, float]]:
        """The shard's ``par_iter_stats()`` (``[]`` if it has none)."""


class InProcessBackend(ShardBackend):
    """Shards are plain objects in this process; gathering calls them in turn. No Ray.

    ``gather_async`` visits shards round-robin (there is no background progress to wait for),
    and ``num_async`` has no effect beyond validation.
    """

    name = "inprocess"

    def create_workers(self, generators: Sequence[Any], repeat: bool) -> list[Any]:
        return [ParallelIteratorWorker(g, repeat) for g in generators]

    def init(self, shards: Sequence[Shard], transforms: list[Any], pipeline: str, metrics: MetricsGetter) -> list[Shard]:
        live = []
        for index, shard in shards:
            try:
                shard.par_iter_init(transforms)
            except Exception as err:
                report_fault(metrics, index, pipeline, "par_iter_init", err)
            else:
                live.append((index, shard))
        return live

    def sync_rounds(
        self, shards: Sequence[Shard], pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        active = list(shards)
        while active:
            results, survivors, failed = [], [], False
            for index, shard in active:
                try:
                    results.append(shard.par_iter_next())
                except StopIteration:
                    continue
                except Exception as err:
                    report_fault(metrics, index, pipeline, stage, err)
                    failed = True
                    continue
                survivors.append((index, shard))
            active = survivors
            if results:
                yield results
            elif failed:
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
        active = list(shards)
        while active:
            for pair in list(active):
                index, shard = pair
                try:
                    batch = _next_batch(shard, batch_ms)
                except StopIteration:
                    active.remove(pair)
                    continue
                except Exception as err:
                    active.remove(pair)
                    report_fault(metrics, index, pipeline, stage, err)
                    yield NOT_READY
                    continue
                metrics().current_actor = shard
                yield from batch

    def shard_items(
        self, shard: Shard, batch_ms: float, num_async: int, pipeline: str, stage: str, metrics: MetricsGetter, timeout: float | None
    ) -> Iterator[Any]:
        index, handle = shard
        while True:
            try:
                batch = _next_batch(handle, batch_ms)
            except StopIteration:
                return
            except Exception as err:
                report_fault(metrics, index, pipeline, stage, err)
                yield NOT_READY
                return
            yield from batch

    def slice_items(self, shards: Sequence[Shard], step: int, start: int, batch_ms: float, pipeline: str) -> Iterator[Any]:
        active = list(shards)
        while active:
            for pair in list(active):
                index, shard = pair
                try:
                    batch = shard.par_iter_slice_batch(step=step, start=start, batch_ms=batch_ms)
                except StopIteration:
                    active.remove(pair)
                    continue
                except Exception as err:
                    raise ShardError.from_exception(index, pipeline, err, default_stage="repartition") from err
                yield from batch

    def stats(self, shard: Any) -> list[tuple[str, int, float]]:
        fn = getattr(shard, "par_iter_stats", None)
        return list(fn()) if fn is not None else []


def _next_batch(shard: Any, batch_ms: float) -> list[Any]:
    """``par_iter_next_batch`` if the shard has it, else one ``par_iter_next`` (protocol minimum)."""
    fn = getattr(shard, "par_iter_next_batch", None)
    return fn(batch_ms) if fn is not None else [shard.par_iter_next()]


def is_actor_handle(obj: Any) -> bool:
    """Whether ``obj`` is a Ray actor handle (without importing Ray if it is not loaded).

    Examples:
        >>> is_actor_handle(object())
        False
    """
    import sys

    ray = sys.modules.get("ray")
    if ray is None:
        return False
    actor_mod = getattr(ray, "actor", None)
    return actor_mod is not None and isinstance(obj, actor_mod.ActorHandle)


def backend_for(shards: Iterable[Any]) -> ShardBackend:
    """Picks the backend for existing shards: Ray if they are actor handles, else in-process.

    Raises:
        TypeError: On a mix of actors and local objects, or a local object lacking the protocol.
    """
    shards = list(shards)
    kinds = {is_actor_handle(s) for s in shards}
    if kinds == {True}:
        from rlcore.dataflow.ray_backend import RayBackend

        return RayBackend()
    if kinds == {True, False}:
        raise TypeError(
            f"actors={shards!r}: expected all Ray actor handles or all local objects, not a mix"
        )
    for s in shards:
        missing = [m for m in ("par_iter_init", "par_iter_next") if not callable(getattr(s, m, None))]
        if missing:
            raise TypeError(
                f"actors: {s!r} lacks {missing}: expected a ParallelIteratorWorker (see "
                "rlcore.core.ParallelIteratorWorker) or a Ray actor handle of one"
            )
    return InProcessBackend()
