"""``ray.rllib.agents.sac.sac_torch_policy``: the same objects as :mod:`rlcore.algorithms.sac.sac_torch_policy`.

Examples:
    >>> from rllib_compat.agents.sac.sac_torch_policy import SACTorchPolicy, actor_critic_loss
    >>> SACTorchPolicy.__name__, actor_critic_loss.__name__
    ('SACTorchPolicy', 'actor_critic_loss')
"""

from rlcore.algorithms.sac.sac_torch_policy import SACTorchPolicy, actor_critic_loss, build_sac_model, stats

__all__ = ["SACTorchPolicy", "actor_critic_loss", "build_sac_model", "stats"]
