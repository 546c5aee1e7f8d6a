"""``ray.rllib.agents.trainer_template``: ``build_trainer`` and the default plan, from :mod:`rlcore.trainer`.

Examples:
    >>> from rllib_compat.agents.trainer_template import build_trainer, default_execution_plan
    >>> import rlcore.trainer
    >>> build_trainer is rlcore.trainer.build_trainer
    True
    >>> default_execution_plan is rlcore.trainer.default_execution_plan
    True
"""

from rlcore.trainer import build_trainer, default_execution_plan

__all__ = ["build_trainer", "default_execution_plan"]
