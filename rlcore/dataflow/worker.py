"""``ParallelIteratorWorker``: a shard of a ``ParallelIterator``, local object or Ray actor.

A worker owns an item generator. ``par_iter_init(transforms)`` builds a per-shard
:class:`~rlcore.dataflow.LocalIterator` over it and applies the parallel iterator's operators
(functions ``LocalIterator -> LocalIterator``); the gathering side then asks for items with
``par_iter_next`` (``StopIteration`` at the end), ``par_iter_next_batch(batch_ms)``, or, for
``repartition``, ``par_iter_slice(step, start)`` / ``par_iter_slice_batch``. These are the
methods RLlib's ``RolloutWorker`` and replay actors inherit, and
:class:`rlcore.core.ParallelIteratorWorker` states the protocol ``from_actors`` relies on.

The same class runs in-process (a plain object) or as an actor (``ray.remote(ParallelIteratorWorker)``).

Examples:
    >>> w = ParallelIteratorWorker(range(5), repeat=False)
    >>> w.par_iter_init([lambda it: it.for_each(lambda x: x * x)])
    >>> [w.par_iter_next() for _ in range(3)], w.par_iter_next_batch(0)
    ([0, 1, 4], [9])
    >>> w.par_iter_stats()
    [('source', 4, 0.0), ('for_each(<lambda>)', 4, ...)]
"""

from __future__ import annotations

import collections
import time
from typing import Any, Callable, Iterable, Iterator

from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import SharedMetrics
from rlcore.dataflow.stage import Stage


class ParallelIteratorWorker:
    """A shard: an item generator plus the operators of the parallel iterator reading it.

    Subclasses (e.g. a rollout worker) call ``ParallelIteratorWorker.__init__(self, gen, repeat)``.

    Args:
        item_generator: An iterable, or a callable returning one (use a callable when the
            generator itself cannot be pickled or must restart on ``repeat``).
        repeat: Cycle over the items forever.

    Raises:
        ValueError: On ``repeat=True`` with a one-shot iterator that cannot be restarted (when
            the second pass starts).

    Examples:
        >>> w = ParallelIteratorWorker(lambda: iter([1, 2]), repeat=True)
        >>> w.par_iter_init([])
        >>> [w.par_iter_next() for _ in range(5)]
        [1, 2, 1, 2, 1]
    """

    _failure: BaseException | None = None  # what broke the shard's iterator (see par_iter_next)

    def __init__(self, item_generator: Iterable[Any] | Callable[[], Iterable[Any]], repeat: bool):
        def make_iterator() -> Iterable[Any]:
            return item_generator() if callable(item_generator) else item_generator

        if repeat:

            def cycle() -> Iterator[Any]:
                while True:
                    it = iter(make_iterator())
                    if it is item_generator:
                        raise ValueError(
                            f"item_generator={item_generator!r}: cannot iterate over a one-shot "
                            "iterator more than once with repeat=True; pass the iterable itself "
                            "or a lambda returning a fresh iterator"
                        )
                    yield from it

            self.item_generator: Iterable[Any] = cycle()
        else:
            self.item_generator = make_iterator()
        self.transforms: list[Callable[[LocalIterator[Any]], LocalIterator[Any]]] = []
        self.local_it: LocalIterator[Any] | None = None
        self.next_ith_buffer: collections.defaultdict[int, list[Any]] | None = None

    def par_iter_init(self, transforms: list[Callable[[LocalIterator[Any]], LocalIterator[Any]]]) -> None:
        """Builds this shard's iterator: the generator with ``transforms`` applied in order."""
        it: LocalIterator[Any] = LocalIterator(lambda timeout: self.item_generator, SharedMetrics(), name="source")
        for fn in transforms:
            it = fn(it)
            if not isinstance(it, LocalIterator):
                raise TypeError(f"transform {fn!r} returned {it!r}: expected a LocalIterator")
        self.transforms = list(transforms)
        self.local_it = iter(it)
        self._next_item = self.local_it.__next__
        self._failure = None
        self.next_ith_buffer = None

    def _require_init(self) -> LocalIterator[Any]:
        if self.local_it is None:
            raise RuntimeError(f"{type(self).__name__}: call par_iter_init() before reading items")
        return self.local_it

    def _next_item(self) -> Any:  # replaced per instance by par_iter_init
        return next(self._require_init())

    def par_iter_next(self) -> Any:
        """Returns the next item; raises ``StopIteration`` when the shard is exhausted.

        Once the shard's iterator has raised, every later call raises again (a ``RuntimeError``
        naming the first error) until ``par_iter_init`` rebuilds it: a Python generator that
        raised only ever stops after that, and a gatherer must not read a failed shard as an
        exhausted one.

        Examples:
            >>> def gen():
            ...     yield 1
            ...     raise ValueError("env broke")
            >>> w = ParallelIteratorWorker(gen, repeat=False)
            >>> w.par_iter_init([])
            >>> w.par_iter_next()
            1
            >>> w.par_iter_next()
            Traceback (most recent call last):
            ...
            ValueError: env broke
            (raised in dataflow stage 'source')
            >>> w.par_iter_next()
            Traceback (most recent call last):
            ...
            RuntimeError: this shard's iterator failed earlier (ValueError: env broke); call par_iter_init() to rebuild it
        """
        if self._failure is not None:
            raise RuntimeError(f"this shard's iterator failed earlier ({type(self._failure).__name__}: "
                               f"{self._failure}); call par_iter_init() to rebuild it") from self._failure
        try:
            return self._next_item()
        except StopIteration:
            raise
        except Exception as err:
            self._failure = err
            raise

    def par_iter_next_batch(self, batch_ms: float) -> list[Any]:
        """Returns the items produced within ``batch_ms`` milliseconds (one item if ``0``)."""
        if batch_ms == 0:
            return [self.par_iter_next()]
        batch: list[Any] = []
        t_end = time.monotonic() + 0.001 * batch_ms
        while time.monotonic() < t_end:
            try:
                batch.append(self.par_iter_next())
            except StopIteration:
                if not batch:
                    raise
                break
        return batch

    def par_iter_slice(self, step: int, start: int) -> Any:
        """Returns the next item of slice ``start`` when items are dealt into ``step`` slices."""
        local_it = self._require_init()
        if self.next_ith_buffer is None:
            self.next_ith_buffer = collections.defaultdict(list)
        index_buffer = self.next_ith_buffer[start]
        if index_buffer:
            return index_buffer.pop(0)
        for j in range(step):
            try:
                self.next_ith_buffer[j].append(next(local_it))
            except StopIteration:
                pass
        if not self.next_ith_buffer[start]:
            raise StopIteration
        return self.next_ith_buffer[start].pop(0)

    def par_iter_slice_batch(self, step: int, start: int, batch_ms: float) -> list[Any]:
        """Batches ``par_iter_slice`` over ``batch_ms`` milliseconds (one item if ``0``)."""
        if batch_ms == 0:
            return [self.par_iter_slice(step, start)]
        batch: list[Any] = []
        t_end = time.monotonic() + 0.001 * batch_ms
        while time.monotonic() < t_end:
            try:
                batch.append(self.par_iter_slice(step, start))
            except StopIteration:
                if not batch:
                    raise
                break
        return batch

    def par_iter_stats(self) -> list[tuple[str, int, float]]:
        """This shard's stages from source to last as ``(label, items, seconds)`` (for explain)."""
        if self.local_it is None:
            return []
        rows = []
        stage: Stage | None = self.local_it._stage
        while stage is not None:
            rows.append((stage.label, stage.items, stage.seconds))
            stage = stage.inputs[0] if stage.inputs else None
        return rows[::-1]


class NameSource:
    """A transform that names a shard's source stage (first transform of every shard plan).

    Examples:
        >>> w = ParallelIteratorWorker([1], repeat=False)
        >>> w.par_iter_init([NameSource("from_items[int, 1, shards=1]")])
        >>> w.par_iter_stats()[0][0]
        'from_items[int, 1, shards=1]'
    """

    def __init__(self, label: str):
        self.label = label

    def __call__(self, it: LocalIterator[Any]) -> LocalIterator[Any]:
        stage = it._stage
        while stage.inputs:
            stage = stage.inputs[0]
        stage.label = self.label
        return it
