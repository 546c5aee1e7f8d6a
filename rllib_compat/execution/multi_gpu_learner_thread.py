"""``ray.rllib.execution.multi_gpu_learner_thread``: :class:`rlcore.ops.MultiGPULearnerThread` (CPU, one tower).

Examples:
    >>> from rllib_compat.execution.multi_gpu_learner_thread import MultiGPULearnerThread
    >>> import rlcore.ops
    >>> MultiGPULearnerThread is rlcore.ops.MultiGPULearnerThread
    True
"""

from rlcore.ops.multi_gpu_learner_thread import MultiGPULearnerThread

__all__ = ["MultiGPULearnerThread"]
