"""``ray.rllib.evaluation``: rollout workers, worker sets, episodes, metrics, postprocessing."""

from rlcore.sampling import (
    MultiAgentEpisode,
    RolloutWorker,
    WorkerSet,
    collect_episodes,
    collect_metrics,
    compute_advantages,
)
from rlcore.sampling.metrics import RolloutMetrics

__all__ = [
    "MultiAgentEpisode",
    "RolloutMetrics",
    "RolloutWorker",
    "WorkerSet",
    "collect_episodes",
    "collect_metrics",
    "compute_advantages",
]
