"""``ray.rllib.execution.concurrency_ops``: the same objects as :mod:`rlcore.ops.concurrency`.

Examples:
    >>> from rllib_compat.execution.concurrency_ops import Concurrently, Dequeue
    >>> import rlcore.ops
    >>> Concurrently is rlcore.ops.concurrently, Dequeue is rlcore.ops.dequeue
    (True, True)
"""

from rlcore.ops.concurrency import Enqueue
from rlcore.ops.concurrency import concurrently as Concurrently
from rlcore.ops.concurrency import dequeue as Dequeue

__all__ = ["Concurrently", "Enqueue", "Dequeue"]
