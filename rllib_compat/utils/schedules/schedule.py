"""RLlib 1.x import path ``ray.rllib.utils.schedules.schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.schedule import Schedule
    >>> import rlcore.policy.schedules
    >>> Schedule is rlcore.policy.schedules.Schedule
    True
"""

from rlcore.policy.schedules import Schedule

__all__ = ["Schedule"]
