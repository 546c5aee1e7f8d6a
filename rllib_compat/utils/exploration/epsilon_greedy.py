"""RLlib 1.x import path ``ray.rllib.utils.exploration.epsilon_greedy``: the same objects as :mod:`rlcore.policy.exploration.epsilon_greedy`.

Examples:
    >>> from rllib_compat.utils.exploration.epsilon_greedy import EpsilonGreedy
    >>> import rlcore.policy.exploration.epsilon_greedy
    >>> EpsilonGreedy is rlcore.policy.exploration.epsilon_greedy.EpsilonGreedy
    True
"""

from rlcore.policy.exploration.epsilon_greedy import EpsilonGreedy

__all__ = ["EpsilonGreedy"]
