"""``ray.rllib.agents.dqn.simple_q_torch_policy``: the same objects as :mod:`rlcore.algorithms.dqn.simple_q_torch_policy`.

Examples:
    >>> from rllib_compat.agents.dqn.simple_q_torch_policy import SimpleQTorchPolicy
    >>> import rlcore.algorithms.dqn.simple_q_torch_policy
    >>> SimpleQTorchPolicy is rlcore.algorithms.dqn.simple_q_torch_policy.SimpleQTorchPolicy
    True
"""

from rlcore.algorithms.dqn.simple_q_torch_policy import SimpleQTorchPolicy
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin as TargetNetworkMixin

__all__ = ["SimpleQTorchPolicy", "TargetNetworkMixin"]
