"""RLlib 1.x import path ``ray.rllib.policy.policy``: the same objects as :mod:`rlcore.policy.policy`.

Examples:
    >>> from rllib_compat.policy.policy import Policy
    >>> import rlcore.policy.policy
    >>> Policy is rlcore.policy.policy.Policy
    True
"""

from rlcore.policy.policy import LEARNER_STATS_KEY, Policy

__all__ = ["Policy", "LEARNER_STATS_KEY"]
