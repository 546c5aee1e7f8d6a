"""``LocalIterator``: a lazy, single-consumer stream in this process, built from chained stages.

A ``LocalIterator`` is a base iterator factory plus a list of transforms (iterator → iterator),
applied on the first ``next()``. Until then it is serializable, so it can be shipped to an actor
(that is how a ``ParallelIterator`` runs its operators on its shards). Operators return new
iterators; the pipeline's ``repr`` names its stages, RLlib style, and :meth:`LocalIterator.explain`
prints the plan as a tree with each stage's item count and time.

``NOT_READY`` flows through every operator untouched and is never passed to a user function;
functions run with the pipeline's :class:`~rlcore.dataflow.metrics.MetricsContext` current, so
they can use :func:`~rlcore.dataflow.metrics.get_metrics`.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> it = LocalIterator(lambda timeout: iter(range(6)), SharedMetrics(), name="nums")
    >>> it = it.for_each(lambda x: x * 10).filter(lambda x: x != 20).batch(2)
    >>> it
    LocalIterator[nums.for_each().filter().batch(2)]
    >>> list(it)
    [[0, 10], [30, 40], [50]]
    >>> print(it.explain())
    LocalIterator[nums.for_each().filter().batch(2)]
    └── batch(2)  items=3  time=0.000ms
        └── filter(<lambda>)  items=5  time=...ms
            └── for_each(<lambda>)  items=6  time=...ms
                └── nums  items=6  time=0.000ms
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Generic, Iterable, Iterator, List, Sequence, TypeVar

from rlcore.core import FetchAware
from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.metrics import MetricsContext, SharedMetrics, _local, get_metrics
from rlcore.dataflow.shard_error import annotate_stage
from rlcore.dataflow.stage import Stage

T = TypeVar("T")
U = TypeVar("U")


def fn_name(fn: Any) -> str:
    """A short name for a function or callable object, for stage labels.

    Examples:
        >>> fn_name(len), fn_name(lambda x: x)
        ('len', '<lambda>')
    """
    return getattr(fn, "__name__", None) or type(fn).__name__


def _fetch_hook(fn: Any) -> Callable[[], None] | None:
    if isinstance(fn, FetchAware):
        return fn.on_fetch_start
    return getattr(fn, LocalIterator.ON_FETCH_START_HOOK_NAME, None)


class LocalIterator(Generic[T]):
    """An iterator over one stream of items, with operators applied locally and lazily.

    Args:
        base_iterator: ``timeout -> Iterable``; builds the source on the first ``next()``. With a
            timeout, the source yields ``NOT_READY`` instead of blocking.
        shared_metrics: The pipeline's metrics holder (``SharedMetrics()`` for a new pipeline).
        local_transforms: Functions iterator → iterator applied in order on top of the source.
        timeout: Passed to ``base_iterator``.
        name: Name used in ``repr`` (``LocalIterator[<name>]``).
        stage: The plan node of the last transform (a source node is made if omitted).

    Examples:
        >>> it = LocalIterator(lambda timeout: iter("abc"), SharedMetrics(), name="letters")
        >>> next(it), it.take(5)
        ('a', ['b', 'c'])
    """

    #: A ``for_each`` function with this attribute (or a :class:`rlcore.core.FetchAware`
    #: ``on_fetch_start``) is told before each upstream fetch, e.g. to time waiting.
    ON_FETCH_START_HOOK_NAME = "_on_fetch_start"

    def __init__(
        self,
        base_iterator: Callable[[Any], Iterable[T]],
        shared_metrics: SharedMetrics,
        local_transforms: Sequence[Callable[[Iterator[Any]], Iterator[Any]]] | None = None,
        timeout: float | None = None,
        name: str | None = None,
        *,
        stage: Stage | None = None,
    ):
        if not isinstance(shared_metrics, SharedMetrics):
            raise TypeError(
                f"shared_metrics={shared_metrics!r}: expected a SharedMetrics instance"
            )
        if not callable(base_iterator):
            raise TypeError(
                f"base_iterator={base_iterator!r}: expected a callable timeout -> iterable"
            )
        if stage is None:  # a new source: count what it yields
            stage = Stage(name or "unknown")
            base_iterator = _CountedSource(base_iterator, stage)
        self.base_iterator = base_iterator
        self.built_iterator: Iterator[Any] | None = None
        self.local_transforms = list(local_transforms or [])
        self.shared_metrics = shared_metrics
        self.timeout = timeout
        self.name = name or "unknown"
        self._stage = stage

    # -- iteration -----------------------------------------------------------------------------

    @staticmethod
    def get_metrics() -> MetricsContext:
        """Returns the current metrics context (same as :func:`rlcore.dataflow.get_metrics`)."""
        return get_metrics()

    def _build_once(self) -> Iterator[Any]:
        if self.built_iterator is None:
            it = iter(self.base_iterator(self.timeout))
            for fn in self.local_transforms:
                it = fn(it)
            self.built_iterator = it
        return self.built_iterator

    def __iter__(self) -> LocalIterator[T]:
        self._build_once()
        return self

    def __next__(self) -> T:
        built = self.built_iterator or self._build_once()
        faults = self.shared_metrics.metrics._faults
        if faults:
            raise faults.popleft()
        try:
            item = next(built)
        except StopIteration:
            if faults:  # shards failed before the end: report that, not a clean end
                raise faults.popleft()  # noqa: B904 (the ShardError carries its own __cause__)
            raise
        if item is NOT_READY and faults:
            raise faults.popleft()
        return item

    def next(self) -> T:
        """Returns the next item (same as ``next(it)``)."""
        return self.__next__()

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"LocalIterator[{self.name}]"

    def explain(self) -> str:
        """Returns the plan as a tree: this iterator on top, its stages down to the sources.

        Each line shows a stage, the items it emitted so far and the time spent in its own work.
        """
        return f"{self!r}\n" + "\n".join(
            ("└── " if i == 0 else "    ") + line
            for i, line in enumerate(self._stage.render().splitlines())
        )

    # -- building blocks -----------------------------------------------------------------------

    def _with_transform(
        self, make: Callable[[Stage], Callable[[Iterator[Any]], Iterator[Any]]], suffix: str, label: str
    ) -> LocalIterator[Any]:
        """Returns a new iterator with one more stage: ``make(stage)`` builds its transform."""
        stage = Stage(label, [self._stage])
        return LocalIterator(
            self.base_iterator,
            self.shared_metrics,
            self.local_transforms + [make(stage)],
            name=self.name + suffix,
            stage=stage,
        )

    def _raw(self) -> Iterator[Any]:
        """The built generator, bypassing fault delivery (for combinators reading children)."""
        return self._build_once()

    # -- operators -----------------------------------------------------------------------------

    def transform(self, fn: Callable[[Iterator[T]], Iterable[U]]) -> LocalIterator[U]:
        """Applies an arbitrary generator transform; it must pass ``NOT_READY`` through.

        Examples:
            >>> def evens(it):
            ...     return (x for x in it if x is NOT_READY or x % 2 == 0)
            >>> LocalIterator(lambda t: iter(range(5)), SharedMetrics()).transform(evens).take(9)
            [0, 2, 4]
        """
        label = f"transform({fn_name(fn)})"

        def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
            def apply_transform(it: Iterator[Any]) -> Iterator[Any]:
                try:
                    for item in fn(it):
                        if item is not NOT_READY:
                            stage.items += 1
                        yield item
                except Exception as err:
                    annotate_stage(err, stage.label)
                    raise

            return apply_transform

        return self._with_transform(make, ".transform()", label)

    def for_each(
        self,
        fn: Callable[[T], U],
        max_concurrency: int = 1,
        resources: dict | None = None,
        *,
        executor: str | None = None,
    ) -> LocalIterator[U]:
        """Applies ``fn`` to each item.

        If ``fn`` returns ``NOT_READY`` (a non-blocking operator such as an enqueue), that is
        yielded and ``fn`` is retried on the same item. With ``max_concurrency != 1`` up to that
        many calls run at once (``0``: unbounded) and results come in completion order; they run
        on threads, or as Ray tasks with ``executor="ray"`` (the default when ``resources`` is
        given, and on Ray shards).

        Args:
            fn: Function of one item.
            max_concurrency: Calls in flight at once (``1``: serial, in order).
            resources: Ray task options for ``executor="ray"``.
            executor: ``"thread"`` or ``"ray"``; only used when ``max_concurrency != 1``.

        Examples:
            >>> it = LocalIterator(lambda t: iter([1, 2, 3]), SharedMetrics())
            >>> it.for_each(lambda x: x + 1).take(3)
            [2, 3, 4]
            >>> sorted(it.for_each(lambda x: -x, max_concurrency=2))
            [-3, -2, -1]
        """
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a callable of one item")
        if not isinstance(max_concurrency, int) or max_concurrency < 0:
            raise ValueError(f"max_concurrency={max_concurrency!r}: expected an int >= 0")
        if executor is None:
            executor = "ray" if resources is not None else "thread"
        if executor not in ("thread", "ray"):
            raise ValueError(f"executor={executor!r}: expected 'thread' or 'ray'")
        label = f"for_each({fn_name(fn)})"
        shared = self.shared_metrics

        if max_concurrency == 1:

            def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
                def apply_foreach(it: Iterator[Any]) -> Iterator[Any]:
                    current, clock = _local, time.perf_counter
                    try:
                        for item in it:
                            if item is NOT_READY:
                                yield item
                                continue
                            while True:  # retry while fn says "not ready" (non-blocking ops)
                                prev = current.metrics
                                current.metrics = shared.metrics
                                t0 = clock()
                                try:
                                    result = fn(item)
                                finally:
                                    current.metrics = prev
                                stage.seconds += clock() - t0
                                if result is NOT_READY:
                                    yield result
                                    continue
                                stage.items += 1
                                yield result
                                break
                    except Exception as err:
                        annotate_stage(err, stage.label)
                        raise

                return apply_foreach

        else:

            def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
                def apply_concurrent(it: Iterator[Any]) -> Iterator[Any]:
                    if executor == "ray":
                        from rlcore.dataflow.ray_backend import concurrent_map
                    else:
                        from rlcore.dataflow._thread_map import concurrent_map
                    try:
                        for result in concurrent_map(it, fn, max_concurrency, resources, shared):
                            if result is not NOT_READY:
                                stage.items += 1
                            yield result
                    except Exception as err:
                        annotate_stage(err, stage.label)
                        raise

                return apply_concurrent

        hook = _fetch_hook(fn)
        if hook is not None:
            inner_make = make

            def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
                unwrapped = inner_make(stage)

                def add_wait_hooks(it: Iterator[Any]) -> Iterator[Any]:
                    gen = unwrapped(it)
                    new_item = True
                    while True:
                        if new_item:  # not again while only NOT_READY comes back
                            prev = _local.metrics
                            _local.metrics = shared.metrics
                            try:
                                hook()
                            finally:
                                _local.metrics = prev
                            new_item = False
                        try:
                            item = next(gen)
                        except StopIteration:
                            return
                        if item is not NOT_READY:
                            new_item = True
                        yield item

                return add_wait_hooks

        return self._with_transform(make, ".for_each()", label)

    def filter(self, fn: Callable[[T], bool]) -> LocalIterator[T]:
        """Keeps the items for which ``fn(item)`` is truthy.

        Examples:
            >>> LocalIterator(lambda t: iter(range(6)), SharedMetrics()).filter(lambda x: x % 3).take(9)
            [1, 2, 4, 5]
        """
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a predicate of one item")
        label = f"filter({fn_name(fn)})"
        shared = self.shared_metrics

        def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
            def apply_filter(it: Iterator[Any]) -> Iterator[Any]:
                current, clock = _local, time.perf_counter
                try:
                    for item in it:
                        if item is NOT_READY:
                            yield item
                            continue
                        prev = current.metrics
                        current.metrics = shared.metrics
                        t0 = clock()
                        try:
                            keep = fn(item)
                        finally:
                            current.metrics = prev
                        stage.seconds += clock() - t0
                        if keep:
                            stage.items += 1
                            yield item
                except Exception as err:
                    annotate_stage(err, stage.label)
                    raise

            return apply_filter

        return self._with_transform(make, ".filter()", label)

    def batch(self, n: int) -> LocalIterator[List[T]]:
        """Groups items into lists of ``n``; the last, shorter list is emitted at the end.

        Examples:
            >>> LocalIterator(lambda t: iter(range(5)), SharedMetrics()).batch(2).take(9)
            [[0, 1], [2, 3], [4]]
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n={n!r}: expected a batch size int >= 1")
        label = f"batch({n})"

        def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
            def apply_batch(it: Iterator[Any]) -> Iterator[Any]:
                batch: list[Any] = []
                for item in it:
                    if item is NOT_READY:
                        yield item
                        continue
                    batch.append(item)
                    if len(batch) >= n:
                        stage.items += 1
                        yield batch
                        batch = []
                if batch:
                    stage.items += 1
                    yield batch

            return apply_batch

        return self._with_transform(make, f".batch({n})", label)

    def flatten(self) -> LocalIterator[Any]:
        """Turns each list (any iterable) into its items.

        Examples:
            >>> LocalIterator(lambda t: iter([[1, 2], [], [3]]), SharedMetrics()).flatten().take(9)
            [1, 2, 3]
        """

        def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
            def apply_flatten(it: Iterator[Any]) -> Iterator[Any]:
                try:
                    for item in it:
                        if item is NOT_READY:
                            yield item
                            continue
                        for sub in item:
                            stage.items += 1
                            yield sub
                except TypeError as err:
                    annotate_stage(err, "flatten()")
                    raise

            return apply_flatten

        return self._with_transform(make, ".flatten()", "flatten()")

    def combine(self, fn: Callable[[T], Iterable[U]]) -> LocalIterator[U]:
        """Flat-map: ``for_each(fn).flatten()``, the combinator of batching operators.

        Examples:
            >>> LocalIterator(lambda t: iter([1, 2]), SharedMetrics()).combine(lambda x: [x] * x).take(9)
            [1, 2, 2]
        """
        it = self.for_each(fn).flatten()
        it.name = self.name + ".combine()"
        it._stage.inputs[0].label = f"combine({fn_name(fn)})"  # the for_each stage
        return it

    def shuffle(self, shuffle_buffer_size: int, seed: int | None = None) -> LocalIterator[T]:
        """Buffered shuffle: fill a buffer, emit a random element of it, drain at the end.

        Examples:
            >>> it = LocalIterator(lambda t: iter(range(5)), SharedMetrics()).shuffle(3, seed=0)
            >>> sorted(it.take(9))
            [0, 1, 2, 3, 4]
        """
        if not isinstance(shuffle_buffer_size, int) or shuffle_buffer_size < 1:
            raise ValueError(
                f"shuffle_buffer_size={shuffle_buffer_size!r}: expected an int >= 1"
            )
        rng = random.Random(seed)
        suffix = ".shuffle(shuffle_buffer_size={}, seed={})".format(
            shuffle_buffer_size, str(seed) if seed is not None else "None"
        )

        def make(stage: Stage) -> Callable[[Iterator[Any]], Iterator[Any]]:
            def apply_shuffle(it: Iterator[Any]) -> Iterator[Any]:
                buffer: list[Any] = []
                for item in it:
                    if item is NOT_READY:
                        yield item
                        continue
                    buffer.append(item)
                    if len(buffer) >= shuffle_buffer_size:
                        stage.items += 1
                        yield buffer.pop(rng.randint(0, len(buffer) - 1))
                while buffer:
                    stage.items += 1
                    yield buffer.pop(rng.randint(0, len(buffer) - 1))

            return apply_shuffle

        return self._with_transform(make, suffix, suffix[1:])

    def zip_with_source_actor(self) -> LocalIterator[tuple[Any, T]]:
        """Pairs each item with the shard that produced it: ``(actor, item)``.

        Only valid downstream of ``gather_async``, which records the source shard.

        Raises:
            ValueError: When iterated and the source shard is unknown.
        """

        def zip_with_source(item: Any) -> tuple[Any, Any]:
            actor = get_metrics().current_actor
            if actor is None:
                raise ValueError(
                    "Could not identify source actor of item: zip_with_source_actor() is only "
                    "valid downstream of ParallelIterator.gather_async()"
                )
            return actor, item

        it = self.for_each(zip_with_source)
        it.name = self.name + ".zip_with_source_actor()"
        return it

    def take(self, n: int) -> List[T]:
        """Returns up to the first ``n`` items (``NOT_READY`` included, as RLlib does)."""
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"n={n!r}: expected an int >= 0")
        out: list[Any] = []
        if n == 0:
            return out
        for item in self:
            out.append(item)
            if len(out) >= n:
                break
        return out

    def show(self, n: int = 20) -> None:
        """Prints up to the first ``n`` items, one per line.

        Examples:
            >>> LocalIterator(lambda t: iter([1, 2, 3]), SharedMetrics()).show(2)
            1
            2
        """
        for item in self.take(n):
            print(item)

    def duplicate(self, n: int) -> list[LocalIterator[T]]:
        """Splits the stream into ``n`` copies (see :mod:`rlcore.dataflow.local_combinators`)."""
        from rlcore.dataflow.local_combinators import duplicate

        return duplicate(self, n)

    def union(
        self,
        *others: LocalIterator[T],
        deterministic: bool = False,
        round_robin_weights: Sequence[float | str] | None = None,
    ) -> LocalIterator[T]:
        """Merges this and ``others`` (see :mod:`rlcore.dataflow.local_combinators`)."""
        from rlcore.dataflow.local_combinators import union

        return union(self, *others, deterministic=deterministic, round_robin_weights=round_robin_weights)


class _CountedSource:
    """Wraps a base-iterator factory so the source stage counts the items it yields."""

    __slots__ = ("base", "stage")

    def __init__(self, base: Callable[[Any], Iterable[Any]], stage: Stage):
        self.base = base
        self.stage = stage

    def __call__(self, timeout: Any) -> Iterator[Any]:
        stage = self.stage
        try:
            for item in self.base(timeout):
                if item is not NOT_READY:
                    stage.items += 1
                yield item
        except Exception as err:
            annotate_stage(err, stage.label)
            raise
