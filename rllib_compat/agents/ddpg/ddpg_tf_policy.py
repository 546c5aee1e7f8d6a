"""``ray.rllib.agents.ddpg.ddpg_tf_policy``: the same objects as :mod:`rlcore.algorithms.ddpg.ddpg_tf_policy`.

Examples:
    >>> from rllib_compat.agents.ddpg.ddpg_tf_policy import DDPGTFPolicy, ddpg_actor_critic_loss
    >>> DDPGTFPolicy.__name__, ddpg_actor_critic_loss.__name__
    ('DDPGTFPolicy', 'ddpg_actor_critic_loss')
"""

from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy, build_ddpg_model, ddpg_actor_critic_loss, stats

__all__ = ["DDPGTFPolicy", "build_ddpg_model", "ddpg_actor_critic_loss", "stats"]
