"""``ray.rllib.execution.metric_ops``: the same objects as :mod:`rlcore.ops.metrics`.

Examples:
    >>> from rllib_compat.execution.metric_ops import StandardMetricsReporting
    >>> import rlcore.ops
    >>> StandardMetricsReporting is rlcore.ops.standard_metrics_reporting
    True
"""

from rlcore.ops.metrics import CollectMetrics, OncePerTimeInterval, OncePerTimestepsElapsed
from rlcore.ops.metrics import standard_metrics_reporting as StandardMetricsReporting

__all__ = ["StandardMetricsReporting", "CollectMetrics", "OncePerTimeInterval", "OncePerTimestepsElapsed"]
