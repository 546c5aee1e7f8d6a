"""``ray.rllib.utils.filter_manager``: ``FilterManager``, the same object as in :mod:`rlcore.sampling.filters`.

Examples:
    >>> from rllib_compat.utils.filter_manager import FilterManager
    >>> FilterManager.synchronize({}, [])
"""

from rlcore.sampling.filters import FilterManager

__all__ = ["FilterManager"]
