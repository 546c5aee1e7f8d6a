"""A2C: synchronous advantage actor-critic (A3C's policies), with optional microbatch gradient accumulation.

Examples:
    >>> from rlcore.algorithms.a2c import A2CTrainer, A2C_DEFAULT_CONFIG
    >>> A2CTrainer.__name__, A2C_DEFAULT_CONFIG["microbatch_size"]
    ('A2C', None)
"""

from rlcore.algorithms.a2c.a2c import A2C_DEFAULT_CONFIG, A2CTrainer, execution_plan

DEFAULT_CONFIG = A2C_DEFAULT_CONFIG

__all__ = ["A2C_DEFAULT_CONFIG", "DEFAULT_CONFIG", "A2CTrainer", "execution_plan"]
