"""``ray.rllib.agents.sac.sac_tf_policy``: the same objects as :mod:`rlcore.algorithms.sac.sac_tf_policy`.

Examples:
    >>> from rllib_compat.agents.sac.sac_tf_policy import SACTFPolicy, actor_critic_loss
    >>> SACTFPolicy.__name__, actor_critic_loss.__name__
    ('SACTFPolicy', 'actor_critic_loss')
"""

from rlcore.algorithms.sac.sac_tf_policy import SACTFPolicy, actor_critic_loss, build_sac_model, stats

__all__ = ["SACTFPolicy", "actor_critic_loss", "build_sac_model", "stats"]
