"""``ray.rllib.agents.ppo.ppo_tf_policy``: the same objects as :mod:`rlcore.algorithms.ppo.ppo_tf_policy`.

Examples:
    >>> from rllib_compat.agents.ppo.ppo_tf_policy import PPOTFPolicy
    >>> import rlcore.algorithms.ppo.ppo_tf_policy
    >>> PPOTFPolicy is rlcore.algorithms.ppo.ppo_tf_policy.PPOTFPolicy
    True
"""

from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy, ppo_surrogate_loss, kl_and_loss_stats, setup_mixins
from rlcore.algorithms.ppo.kl_coeff import TFKLCoeffMixin as KLCoeffMixin
from rlcore.algorithms.tf_mixins import TFValueNetworkMixin as ValueNetworkMixin

__all__ = ["PPOTFPolicy", "ppo_surrogate_loss", "kl_and_loss_stats", "setup_mixins", "KLCoeffMixin", "ValueNetworkMixin"]
