"""``ray.rllib.agents.ppo.ppo_torch_policy``: the same objects as :mod:`rlcore.algorithms.ppo.ppo_torch_policy`.

Examples:
    >>> from rllib_compat.agents.ppo.ppo_torch_policy import PPOTorchPolicy
    >>> import rlcore.algorithms.ppo.ppo_torch_policy
    >>> PPOTorchPolicy is rlcore.algorithms.ppo.ppo_torch_policy.PPOTorchPolicy
    True
"""

from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy, ppo_surrogate_loss, kl_and_loss_stats, setup_mixins
from rlcore.algorithms.ppo.kl_coeff import KLCoeffMixin
from rlcore.algorithms.torch_mixins import TorchValueNetworkMixin as ValueNetworkMixin

__all__ = ["PPOTorchPolicy", "ppo_surrogate_loss", "kl_and_loss_stats", "setup_mixins", "KLCoeffMixin", "ValueNetworkMixin"]
