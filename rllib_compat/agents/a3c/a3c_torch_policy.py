"""``ray.rllib.agents.a3c.a3c_torch_policy``: the same objects as :mod:`rlcore.algorithms.a3c.a3c_torch_policy`.

Examples:
    >>> from rllib_compat.agents.a3c.a3c_torch_policy import A3CTorchPolicy
    >>> import rlcore.algorithms.a3c.a3c_torch_policy
    >>> A3CTorchPolicy is rlcore.algorithms.a3c.a3c_torch_policy.A3CTorchPolicy
    True
"""

from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy, actor_critic_loss, loss_and_entropy_stats, setup_mixins
from rlcore.algorithms.torch_mixins import TorchValueNetworkMixin as ValueNetworkMixin

__all__ = ["A3CTorchPolicy", "actor_critic_loss", "loss_and_entropy_stats", "setup_mixins", "ValueNetworkMixin"]
