"""``ray.rllib.agents.ddpg.ddpg_torch_policy``: the same objects as :mod:`rlcore.algorithms.ddpg.ddpg_torch_policy`.

Examples:
    >>> from rllib_compat.agents.ddpg.ddpg_torch_policy import DDPGTorchPolicy, ddpg_actor_critic_loss
    >>> DDPGTorchPolicy.__name__, ddpg_actor_critic_loss.__name__
    ('DDPGTorchPolicy', 'ddpg_actor_critic_loss')
"""

from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy, build_ddpg_model, ddpg_actor_critic_loss, stats

__all__ = ["DDPGTorchPolicy", "build_ddpg_model", "ddpg_actor_critic_loss", "stats"]
