"""``ray.rllib.agents.a3c.a3c_tf_policy``: the same objects as :mod:`rlcore.algorithms.a3c.a3c_tf_policy`.

Examples:
    >>> from rllib_compat.agents.a3c.a3c_tf_policy import A3CTFPolicy
    >>> import rlcore.algorithms.a3c.a3c_tf_policy
    >>> A3CTFPolicy is rlcore.algorithms.a3c.a3c_tf_policy.A3CTFPolicy
    True
"""

from rlcore.algorithms.a3c.a3c_tf_policy import A3CTFPolicy, actor_critic_loss, setup_mixins
from rlcore.algorithms.tf_mixins import TFValueNetworkMixin as ValueNetworkMixin

__all__ = ["A3CTFPolicy", "actor_critic_loss", "setup_mixins", "ValueNetworkMixin"]
