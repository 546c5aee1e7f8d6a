"""RLlib 1.x import path ``ray.rllib.utils.schedules.polynomial_schedule``: the same objects as :mod:`rlcore.policy.schedules`.

Examples:
    >>> from rllib_compat.utils.schedules.polynomial_schedule import PolynomialSchedule
    >>> import rlcore.policy.schedules
    >>> PolynomialSchedule is rlcore.policy.schedules.PolynomialSchedule
    True
"""

from rlcore.policy.schedules import PolynomialSchedule

__all__ = ["PolynomialSchedule"]
