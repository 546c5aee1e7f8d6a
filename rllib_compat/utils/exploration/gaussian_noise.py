"""RLlib 1.x import path ``ray.rllib.utils.exploration.gaussian_noise``: the same objects as :mod:`rlcore.policy.exploration.gaussian_noise`.

Examples:
    >>> from rllib_compat.utils.exploration.gaussian_noise import GaussianNoise
    >>> import rlcore.policy.exploration.gaussian_noise
    >>> GaussianNoise is rlcore.policy.exploration.gaussian_noise.GaussianNoise
    True
"""

from rlcore.policy.exploration.gaussian_noise import GaussianNoise

__all__ = ["GaussianNoise"]
