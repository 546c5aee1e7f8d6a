"""RLlib 1.x import path ``ray.rllib.policy.tf_policy_template``: the same objects as :mod:`rlcore.policy.tf_policy_template`.

Examples:
    >>> from rllib_compat.policy.tf_policy_template import build_tf_policy
    >>> import rlcore.policy.tf_policy_template
    >>> build_tf_policy is rlcore.policy.tf_policy_template.build_tf_policy
    True
"""

from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["build_tf_policy"]
