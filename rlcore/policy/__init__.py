"""Policies: the Policy base class, torch and TensorFlow 2 policies, templates, exploration and schedules.

Importing this package imports neither torch nor TensorFlow; the framework policies import them
when a policy is built.

Examples:
    >>> from rlcore.policy import Policy, build_torch_policy, build_tf_policy
    >>> Policy.__name__
    'Policy'
"""

from rlcore.policy.policy import LEARNER_STATS_KEY, Policy
from rlcore.policy.policy_template import build_policy_class
from rlcore.policy.random_policy import RandomPolicy
from rlcore.policy.tf_policy import TFPolicy
from rlcore.policy.tf_policy_template import build_tf_policy
from rlcore.policy.torch_policy import TorchPolicy
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = [
    "RandomPolicy",
    "LEARNER_STATS_KEY",
    "Policy",
    "TFPolicy",
    "TorchPolicy",
    "build_policy_class",
    "build_tf_policy",
    "build_torch_policy",
]
