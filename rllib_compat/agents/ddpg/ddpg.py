"""``ray.rllib.agents.ddpg.ddpg``: the same objects as :mod:`rlcore.algorithms.ddpg.ddpg`.

Examples:
    >>> from rllib_compat.agents.ddpg.ddpg import DDPGTrainer, DEFAULT_CONFIG
    >>> DDPGTrainer.__name__, DEFAULT_CONFIG["tau"]
    ('DDPG', 0.002)
"""

from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG, DDPGTrainer, get_policy_class, validate_config

__all__ = ["DEFAULT_CONFIG", "DDPGTrainer", "get_policy_class", "validate_config"]
