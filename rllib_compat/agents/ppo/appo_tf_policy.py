"""``ray.rllib.agents.ppo.appo_tf_policy``: ``AsyncPPOTFPolicy`` of :mod:`rlcore.algorithms.appo.appo_tf_policy`.

Examples:
    >>> from rllib_compat.agents.ppo.appo_tf_policy import AsyncPPOTFPolicy
    >>> import rlcore.algorithms.appo.appo_tf_policy
    >>> AsyncPPOTFPolicy is rlcore.algorithms.appo.appo_tf_policy.AsyncPPOTFPolicy
    True
"""

from rlcore.algorithms.appo.appo_tf_policy import AsyncPPOTFPolicy

__all__ = ["AsyncPPOTFPolicy"]
