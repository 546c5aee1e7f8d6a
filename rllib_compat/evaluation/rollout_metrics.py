"""RLlib 1.x import path ``ray.rllib.evaluation.rollout_metrics``: ``RolloutMetrics`` of :mod:`rlcore.sampling.metrics`.

Examples:
    >>> from rllib_compat.evaluation.rollout_metrics import RolloutMetrics
    >>> import rlcore.sampling.metrics
    >>> RolloutMetrics is rlcore.sampling.metrics.RolloutMetrics
    True
"""

from rlcore.sampling.metrics import RolloutMetrics

__all__ = ["RolloutMetrics"]
