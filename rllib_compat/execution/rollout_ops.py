"""``ray.rllib.execution.rollout_ops``: the same objects as :mod:`rlcore.ops.rollout`.

Examples:
    >>> from rllib_compat.execution.rollout_ops import ParallelRollouts
    >>> import rlcore.ops
    >>> ParallelRollouts is rlcore.ops.parallel_rollouts
    True
"""

from rlcore.ops.rollout import ConcatBatches, SelectExperiences, StandardizeFields
from rlcore.ops.rollout import async_gradients as AsyncGradients
from rlcore.ops.rollout import parallel_rollouts as ParallelRollouts

__all__ = ["ParallelRollouts", "AsyncGradients", "ConcatBatches", "SelectExperiences", "StandardizeFields"]
