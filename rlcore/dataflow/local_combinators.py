"""Combinators that merge and split ``LocalIterator`` streams: ``union`` and ``duplicate``.

``union`` merges streams into one whose operators share one metrics context:

- ``deterministic=True``: strict alternation, one item from each child in turn (blocking);
- ``deterministic=False``: children are polled without blocking and items come in readiness
  order (a child with nothing ready is skipped);
- ``round_robin_weights=[w, ...]``: pull up to ``w`` items per round from each child (a
  fractional ``w`` is rounded at random, keeping its mean); ``"*"`` means "as many as are ready
  now" (at most 100 per round) and polls that child without blocking. Weights override
  ``deterministic``.

``duplicate(n)`` gives ``n`` copies of a stream. A copy that has run ahead of the slowest one
gets ``NOT_READY`` until the others catch up, so memory stays bounded.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> def stream(xs, name):
    ...     return LocalIterator(lambda t: iter(xs), SharedMetrics(), name=name)
    >>> a, b = stream([1, 2, 3], "a"), stream([10, 20], "b")
    >>> u = union(a, b, deterministic=True)
    >>> u
    LocalIterator[LocalUnion[LocalIterator[a], LocalIterator[b]]]
    >>> list(u)
    [1, 10, 2, 20, 3]
    >>> list(union(stream([1, 2, 3, 4], "a"), stream([10, 20], "b"), round_robin_weights=[2, 1]))
    [1, 2, 10, 3, 4, 20]
    >>> x, y = duplicate(stream([1, 2], "s"), 2)
    >>> next(x), next(y), next(x), next(y)
    (1, 1, 2, 2)
"""

from __future__ import annotations

import collections
import numbers
import random
from typing import Any, Iterator, Sequence

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.local_iterator import LocalIterator, _CountedSource
from rlcore.dataflow.metrics import SharedMetrics
from rlcore.dataflow.ray_util_iter import as_local_iterator
from rlcore.dataflow.stage import Stage

STAR_MAX_PULL = 100
"""Items pulled per round, at most, from a child with weight ``"*"``."""


def _randomized_int_cast(value: float) -> int:
    """``floor(value)``, plus one with probability ``frac(value)``.

    Examples:
        >>> _randomized_int_cast(3.0)
        3
    """
    base = int(value)
    if random.random() < value - base:
        base += 1
    return base


def _check_weights(weights: Sequence[Any], n: int) -> list[Any]:
    weights = list(weights)
    if len(weights) != n:
        raise ValueError(
            f"round_robin_weights={weights!r}: length {len(weights)} must equal the number of "
            f"iterators in the union ({n})"
        )
    for w in weights:
        if w == "*":
            continue
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or w < 0:
            raise ValueError(
                f"round_robin_weights={weights!r}: each weight must be a number >= 0 or '*', "
                f"got {w!r}"
            )
    return weights


def union(
    first: LocalIterator[Any],
    *others: LocalIterator[Any],
    deterministic: bool = False,
    round_robin_weights: Sequence[float | str] | None = None,
) -> LocalIterator[Any]:
    """Merges ``first`` and ``others`` into one stream with one shared metrics context.

    Args:
        first: The first stream.
        *others: More streams (``LocalIterator`` each; a ``ray.util.iter`` one is read through
            :func:`~rlcore.dataflow.ray_util_iter.as_local_iterator`).
        deterministic: Alternate strictly (blocking) instead of taking whatever is ready.
        round_robin_weights: Per-stream items per round, or ``"*"`` for "all that are ready".

    Returns:
        The merged ``LocalIterator``; it ends when every child has ended.

    Raises:
        TypeError: When a child is not a ``LocalIterator`` (rlcore's or ``ray.util.iter``'s).
        ValueError: When the weights do not match the children or are not numbers/``"*"``.
    """
    parents = [as_local_iterator(it, "union() child") for it in (first, *others)]
    shared = SharedMetrics(parents=[p.shared_metrics for p in parents])
    if round_robin_weights:
        weights = _check_weights(round_robin_weights, len(parents))
        timeouts = [0 if w == "*" else None for w in weights]
    else:
        weights = [1] * len(parents)
        timeouts = [None if deterministic else 0] * len(parents)

    children = [
        LocalIterator(p.base_iterator, shared, p.local_transforms, timeout=t, name=p.name, stage=p._stage)
        for p, t in zip(parents, timeouts)
    ]
    active = list(zip(weights, children))

    def build_union(timeout: Any = None) -> Iterator[Any]:
        # A shard failure queued by a child (its gather dropped the shard) goes up as NOT_READY even
        # when blocking, so the consumer's next() raises it instead of this loop spinning on the
        # other children (e.g. a queue no one feeds any more).
        while active:
            for weight, child in list(active):
                max_pull = STAR_MAX_PULL if weight == "*" else _randomized_int_cast(weight)
                raw = child._raw()
                try:
                    for _ in range(max_pull):
                        item = next(raw)
                        if item is NOT_READY:
                            if timeout is not None or shared.get()._faults:
                                yield item
                            break
                        yield item
                except StopIteration:
                    active.remove((weight, child))
                    if shared.get()._faults:
                        yield NOT_READY

    if round_robin_weights:
        how = f"round_robin_weights={list(round_robin_weights)}"
    else:
        how = f"deterministic={bool(deterministic)}"
    stage = Stage(f"union({how})", [p._stage for p in parents])
    return LocalIterator(
        _CountedSource(build_union, stage),
        shared,
        [],
        name=f"LocalUnion[{first}, {', '.join(map(str, others))}]",
        stage=stage,
    )


def duplicate(source: LocalIterator[Any], n: int) -> list[LocalIterator[Any]]:
    """Returns ``n >= 2`` iterators that each yield every item of ``source``.

    Raises:
        ValueError: When ``n < 2``.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n={n!r}: the number of copies must be an int >= 2")
    queues: list[collections.deque[Any]] = [collections.deque() for _ in range(n)]

    def fill_next(timeout: Any) -> None:
        source.timeout = timeout
        item = next(source._raw())
        for q in queues:
            q.append(item)

    def make_next(i: int) -> Any:
        def gen(timeout: Any) -> Iterator[Any]:
            mine = queues[i]
            while True:
                if len(mine) < max(len(q) for q in queues):
                    yield NOT_READY  # others fell behind: let them catch up first
                else:
                    if not mine:
                        try:
                            fill_next(timeout)
                        except StopIteration:
                            return
                    yield mine.popleft()

        return gen

    out = []
    for i in range(n):
        stage = Stage(f"duplicate[{i}]", [source._stage])
        out.append(
            LocalIterator(
                _CountedSource(make_next(i), stage),
                source.shared_metrics,
                [],
                name=source.name + f".duplicate[{i}]",
                stage=stage,
            )
        )
    return out

