"""RLlib 1.x import path ``ray.rllib.utils.exploration.stochastic_sampling``: the same objects as :mod:`rlcore.policy.exploration.stochastic_sampling`.

Examples:
    >>> from rllib_compat.utils.exploration.stochastic_sampling import StochasticSampling
    >>> import rlcore.policy.exploration.stochastic_sampling
    >>> StochasticSampling is rlcore.policy.exploration.stochastic_sampling.StochasticSampling
    True
"""

from rlcore.policy.exploration.stochastic_sampling import StochasticSampling

__all__ = ["StochasticSampling"]
