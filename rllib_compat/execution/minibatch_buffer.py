"""``ray.rllib.execution.minibatch_buffer``: the same object as :mod:`rlcore.ops.minibatch_buffer`.

Examples:
    >>> from rllib_compat.execution.minibatch_buffer import MinibatchBuffer
    >>> import rlcore.ops
    >>> MinibatchBuffer is rlcore.ops.MinibatchBuffer
    True
"""

from rlcore.ops.minibatch_buffer import MinibatchBuffer

__all__ = ["MinibatchBuffer"]
