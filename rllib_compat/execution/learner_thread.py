"""``ray.rllib.execution.learner_thread``: the same objects as :mod:`rlcore.ops.learner_thread`.

Examples:
    >>> from rllib_compat.execution.learner_thread import LearnerThread
    >>> import rlcore.ops
    >>> LearnerThread is rlcore.ops.LearnerThread
    True
"""

from rlcore.ops.learner_thread import LearnerThread, LearnerThreadError, WindowStat

__all__ = ["LearnerThread", "LearnerThreadError", "WindowStat"]
