"""``ray.rllib.agents.dqn.simple_q_tf_policy``: the same objects as :mod:`rlcore.algorithms.dqn.simple_q_tf_policy`.

Examples:
    >>> from rllib_compat.agents.dqn.simple_q_tf_policy import SimpleQTFPolicy
    >>> import rlcore.algorithms.dqn.simple_q_tf_policy
    >>> SimpleQTFPolicy is rlcore.algorithms.dqn.simple_q_tf_policy.SimpleQTFPolicy
    True
"""

from rlcore.algorithms.dqn.simple_q_tf_policy import SimpleQTFPolicy
from rlcore.algorithms.tf_mixins import TFTargetNetworkMixin as TargetNetworkMixin

__all__ = ["SimpleQTFPolicy", "TargetNetworkMixin"]
