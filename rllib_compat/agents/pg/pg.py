"""``ray.rllib.agents.pg.pg``: the same objects as :mod:`rlcore.algorithms.pg.pg`.

Examples:
    >>> from rllib_compat.agents.pg.pg import PGTrainer
    >>> import rlcore.algorithms.pg.pg
    >>> PGTrainer is rlcore.algorithms.pg.pg.PGTrainer
    True
"""

from rlcore.algorithms.pg.pg import DEFAULT_CONFIG, PGTrainer, get_policy_class

__all__ = ["DEFAULT_CONFIG", "PGTrainer", "get_policy_class"]
