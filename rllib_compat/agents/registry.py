"""``ray.rllib.agents.registry``: ``get_trainer_class`` over rlcore's algorithms, from :mod:`rlcore.registry`.

``ALGORITHMS`` maps each built-in name to ``(module, class name)``; the module is imported only
when ``get_trainer_class`` looks the name up. ``get_agent_class`` is RLlib 1.x's older name for
``get_trainer_class`` (the same function).

Examples:
    >>> from rllib_compat.agents.registry import get_trainer_class, ALGORITHMS
    >>> import rlcore.registry
    >>> get_trainer_class is rlcore.registry.get_trainer_class
    True
    >>> get_agent_class("PG") is get_trainer_class("PG")
    True
    >>> import rlcore.registry
    >>> sorted(ALGORITHMS) == sorted(rlcore.registry.BUILTIN_TRAINERS)
    True
    >>> {"PG", "PPO", "A2C", "A3C"} <= set(ALGORITHMS)
    True
"""

from rlcore.registry import BUILTIN_TRAINERS as ALGORITHMS
from rlcore.registry import get_trainer_class, register_trainer

#: RLlib 1.x's older name of ``get_trainer_class``.
get_agent_class = get_trainer_class

__all__ = ["ALGORITHMS", "get_agent_class", "get_trainer_class", "register_trainer"]
