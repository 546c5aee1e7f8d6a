"""RLlib 1.x import path ``ray.rllib.policy``: ``Policy``, ``TorchPolicy``, ``TFPolicy`` and the policy builders.

The same objects as :mod:`rlcore.policy`; importing this package imports neither torch nor
TensorFlow (the framework policies import theirs when a policy is built).

Examples:
    >>> from rllib_compat.policy import Policy, TFPolicy, TorchPolicy, build_tf_policy, build_torch_policy
    >>> import rlcore.policy
    >>> Policy is rlcore.policy.Policy and TFPolicy is rlcore.policy.TFPolicy
    True
"""

from rlcore.policy import Policy, TFPolicy, TorchPolicy, build_policy_class, build_tf_policy, build_torch_policy

__all__ = ["Policy", "TFPolicy", "TorchPolicy", "build_policy_class", "build_tf_policy", "build_torch_policy"]
