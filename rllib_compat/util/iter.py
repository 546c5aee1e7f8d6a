"""``ray.util.iter`` under its old names: the same objects as :mod:`rlcore.dataflow`.

Code written for RLlib 1.x keeps working by importing from here instead. ``_NextValueNotReady``
is the class of :data:`rlcore.dataflow.NOT_READY` (calling it returns that singleton), and
``_ActorSet`` is rlcore's ``ShardSet``.

Examples:
    >>> from rllib_compat.util.iter import from_range, _NextValueNotReady
    >>> from rlcore.dataflow import NOT_READY
    >>> _NextValueNotReady() is NOT_READY
    True
    >>> from_range(4, num_shards=2, backend="inprocess").gather_sync().take(4)
    [0, 2, 1, 3]
"""

from rlcore.dataflow import (
    LocalIterator,
    ParallelIterator,
    ParallelIteratorWorker,
    from_actors,
    from_items,
    from_iterators,
    from_range,
)
from rlcore.dataflow._sentinels import NotReadyType as _NextValueNotReady
from rlcore.dataflow.local_combinators import _randomized_int_cast
from rlcore.dataflow.parallel_iterator import ShardSet as _ActorSet

__all__ = [
    "LocalIterator",
    "ParallelIterator",
    "ParallelIteratorWorker",
    "from_actors",
    "from_items",
    "from_iterators",
    "from_range",
    "_NextValueNotReady",
    "_ActorSet",
    "_randomized_int_cast",
]
