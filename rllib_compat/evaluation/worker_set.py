"""``ray.rllib.evaluation.worker_set``."""

from rlcore.sampling.worker_set import WorkerSet

__all__ = ["WorkerSet"]
