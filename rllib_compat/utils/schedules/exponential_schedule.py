"""RLlib 1.x import path ``ray.rllib.utils.schedules.exponential_schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.exponential_schedule import ExponentialSchedule
    >>> import rlcore.policy.schedules
    >>> ExponentialSchedule is rlcore.policy.schedules.ExponentialSchedule
    True
"""

from rlcore.policy.schedules import ExponentialSchedule

__all__ = ["ExponentialSchedule"]
