"""``ray.rllib.agents.a3c.a2c``: the same objects as :mod:`rlcore.algorithms.a2c.a2c`.

Examples:
    >>> from rllib_compat.agents.a3c.a2c import A2CTrainer
    >>> import rlcore.algorithms.a2c.a2c
    >>> A2CTrainer is rlcore.algorithms.a2c.a2c.A2CTrainer
    True
"""

from rlcore.algorithms.a2c.a2c import A2C_DEFAULT_CONFIG, A2CTrainer, execution_plan

__all__ = ["A2C_DEFAULT_CONFIG", "A2CTrainer", "execution_plan"]
