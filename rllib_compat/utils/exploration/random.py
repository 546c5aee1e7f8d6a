"""RLlib 1.x import path ``ray.rllib.utils.exploration.random``: the same objects as :mod:`rlcore.policy.exploration.random`.

Examples:
    >>> from rllib_compat.utils.exploration.random import Random
    >>> import rlcore.policy.exploration.random
    >>> Random is rlcore.policy.exploration.random.Random
    True
"""

from rlcore.policy.exploration.random import Random

__all__ = ["Random"]
