"""``ray.rllib.agents.sac.sac``: the same objects as :mod:`rlcore.algorithms.sac.sac`.

Examples:
    >>> from rllib_compat.agents.sac.sac import SACTrainer, DEFAULT_CONFIG
    >>> SACTrainer.__name__, DEFAULT_CONFIG["tau"]
    ('SAC', 0.005)
"""

from rlcore.algorithms.sac.sac import DEFAULT_CONFIG, SACTrainer, get_policy_class, validate_config

__all__ = ["DEFAULT_CONFIG", "SACTrainer", "get_policy_class", "validate_config"]
