"""RLlib 1.x import path ``ray.rllib.policy.torch_policy_template``: the same objects as :mod:`rlcore.policy.torch_policy_template`.

Examples:
    >>> from rllib_compat.policy.torch_policy_template import build_torch_policy
    >>> import rlcore.policy.torch_policy_template
    >>> build_torch_policy is rlcore.policy.torch_policy_template.build_torch_policy
    True
"""

from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["build_torch_policy"]
