"""RLlib 1.x import path ``ray.rllib.policy.policy_template``: the same objects as :mod:`rlcore.policy.policy_template`.

Examples:
    >>> from rllib_compat.policy.policy_template import build_policy_class
    >>> import rlcore.policy.policy_template
    >>> build_policy_class is rlcore.policy.policy_template.build_policy_class
    True
"""

from rlcore.policy.policy_template import build_policy_class

__all__ = ["build_policy_class"]
