"""``ray.rllib.agents.ddpg.td3``: the same objects as :mod:`rlcore.algorithms.ddpg.td3`.

Examples:
    >>> from rllib_compat.agents.ddpg.td3 import TD3Trainer, TD3_DEFAULT_CONFIG
    >>> TD3Trainer.__name__, TD3_DEFAULT_CONFIG["policy_delay"]
    ('TD3', 2)
"""

from rlcore.algorithms.ddpg.td3 import DEFAULT_CONFIG, TD3_DEFAULT_CONFIG, TD3Trainer

__all__ = ["DEFAULT_CONFIG", "TD3_DEFAULT_CONFIG", "TD3Trainer"]
