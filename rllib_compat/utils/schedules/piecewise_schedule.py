"""RLlib 1.x import path ``ray.rllib.utils.schedules.piecewise_schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.piecewise_schedule import PiecewiseSchedule
    >>> import rlcore.policy.schedules
    >>> PiecewiseSchedule is rlcore.policy.schedules.PiecewiseSchedule
    True
"""

from rlcore.policy.schedules import PiecewiseSchedule

__all__ = ["PiecewiseSchedule"]
