"""RLlib 1.x import path ``ray.rllib.utils.exploration``: the same objects as :mod:`rlcore.policy.exploration`.

Examples:
    >>> from rllib_compat.utils.exploration import EpsilonGreedy
    >>> import rlcore.policy.exploration
    >>> EpsilonGreedy is rlcore.policy.exploration.EpsilonGreedy
    True
"""

from rlcore.policy.exploration import (
    EpsilonGreedy,
    Exploration,
    GaussianNoise,
    OrnsteinUhlenbeckNoise,
    ParameterNoise,
    PerWorkerEpsilonGreedy,
    PerWorkerGaussianNoise,
    PerWorkerOrnsteinUhlenbeckNoise,
    Random,
    SoftQ,
    StochasticSampling,
)

__all__ = [
    "Exploration",
    "EpsilonGreedy",
    "GaussianNoise",
    "OrnsteinUhlenbeckNoise",
    "ParameterNoise",
    "PerWorkerEpsilonGreedy",
    "PerWorkerGaussianNoise",
    "PerWorkerOrnsteinUhlenbeckNoise",
    "Random",
    "SoftQ",
    "StochasticSampling",
]
