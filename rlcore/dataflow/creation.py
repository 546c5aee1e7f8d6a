"""Creating a ``ParallelIterator``: ``from_items``, ``from_range``, ``from_iterators``, ``from_actors``.

``from_items`` deals items round-robin (item ``i`` to shard ``i % num_shards``); ``from_range``
cuts ``0..n`` into contiguous blocks of ``n // num_shards`` (the last shard takes the rest);
``from_iterators`` makes one shard per iterable (pass a lambda for a generator that cannot be
pickled); ``from_actors`` wraps existing shards: Ray actor handles of a
``ParallelIteratorWorker`` or plain local objects satisfying that protocol.

``backend`` picks where new shards live: ``"inprocess"`` (plain objects, no Ray), ``"ray"``
(one actor per shard; Ray must be initialised), or ``None``: Ray when a Ray session is already
running in this process, else in-process.

Examples:
    >>> from_items([1, 2, 3, 4, 5], num_shards=2, backend="inprocess")
    ParallelIterator[from_items[int, 5, shards=2]]
    >>> [list(s) for s in from_items([1, 2, 3, 4, 5], num_shards=2, backend="inprocess").shards()]
    [[1, 3, 5], [2, 4]]
    >>> [list(s) for s in from_range(7, num_shards=3, backend="inprocess").shards()]
    [[0, 1], [2, 3], [4, 5, 6]]
    >>> from_iterators([[1, 2], "ab"], backend="inprocess").gather_sync().take(9)
    [1, 'a', 2, 'b']
    >>> from_range(3, num_shards=1, repeat=True, backend="inprocess").gather_sync().take(7)
    [0, 1, 2, 0, 1, 2, 0]
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, List, Sequence, TypeVar

from rlcore.dataflow.parallel_iterator import ParallelIterator, ShardSet
from rlcore.dataflow.shard_backend import InProcessBackend, ShardBackend, backend_for

T = TypeVar("T")

BACKENDS = ("inprocess", "ray")


def resolve_backend(backend: str | None) -> ShardBackend:
    """Returns the backend named ``backend`` (``None``: Ray if a session is running, else in-process).

    Examples:
        >>> resolve_backend("inprocess").name
        'inprocess'
        >>> resolve_backend("threads")
        Traceback (most recent call last):
        ...
        ValueError: backend='threads': expected one of ('inprocess', 'ray') or None
    """
    if backend is None:
        ray = sys.modules.get("ray")
        backend = "ray" if ray is not None and ray.is_initialized() else "inprocess"
    if backend == "inprocess":
        return InProcessBackend()
    if backend == "ray":
        from rlcore.dataflow.ray_backend import RayBackend

        return RayBackend()
    raise ValueError(f"backend={backend!r}: expected one of {BACKENDS} or None")


def _check_shards(num_shards: Any) -> None:
    if not isinstance(num_shards, int) or isinstance(num_shards, bool) or num_shards < 1:
        raise ValueError(f"num_shards={num_shards!r}: expected an int >= 1")


def from_items(items: List[T], num_shards: int = 2, repeat: bool = False, *, backend: str | None = None) -> ParallelIterator[T]:
    """A parallel iterator over ``items``, dealt round-robin to ``num_shards`` shards.

    Args:
        items: The items.
        num_shards: Number of shards.
        repeat: Cycle over the items forever.
        backend: ``"inprocess"``, ``"ray"`` or ``None`` (see the module docstring).
    """
    _check_shards(num_shards)
    items = list(items)
    shards: list[list[T]] = [[] for _ in range(num_shards)]
    for i, item in enumerate(items):
        shards[i % num_shards].append(item)
    name = "from_items[{}, {}, shards={}{}]".format(
        items and type(items[0]).__name__ or "None", len(items), num_shards, ", repeat=True" if repeat else ""
    )
    return from_iterators(shards, repeat=repeat, name=name, backend=backend)


def from_range(n: int, num_shards: int = 2, repeat: bool = False, *, backend: str | None = None) -> ParallelIterator[int]:
    """A parallel iterator over ``0..n-1`` cut into contiguous blocks, one per shard.

    Args:
        n: End of the range.
        num_shards: Number of shards; each gets ``n // num_shards`` numbers, the last the rest.
        repeat: Cycle over the range forever.
        backend: ``"inprocess"``, ``"ray"`` or ``None``.
    """
    _check_shards(num_shards)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n={n!r}: expected an int >= 0")
    size = n // num_shards
    generators = [range(i * size, n if i == num_shards - 1 else (i + 1) * size) for i in range(num_shards)]
    name = f"from_range[{n}, shards={num_shards}{', repeat=True' if repeat else ''}]"
    return from_iterators(generators, repeat=repeat, name=name, backend=backend)


def from_iterators(
    generators: Sequence[Iterable[T] | Any], repeat: bool = False, name: str | None = None, *, backend: str | None = None
) -> ParallelIterator[T]:
    """A parallel iterator with one shard per iterable (or per callable returning one).

    Args:
        generators: Iterables, or zero-argument callables returning one (needed for generators
            on Ray, which cannot be pickled, and for ``repeat`` over one-shot iterators).
        repeat: Cycle over each iterable forever.
        name: Name for ``repr`` (default ``from_iterators[shards=N]``).
        backend: ``"inprocess"``, ``"ray"`` or ``None``.
    """
    generators = list(generators)
    if not generators:
        raise ValueError("generators=[]: expected at least one iterable")
    chosen = resolve_backend(backend)
    shards = chosen.create_workers(generators, repeat)
    if not name:
        name = f"from_iterators[shards={len(generators)}{', repeat=True' if repeat else ''}]"
    return ParallelIterator([ShardSet(shards, [], name)], name, parent_iterators=[], backend=chosen)


def from_actors(actors: Sequence[Any], name: str | None = None) -> ParallelIterator[Any]:
    """A parallel iterator over existing shards.

    Args:
        actors: Ray actor handles of a ``ParallelIteratorWorker`` (subclass), or local objects
            with its methods (at least ``par_iter_init`` and ``par_iter_next``); not a mix.
        name: Name for ``repr`` (default ``from_actors[shards=N]``).

    Examples:
        >>> from rlcore.dataflow import ParallelIteratorWorker
        >>> workers = [ParallelIteratorWorker([i, i + 10], repeat=False) for i in range(2)]
        >>> from_actors(workers).for_each(str).gather_sync().take(9)
        ['0', '1', '10', '11']
    """
    actors = list(actors)
    if not actors:
        raise ValueError("actors=[]: expected at least one shard")
    chosen = backend_for(actors)
    if not name:
        name = f"from_actors[shards={len(actors)}]"
    return ParallelIterator([ShardSet(actors, [], name)], name, parent_iterators=[], backend=chosen)
