"""``ray.rllib.execution.concurrency_ops``: :mod:`rlcore.ops.concurrency` under RLlib's names.

``Concurrently`` is :func:`rlcore.ops.concurrently` that also takes ``ray.util.iter``
iterators, as RLlib 1.x plans pass them (read through :func:`rlcore.dataflow.as_local_iterator`).

Examples:
    >>> from rllib_compat.execution.concurrency_ops import Concurrently, Dequeue
    >>> import rlcore.ops
    >>> Concurrently.__wrapped__ is rlcore.ops.concurrently, Dequeue is rlcore.ops.dequeue
    (True, True)
"""

from typing import Any, Optional, Sequence

from rlcore.dataflow import LocalIterator, as_local_iterator
from rlcore.ops.concurrency import Enqueue, concurrently
from rlcore.ops.concurrency import dequeue as Dequeue

__all__ = ["Concurrently", "Enqueue", "Dequeue"]


def Concurrently(ops: Sequence[Any], *, mode: str = "round_robin", output_indexes: Optional[Sequence[int]] = None,
                 round_robin_weights: Optional[Sequence[Any]] = None) -> LocalIterator[Any]:
    """Runs sub-plans concurrently as one stream: :func:`rlcore.ops.concurrently`.

    Args:
        ops: Two or more local iterators, rlcore's or ``ray.util.iter``'s.
        mode: ``"round_robin"`` or ``"async"``.
        output_indexes: Indexes of the sub-plans whose items are output (default: all).
        round_robin_weights: Items per round from each sub-plan (``"*"``: all that are ready).

    Returns:
        An rlcore ``LocalIterator``; its operators and the Ray stages inside share one metrics context.

    Raises:
        TypeError: For an op that is not a local iterator (naming its index).
        ValueError: As :func:`rlcore.ops.concurrently`.

    Examples:
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics
        >>> a = LocalIterator(lambda t: iter([1, 2]), SharedMetrics())
        >>> b = LocalIterator(lambda t: iter("ab"), SharedMetrics())
        >>> Concurrently([a, b]).take(4)
        [1, 'a', 2, 'b']
    """
    ops = [as_local_iterator(op, f"Concurrently ops[{i}]") for i, op in enumerate(ops)]
    return concurrently(ops, mode=mode, output_indexes=output_indexes, round_robin_weights=round_robin_weights)


Concurrently.__wrapped__ = concurrently
