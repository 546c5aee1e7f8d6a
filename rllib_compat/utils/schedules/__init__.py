"""RLlib 1.x import path ``ray.rllib.utils.schedules``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules import LinearSchedule
    >>> import rlcore.policy.schedules
    >>> LinearSchedule is rlcore.policy.schedules.LinearSchedule
    True
"""

from rlcore.policy.schedules import (
    ConstantSchedule,
    ExponentialSchedule,
    LinearSchedule,
    PiecewiseSchedule,
    PolynomialSchedule,
    Schedule,
)

__all__ = ["Schedule", "ConstantSchedule", "LinearSchedule", "PiecewiseSchedule", "ExponentialSchedule", "PolynomialSchedule"]
