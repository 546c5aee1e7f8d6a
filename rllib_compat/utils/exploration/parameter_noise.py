"""RLlib 1.x import path ``ray.rllib.utils.exploration.parameter_noise``: the same object as :mod:`rlcore.policy.exploration.parameter_noise`.

Examples:
    >>> from rllib_compat.utils.exploration.parameter_noise import ParameterNoise
    >>> import rlcore.policy.exploration.parameter_noise
    >>> ParameterNoise is rlcore.policy.exploration.parameter_noise.ParameterNoise
    True
"""

from rlcore.policy.exploration.parameter_noise import ParameterNoise

__all__ = ["ParameterNoise"]
