"""``ray.util.iter_metrics`` under its old names: the same objects as :mod:`rlcore.dataflow.metrics`.

Examples:
    >>> from rllib_compat.util.iter_metrics import MetricsContext, SharedMetrics
    >>> import rlcore.dataflow
    >>> MetricsContext is rlcore.dataflow.MetricsContext
    True
"""

from rlcore.dataflow.metrics import MetricsContext, SharedMetrics

__all__ = ["MetricsContext", "SharedMetrics"]
