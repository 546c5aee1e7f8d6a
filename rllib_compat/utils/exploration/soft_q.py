"""RLlib 1.x import path ``ray.rllib.utils.exploration.soft_q``: the same objects as :mod:`rlcore.policy.exploration.soft_q`.

Examples:
    >>> from rllib_compat.utils.exploration.soft_q import SoftQ
    >>> import rlcore.policy.exploration.soft_q
    >>> SoftQ is rlcore.policy.exploration.soft_q.SoftQ
    True
"""

from rlcore.policy.exploration.soft_q import SoftQ

__all__ = ["SoftQ"]
