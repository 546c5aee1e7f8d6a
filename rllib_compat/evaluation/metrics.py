"""``ray.rllib.evaluation.metrics``: episode metrics, the same objects as :mod:`rlcore.sampling.metrics`.

Examples:
    >>> from rllib_compat.evaluation.metrics import RolloutMetrics, summarize_episodes
    >>> summarize_episodes([RolloutMetrics(3, 1.5)])["episode_reward_mean"]
    1.5
"""

from rlcore.sampling.metrics import (
    RolloutMetrics,
    collect_episodes,
    collect_metrics,
    get_learner_stats,
    summarize_episodes,
)

__all__ = ["RolloutMetrics", "collect_episodes", "collect_metrics", "get_learner_stats", "summarize_episodes"]
