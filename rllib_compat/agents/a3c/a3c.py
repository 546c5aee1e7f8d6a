"""``ray.rllib.agents.a3c.a3c``: the same objects as :mod:`rlcore.algorithms.a3c.a3c`.

Examples:
    >>> from rllib_compat.agents.a3c.a3c import A3CTrainer
    >>> import rlcore.algorithms.a3c.a3c
    >>> A3CTrainer is rlcore.algorithms.a3c.a3c.A3CTrainer
    True
"""

from rlcore.algorithms.a3c.a3c import DEFAULT_CONFIG, A3CTrainer, execution_plan, get_policy_class, validate_config

__all__ = ["DEFAULT_CONFIG", "A3CTrainer", "execution_plan", "get_policy_class", "validate_config"]
