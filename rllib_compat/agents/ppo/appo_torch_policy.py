"""``ray.rllib.agents.ppo.appo_torch_policy``: ``AsyncPPOTorchPolicy`` of :mod:`rlcore.algorithms.appo.appo_torch_policy`.

Examples:
    >>> from rllib_compat.agents.ppo.appo_torch_policy import AsyncPPOTorchPolicy
    >>> import rlcore.algorithms.appo.appo_torch_policy
    >>> AsyncPPOTorchPolicy is rlcore.algorithms.appo.appo_torch_policy.AsyncPPOTorchPolicy
    True
"""

from rlcore.algorithms.appo.appo_torch_policy import AsyncPPOTorchPolicy

__all__ = ["AsyncPPOTorchPolicy"]
