"""RLlib 1.x import path ``ray.rllib.utils.schedules.linear_schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.linear_schedule import LinearSchedule
    >>> import rlcore.policy.schedules
    >>> LinearSchedule is rlcore.policy.schedules.LinearSchedule
    True
"""

from rlcore.policy.schedules import LinearSchedule

__all__ = ["LinearSchedule"]
