"""``ray.rllib.offline.dataset_reader``: the same objects as :mod:`rlcore.offline.dataset_reader`.

Examples:
    >>> import rlcore.offline.dataset_reader
    >>> from rllib_compat.offline.dataset_reader import DatasetReader
    >>> DatasetReader is rlcore.offline.dataset_reader.DatasetReader
    True
"""

from rlcore.offline.dataset_reader import DatasetReader

__all__ = ["DatasetReader"]
