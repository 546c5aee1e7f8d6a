"""RLlib 1.x import path ``ray.rllib.utils.exploration.per_worker_gaussian_noise``: the same objects as :mod:`rlcore.policy.exploration.per_worker`.

Examples:
    >>> from rllib_compat.utils.exploration.per_worker_gaussian_noise import PerWorkerGaussianNoise
    >>> import rlcore.policy.exploration.per_worker
    >>> PerWorkerGaussianNoise is rlcore.policy.exploration.per_worker.PerWorkerGaussianNoise
    True
"""

from rlcore.policy.exploration.per_worker import PerWorkerGaussianNoise

__all__ = ["PerWorkerGaussianNoise"]
