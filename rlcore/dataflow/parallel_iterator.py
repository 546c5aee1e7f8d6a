"""``ParallelIterator``: a lazy stream split over shards, with operators applied on the shards.

A ``ParallelIterator`` is a list of shard sets (shards plus the operators to run on them) and a
:class:`~rlcore.dataflow.shard_backend.ShardBackend` that reaches the shards: plain objects in
this process, or Ray actors. Operators (``for_each``, ``filter``, ``batch``, ...) only record
what each shard will run; nothing happens until a *gather* turns it into a
:class:`~rlcore.dataflow.LocalIterator`:

- ``gather_sync()``: one item per live shard per round, in shard order (deterministic);
- ``batch_across_shards()``: the same rounds, as lists;
- ``gather_async(batch_ms, num_async)``: items in completion order, ``num_async`` requests in
  flight per shard (Ray), the source shard recorded as ``get_metrics().current_actor``;
- ``get_shard(i)`` / ``shards()``: one shard's items, in order.

A shard that fails or dies is dropped and reported as a
:class:`~rlcore.dataflow.shard_error.ShardError` naming the shard and stage; the gather goes on
with the others if the consumer catches it.

Examples:
    >>> from rlcore.dataflow import from_range
    >>> it = from_range(6, num_shards=2, backend="inprocess").for_each(lambda x: x * 10)
    >>> it
    ParallelIterator[from_range[6, shards=2].for_each()]
    >>> it.gather_sync().take(6)
    [0, 30, 10, 40, 20, 50]
    >>> [list(s) for s in it.shards()]
    [[0, 10, 20], [30, 40, 50]]
"""

from __future__ import annotations

import time
from typing import Any, Callable, Generic, Iterator, List, Sequence, TypeVar

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import MetricsContext, SharedMetrics
from rlcore.dataflow.shard_backend import Shard, ShardBackend
from rlcore.dataflow.stage import Stage, merge_shard_stages
from rlcore.dataflow.worker import NameSource

T = TypeVar("T")
U = TypeVar("U")


class ShardSet:
    """Shards that share one list of operators (RLlib's ``_ActorSet``).

    Args:
        shards: Shard handles (``ParallelIteratorWorker`` objects or actor handles).
        transforms: Functions ``LocalIterator -> LocalIterator`` each shard applies.
        source: Label of the shards' source stage (for ``explain`` and errors).
    """

    def __init__(self, shards: Sequence[Any], transforms: Sequence[Callable[[Any], Any]], source: str):
        self.shards = list(shards)
        self.transforms = list(transforms)
        self.source = source

    @property
    def actors(self) -> list[Any]:
        """The shard handles (RLlib's name)."""
        return self.shards

    def with_transform(self, fn: Callable[[Any], Any]) -> ShardSet:
        """A copy with one more operator."""
        return ShardSet(self.shards, self.transforms + [fn], self.source)

    def plan(self) -> list[Callable[[Any], Any]]:
        """What ``par_iter_init`` receives: name the source, then the operators."""
        return [NameSource(self.source), *self.transforms]


def _timed(gen: Iterator[Any], stage: Stage) -> Iterator[Any]:
    """Counts items into ``stage`` and adds the time spent fetching them."""
    clock = time.perf_counter
    t0 = clock()
    for item in gen:
        stage.seconds += clock() - t0
        if item is not NOT_READY:
            stage.items += 1
        yield item
        t0 = clock()


class ParallelIterator(Generic[T]):
    """A parallel iterator over shards (created by ``from_items``/``from_range``/... ).

    It is lazy and serializable; each shard should be read by one consumer at a time.
    Iterating it directly is an error: gather it first.

    Args:
        shard_sets: The shard sets (several after ``union``).
        name: Name used in ``repr`` (``ParallelIterator[<name>]``).
        parent_iterators: Iterators to keep alive (the source of a ``repartition``).
        backend: How to reach the shards.
    """

    def __init__(
        self,
        shard_sets: Sequence[ShardSet],
        name: str,
        parent_iterators: Sequence[ParallelIterator[Any]],
        backend: ShardBackend,
    ):
        self.shard_sets = list(shard_sets)
        self.name = name
        self.parent_iterators = list(parent_iterators)
        self.backend = backend

    @property
    def actor_sets(self) -> list[ShardSet]:
        """The shard sets (RLlib's name)."""
        return self.shard_sets

    def __iter__(self) -> Any:
        raise TypeError(
            "You must use it.gather_sync() or it.gather_async() to iterate over the results of a "
            "ParallelIterator."
        )

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"ParallelIterator[{self.name}]"

    # -- building blocks -----------------------------------------------------------------------

    def _with_transform(self, local_it_fn: Callable[[LocalIterator[Any]], LocalIterator[Any]], name: str) -> ParallelIterator[Any]:
        """Returns a new iterator whose shards also apply ``local_it_fn``."""
        return ParallelIterator(
            [s.with_transform(local_it_fn) for s in self.shard_sets],
            name=self.name + name,
            parent_iterators=self.parent_iterators,
            backend=self.backend,
        )

    def _indexed_sets(self) -> list[tuple[ShardSet, list[Shard]]]:
        out, index = [], 0
        for shard_set in self.shard_sets:
            pairs = [(index + i, s) for i, s in enumerate(shard_set.shards)]
            index += len(pairs)
            out.append((shard_set, pairs))
        return out

    def _init_shards(self, pipeline: str, metrics: Callable[[], MetricsContext]) -> list[Shard]:
        live: list[Shard] = []
        for shard_set, pairs in self._indexed_sets():
            live.extend(self.backend.init(pairs, shard_set.plan(), pipeline, metrics))
        return live

    def _shard_stages(self) -> list[Stage]:
        """Per shard set, its stages summed over shards (for ``explain``)."""
        nodes: list[Stage] = []
        for shard_set, pairs in self._indexed_sets():
            per_shard = [self.backend.stats(s) for _, s in pairs]
            header = f"shards {pairs[0][0]}..{pairs[-1][0]} ({self.backend.name})" if pairs else "no shards"
            nodes.extend(merge_shard_stages(per_shard, header))
        return nodes

    def _gather(self, suffix: str, label: str, make: Callable[..., Iterator[Any]]) -> LocalIterator[Any]:
        """A ``LocalIterator`` whose source inits the shards and runs ``make(shards, pipeline, metrics, timeout)``."""
        pipeline = f"{self}{suffix}"
        stage = Stage(label, expand=self._shard_stages)
        local: list[LocalIterator[Any]] = []

        def metrics() -> MetricsContext:
            return local[0].shared_metrics.get()

        def base_iterator(timeout: float | None = None) -> Iterator[Any]:
            shards = self._init_shards(pipeline, metrics)
            if not shards and metrics()._faults:
                yield NOT_READY
            yield from _timed(make(shards, pipeline, metrics, timeout), stage)

        local.append(LocalIterator(base_iterator, SharedMetrics(), name=pipeline, stage=stage))
        return local[0]

    def explain(self) -> str:
        """Returns this iterator's shard stages (counters summed over shards) as a tree."""
        lines = [repr(self)]
        nodes = self._shard_stages()
        for i, node in enumerate(nodes):
            last = i == len(nodes) - 1
            for j, line in enumerate(node.render().splitlines()):
                lead = ("└── " if last else "├── ") if j == 0 else ("    " if last else "│   ")
                lines.append(lead + line)
        return "\n".join(lines)

    # -- operators on the shards ---------------------------------------------------------------

    def transform(self, fn: Callable[[Iterator[T]], Iterator[U]]) -> ParallelIterator[U]:
        """Applies a generator transform on each shard (it must pass ``NOT_READY`` through)."""
        return self._with_transform(lambda it: it.transform(fn), ".transform()")

    def for_each(self, fn: Callable[[T], U], max_concurrency: int = 1, resources: dict | None = None) -> ParallelIterator[U]:
        """Applies ``fn`` to each item on its shard.

        With ``max_concurrency != 1`` up to that many calls per shard run at once (``0``:
        unbounded), as Ray tasks on the Ray backend and on threads in process; output order is
        then completion order.
        """
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a callable of one item")
        if not isinstance(max_concurrency, int) or max_concurrency < 0:
            raise ValueError(f"max_concurrency={max_concurrency!r}: expected an int >= 0")
        executor = "ray" if self.backend.name == "ray" else "thread"
        return self._with_transform(
            lambda it: it.for_each(fn, max_concurrency, resources, executor=executor), ".for_each()"
        )

    def filter(self, fn: Callable[[T], bool]) -> ParallelIterator[T]:
        """Keeps, on each shard, the items for which ``fn`` is truthy."""
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a predicate of one item")
        return self._with_transform(lambda it: it.filter(fn), ".filter()")

    def batch(self, n: int) -> ParallelIterator[List[T]]:
        """Groups each shard's items into lists of ``n`` (the last may be shorter)."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n={n!r}: expected a batch size int >= 1")
        return self._with_transform(lambda it: it.batch(n), f".batch({n})")

    def flatten(self) -> ParallelIterator[Any]:
        """Turns each list into its items, on each shard."""
        return self._with_transform(lambda it: it.flatten(), ".flatten()")

    def combine(self, fn: Callable[[T], List[U]]) -> ParallelIterator[U]:
        """Flat-map on each shard: ``for_each(fn).flatten()``."""
        it = self.for_each(fn).flatten()
        it.name = self.name + ".combine()"
        return it

    def local_shuffle(self, shuffle_buffer_size: int, seed: int | None = None) -> ParallelIterator[T]:
        """Shuffles each shard's items with a buffer of ``shuffle_buffer_size``."""
        if not isinstance(shuffle_buffer_size, int) or shuffle_buffer_size < 1:
            raise ValueError(f"shuffle_buffer_size={shuffle_buffer_size!r}: expected an int >= 1")
        return self._with_transform(
            lambda it: it.shuffle(shuffle_buffer_size, seed),
            ".local_shuffle(shuffle_buffer_size={}, seed={})".format(
                shuffle_buffer_size, str(seed) if seed is not None else "None"
            ),
        )

    def repartition(self, num_partitions: int, batch_ms: float = 0) -> ParallelIterator[T]:
        """Returns an iterator with ``num_partitions`` new shards, dealt round-robin from these.

        New shard ``i`` reads slice ``i`` of every old shard (items ``i, i+n, ...`` of each),
        pulling from the old shards in completion order (the shared wait loop on Ray). The old
        shards are initialised now, as in RLlib.
        """
        if not isinstance(num_partitions, int) or num_partitions < 1:
            raise ValueError(f"num_partitions={num_partitions!r}: expected an int >= 1")
        if batch_ms < 0:
            raise ValueError(f"batch_ms={batch_ms!r}: expected >= 0")
        name = self.name + f".repartition[num_partitions={num_partitions}]"
        sink = MetricsContext()
        old = self._init_shards(name, lambda: sink)
        if sink._faults:
            raise sink._faults[0]
        generators = [_SliceSource(self.backend, old, num_partitions, i, batch_ms, name) for i in range(num_partitions)]
        shards = self.backend.create_workers(generators, repeat=False)
        return ParallelIterator([ShardSet(shards, [], name)], name, parent_iterators=[self], backend=self.backend)

    # -- gathering -----------------------------------------------------------------------------

    def batch_across_shards(self) -> LocalIterator[List[T]]:
        """Rounds of one item per live shard, as lists in shard order; ended shards drop out."""

        def make(shards: list[Shard], pipeline: str, metrics: Any, timeout: float | None) -> Iterator[Any]:
            return self.backend.sync_rounds(shards, pipeline, "batch_across_shards()", metrics, timeout)

        return self._gather(".batch_across_shards()", "batch_across_shards()", make)

    def gather_sync(self) -> LocalIterator[T]:
        """Items round-robin over shards, one per live shard per round (``batch_across_shards().flatten()``)."""

        def make(shards: list[Shard], pipeline: str, metrics: Any, timeout: float | None) -> Iterator[Any]:
            for round_items in self.backend.sync_rounds(shards, pipeline, "gather_sync()", metrics, timeout):
                if round_items is NOT_READY:
                    yield round_items
                else:
                    yield from round_items

        return self._gather(".gather_sync()", "gather_sync()", make)

    def gather_async(self, batch_ms: float = 0, num_async: int = 1) -> LocalIterator[T]:
        """Items in completion order, ``num_async`` requests in flight per shard.

        Args:
            batch_ms: Each request collects items for this many milliseconds (0: one item).
            num_async: Requests in flight per shard.

        Raises:
            ValueError: When ``num_async < 1`` or ``batch_ms < 0``.
        """
        if not isinstance(num_async, int) or num_async < 1:
            raise ValueError(f"num_async={num_async!r}: queue depth must be positive (an int >= 1)")
        if batch_ms < 0:
            raise ValueError(f"batch_ms={batch_ms!r}: batch time must be >= 0")

        def make(shards: list[Shard], pipeline: str, metrics: Any, timeout: float | None) -> Iterator[Any]:
            return self.backend.async_items(shards, batch_ms, num_async, pipeline, "gather_async()", metrics, timeout)

        return self._gather(".gather_async()", f"gather_async(batch_ms={batch_ms}, num_async={num_async})", make)

    def get_shard(self, shard_index: int, batch_ms: float = 0, num_async: int = 1) -> LocalIterator[T]:
        """The items of one shard, in order, as a serializable ``LocalIterator``."""
        if not isinstance(num_async, int) or num_async < 1:
            raise ValueError(f"num_async={num_async!r}: expected an int >= 1")
        if batch_ms < 0:
            raise ValueError(f"batch_ms={batch_ms!r}: expected >= 0")
        for shard_set, pairs in self._indexed_sets():
            for index, shard in pairs:
                if index == shard_index:
                    return self._shard_iterator(shard_set, (index, shard), batch_ms, num_async)
        raise ValueError(f"shard_index={shard_index!r}: out of range for {self.num_shards()} shards")

    def _shard_iterator(self, shard_set: ShardSet, shard: Shard, batch_ms: float, num_async: int) -> LocalIterator[Any]:
        backend, index = self.backend, shard[0]
        pipeline = self.name + f".shard[{index}]"
        stage = Stage(f"shard[{index}]", expand=lambda: merge_shard_stages([backend.stats(shard[1])], f"shard {index} ({backend.name})"))
        local: list[LocalIterator[Any]] = []

        def metrics() -> MetricsContext:
            return local[0].shared_metrics.get()

        def base_iterator(timeout: float | None = None) -> Iterator[Any]:
            live = backend.init([shard], shard_set.plan(), pipeline, metrics)
            if not live:
                yield NOT_READY
                return
            yield from _timed(backend.shard_items(shard, batch_ms, num_async, pipeline, f"shard[{index}]", metrics, timeout), stage)

        local.append(LocalIterator(base_iterator, SharedMetrics(), name=pipeline, stage=stage))
        return local[0]

    def take(self, n: int) -> List[T]:
        """The first ``n`` items of ``gather_sync()``."""
        return self.gather_sync().take(n)

    def show(self, n: int = 20) -> None:
        """Prints the first ``n`` items of ``gather_sync()``."""
        self.gather_sync().show(n)

    # -- shard sets ----------------------------------------------------------------------------

    def union(self, other: ParallelIterator[T]) -> ParallelIterator[T]:
        """An iterator over the shards of both (no interleaving logic: gathers decide)."""
        if not isinstance(other, ParallelIterator):
            raise TypeError(f"other={other!r}: expected a ParallelIterator, got {type(other).__name__}")
        if other.backend.name != self.backend.name:
            raise TypeError(
                f"union of a {self.backend.name!r} iterator with a {other.backend.name!r} one: "
                "both must use the same backend"
            )
        return ParallelIterator(
            self.shard_sets + other.shard_sets,
            f"ParallelUnion[{self}, {other}]",
            parent_iterators=self.parent_iterators + other.parent_iterators,
            backend=self.backend,
        )

    def select_shards(self, shards_to_keep: Sequence[int]) -> ParallelIterator[T]:
        """An iterator over the given shard indices only (keep the subsets disjoint)."""
        if len(self.shard_sets) > 1:
            raise ValueError("select_shards() is not allowed after union()")
        if not shards_to_keep:
            raise ValueError(f"shards_to_keep={shards_to_keep!r}: at least one shard must be selected")
        old = self.shard_sets[0]
        bad = [i for i in shards_to_keep if not isinstance(i, int) or not 0 <= i < len(old.shards)]
        if bad:
            raise ValueError(f"shards_to_keep={list(shards_to_keep)!r}: indices {bad} out of range for {len(old.shards)} shards")
        kept = [s for i, s in enumerate(old.shards) if i in set(shards_to_keep)]
        return ParallelIterator(
            [ShardSet(kept, old.transforms, old.source)],
            f"{self}.select_shards({len(kept)} total)",
            parent_iterators=self.parent_iterators,
            backend=self.backend,
        )

    def num_shards(self) -> int:
        """Total number of shards."""
        return sum(len(s.shards) for s in self.shard_sets)

    def shards(self) -> list[LocalIterator[T]]:
        """One ``LocalIterator`` per shard: ``[get_shard(i) for i in range(num_shards())]``."""
        return [self.get_shard(i) for i in range(self.num_shards())]


class _SliceSource:
    """Generator factory of a repartitioned shard: slice ``start`` of ``step`` of the old shards."""

    def __init__(self, backend: ShardBackend, shards: list[Shard], step: int, start: int, batch_ms: float, pipeline: str):
        self.backend, self.shards, self.step, self.start = backend, shards, step, start
        self.batch_ms, self.pipeline = batch_ms, pipeline

    def __call__(self) -> Iterator[Any]:
        return self.backend.slice_items(self.shards, self.step, self.start, self.batch_ms, self.pipeline)
