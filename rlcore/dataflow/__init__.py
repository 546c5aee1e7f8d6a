"""The dataflow DSL: parallel and local iterators that execution plans are written in.

Semantics follow ``ray.util.iter`` (RLlib Flow). A :class:`ParallelIterator` is a stream split over
shards (in-process objects or Ray actors) whose operators run on the shards; a gather turns it
into a :class:`LocalIterator` whose operators run here. Every operator's function sees the
pipeline's metrics through :func:`get_metrics`, and ``NOT_READY`` lets non-blocking streams be
merged. Importing this package imports neither Ray nor any ML framework.

Examples:
    >>> from rlcore.dataflow import from_range
    >>> it = from_range(8, num_shards=2, backend="inprocess").for_each(lambda x: x * x)
    >>> local = it.gather_sync().batch(3)
    >>> local
    LocalIterator[ParallelIterator[from_range[8, shards=2].for_each()].gather_sync().batch(3)]
    >>> list(local)
    [[0, 16, 1], [25, 4, 36], [9, 49]]
"""

from rlcore.dataflow._sentinels import NOT_READY, NotReadyType, skips_not_ready
from rlcore.dataflow.creation import from_actors, from_items, from_iterators, from_range
from rlcore.dataflow.labels import Labelable, Labeled, labeled
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import MetricsContext, SharedMetrics, TimerStat, get_metrics
from rlcore.dataflow.parallel_iterator import ParallelIterator
from rlcore.dataflow.ray_util_iter import as_local_iterator
from rlcore.dataflow.shard_error import ShardError
from rlcore.dataflow.worker import ParallelIteratorWorker

__all__ = [
    "NOT_READY",
    "NotReadyType",
    "skips_not_ready",
    "from_actors",
    "from_items",
    "from_iterators",
    "from_range",
    "LocalIterator",
    "ParallelIterator",
    "as_local_iterator",
    "ParallelIteratorWorker",
    "MetricsContext",
    "SharedMetrics",
    "TimerStat",
    "get_metrics",
    "ShardError",
    "Labelable",
    "Labeled",
    "labeled",
]
