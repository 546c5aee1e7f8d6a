"""``ray.rllib.evaluation.rollout_worker``."""

from rlcore.sampling.rollout_worker import RolloutWorker, get_global_worker

__all__ = ["RolloutWorker", "get_global_worker"]
