"""``ray.rllib.agents.ddpg.apex``: the same objects as :mod:`rlcore.algorithms.ddpg.apex`.

Examples:
    >>> from rllib_compat.agents.ddpg.apex import ApexDDPGTrainer, APEX_DDPG_DEFAULT_CONFIG
    >>> ApexDDPGTrainer.__name__, APEX_DDPG_DEFAULT_CONFIG["worker_side_prioritization"]
    ('APEX_DDPG', True)
"""

from rlcore.algorithms.ddpg.apex import APEX_DDPG_DEFAULT_CONFIG, ApexDDPGTrainer

__all__ = ["APEX_DDPG_DEFAULT_CONFIG", "ApexDDPGTrainer"]
