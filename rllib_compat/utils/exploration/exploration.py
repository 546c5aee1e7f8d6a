"""RLlib 1.x import path ``ray.rllib.utils.exploration.exploration``: the same objects as :mod:`rlcore.policy.exploration.exploration`.

Examples:
    >>> from rllib_compat.utils.exploration.exploration import Exploration
    >>> import rlcore.policy.exploration.exploration
    >>> Exploration is rlcore.policy.exploration.exploration.Exploration
    True
"""

from rlcore.policy.exploration.exploration import Exploration

__all__ = ["Exploration"]
