"""RLlib 1.x import path ``ray.rllib.utils.exploration.per_worker_ornstein_uhlenbeck_noise``: the same objects as :mod:`rlcore.policy.exploration.per_worker`.

Examples:
    >>> from rllib_compat.utils.exploration.per_worker_ornstein_uhlenbeck_noise import PerWorkerOrnsteinUhlenbeckNoise
    >>> import rlcore.policy.exploration.per_worker
    >>> PerWorkerOrnsteinUhlenbeckNoise is rlcore.policy.exploration.per_worker.PerWorkerOrnsteinUhlenbeckNoise
    True
"""

from rlcore.policy.exploration.per_worker import PerWorkerOrnsteinUhlenbeckNoise

__all__ = ["PerWorkerOrnsteinUhlenbeckNoise"]
