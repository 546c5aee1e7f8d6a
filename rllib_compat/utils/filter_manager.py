"""``ray.rllib.utils.filter_manager``: ``FilterManager``, the same object as in :mod:`rlcore.sampling.filter_manager`.

Examples:
    >>> from rllib_compat.utils.filter_manager import FilterManager
    >>> FilterManager.synchronize({}, [])
"""

from rlcore.sampling.filter_manager import FilterManager

__all__ = ["FilterManager"]
