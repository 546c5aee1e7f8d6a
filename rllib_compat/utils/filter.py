"""``ray.rllib.utils.filter``: observation filters, the same objects as :mod:`rlcore.sampling.filters`.

Examples:
    >>> from rllib_compat.utils.filter import get_filter
    >>> get_filter("NoFilter", (2,))
    NoFilter()
"""

from rlcore.sampling.filters import (
    ConcurrentMeanStdFilter,
    Filter,
    MeanStdFilter,
    NoFilter,
    RunningStat,
    get_filter,
)

__all__ = ["Filter", "NoFilter", "MeanStdFilter", "ConcurrentMeanStdFilter", "RunningStat", "get_filter"]
