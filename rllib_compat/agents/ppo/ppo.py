"""``ray.rllib.agents.ppo.ppo``: the same objects as :mod:`rlcore.algorithms.ppo.ppo`.

Examples:
    >>> from rllib_compat.agents.ppo.ppo import PPOTrainer
    >>> import rlcore.algorithms.ppo.ppo
    >>> PPOTrainer is rlcore.algorithms.ppo.ppo.PPOTrainer
    True
"""

from rlcore.algorithms.ppo.ppo import DEFAULT_CONFIG, PPOTrainer, UpdateKL, execution_plan, get_policy_class, validate_config, warn_about_bad_reward_scales

__all__ = ["DEFAULT_CONFIG", "PPOTrainer", "UpdateKL", "execution_plan", "get_policy_class", "validate_config", "warn_about_bad_reward_scales"]
