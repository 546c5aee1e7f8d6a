"""RLlib 1.x import path ``ray.rllib.policy.torch_policy``: the same objects as :mod:`rlcore.policy.torch_policy`.

Examples:
    >>> from rllib_compat.policy.torch_policy import TorchPolicy
    >>> import rlcore.policy.torch_policy
    >>> TorchPolicy is rlcore.policy.torch_policy.TorchPolicy
    True
"""

from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule
from rlcore.policy.torch_policy import TorchPolicy

__all__ = ["TorchPolicy", "LearningRateSchedule", "EntropyCoeffSchedule"]
