"""RLlib 1.x import path ``ray.rllib.utils.schedules.constant_schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.constant_schedule import ConstantSchedule
    >>> import rlcore.policy.schedules
    >>> ConstantSchedule is rlcore.policy.schedules.ConstantSchedule
    True
"""

from rlcore.policy.schedules import ConstantSchedule

__all__ = ["ConstantSchedule"]
