"""``ray.rllib.agents.marwil.marwil``: the same objects as :mod:`rlcore.algorithms.marwil.marwil`.

Examples:
    >>> from rllib_compat.agents.marwil.marwil import MARWILTrainer, DEFAULT_CONFIG
    >>> MARWILTrainer.__name__, DEFAULT_CONFIG["vf_coeff"]
    ('MARWIL', 1.0)
"""

from rlcore.algorithms.marwil.marwil import DEFAULT_CONFIG, MARWILTrainer, execution_plan, get_policy_class, validate_config

__all__ = ["DEFAULT_CONFIG", "MARWILTrainer", "execution_plan", "get_policy_class", "validate_config"]
