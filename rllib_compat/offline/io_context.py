"""``ray.rllib.offline.io_context``: the same objects as :mod:`rlcore.offline.io_context`.

Examples:
    >>> import rlcore.offline.io_context
    >>> from rllib_compat.offline.io_context import IOContext
    >>> IOContext is rlcore.offline.io_context.IOContext
    True
"""

from rlcore.offline.io_context import IOContext

__all__ = ["IOContext"]
