"""RLlib 1.x import path ``ray.rllib.policy.tf_policy``: the same objects as :mod:`rlcore.policy.tf_policy`.

Examples:
    >>> from rllib_compat.policy.tf_policy import TFPolicy
    >>> import rlcore.policy.tf_policy
    >>> TFPolicy is rlcore.policy.tf_policy.TFPolicy
    True
"""

from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule
from rlcore.policy.tf_policy import TFPolicy

__all__ = ["TFPolicy", "LearningRateSchedule", "EntropyCoeffSchedule"]
