"""RLlib 1.x import path ``ray.rllib.utils.exploration.ornstein_uhlenbeck_noise``: the same objects as :mod:`rlcore.policy.exploration.ornstein_uhlenbeck_noise`.

Examples:
    >>> from rllib_compat.utils.exploration.ornstein_uhlenbeck_noise import OrnsteinUhlenbeckNoise
    >>> import rlcore.policy.exploration.ornstein_uhlenbeck_noise
    >>> OrnsteinUhlenbeckNoise is rlcore.policy.exploration.ornstein_uhlenbeck_noise.OrnsteinUhlenbeckNoise
    True
"""

from rlcore.policy.exploration.ornstein_uhlenbeck_noise import OrnsteinUhlenbeckNoise

__all__ = ["OrnsteinUhlenbeckNoise"]
