"""``ray.rllib.agents.marwil.bc``: the same objects as :mod:`rlcore.algorithms.marwil.bc`.

Examples:
    >>> from rllib_compat.agents.marwil.bc import BCTrainer, BC_DEFAULT_CONFIG
    >>> BCTrainer.__name__, BC_DEFAULT_CONFIG["beta"]
    ('BC', 0.0)
"""

from rlcore.algorithms.marwil.bc import BC_DEFAULT_CONFIG, BCTrainer, validate_config

__all__ = ["BC_DEFAULT_CONFIG", "BCTrainer", "validate_config"]
