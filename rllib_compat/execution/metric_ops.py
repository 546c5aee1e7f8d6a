"""``ray.rllib.execution.metric_ops``: :mod:`rlcore.ops.metrics` under RLlib's names.

``StandardMetricsReporting`` is :func:`rlcore.ops.standard_metrics_reporting` that also takes a
``ray.util.iter`` training stream, as RLlib 1.x plans pass it (read through
:func:`rlcore.dataflow.as_local_iterator`).

Examples:
    >>> from rllib_compat.execution.metric_ops import StandardMetricsReporting
    >>> import rlcore.ops
    >>> StandardMetricsReporting.__wrapped__ is rlcore.ops.standard_metrics_reporting
    True
"""

from typing import Any, Dict, Mapping, Optional, Sequence

from rlcore.dataflow import LocalIterator, as_local_iterator
from rlcore.ops.metrics import CollectMetrics, OncePerTimeInterval, OncePerTimestepsElapsed, standard_metrics_reporting

__all__ = ["StandardMetricsReporting", "CollectMetrics", "OncePerTimeInterval", "OncePerTimestepsElapsed"]


def StandardMetricsReporting(train_op: Any, workers: Any, config: Mapping[str, Any],
                             selected_workers: Optional[Sequence[Any]] = None) -> LocalIterator[Dict[str, Any]]:
    """A training stream as a stream of result dicts: :func:`rlcore.ops.standard_metrics_reporting`.

    Args:
        train_op: The training stream, an rlcore or ``ray.util.iter`` local iterator.
        workers: The ``WorkerSet`` whose episodes are reported.
        config: Reads ``timesteps_per_iteration``, ``min_iter_time_s``,
            ``metrics_smoothing_episodes`` and ``collect_metrics_timeout``.
        selected_workers: Report only the episodes of these remote workers (default: all).

    Raises:
        TypeError: When ``train_op`` is not a local iterator.
    """
    return standard_metrics_reporting(as_local_iterator(train_op, "StandardMetricsReporting train_op"),
                                      workers, config, selected_workers)


StandardMetricsReporting.__wrapped__ = standard_metrics_reporting
