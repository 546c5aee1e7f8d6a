"""RLlib 1.x import path ``ray.rllib.models.action_dist``: the same objects as :mod:`rlcore.models.action_dist`.

Examples:
    >>> from rllib_compat.models.action_dist import ActionDistribution
    >>> import rlcore.models.action_dist
    >>> ActionDistribution is rlcore.models.action_dist.ActionDistribution
    True
"""

from rlcore.models.action_dist import ActionDistribution

__all__ = ["ActionDistribution"]
