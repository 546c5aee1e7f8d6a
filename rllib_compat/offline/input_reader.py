"""``ray.rllib.offline.input_reader``: the same objects as :mod:`rlcore.offline.input_reader`.

Examples:
    >>> import rlcore.offline.input_reader
    >>> from rllib_compat.offline.input_reader import InputReader
    >>> InputReader is rlcore.offline.input_reader.InputReader
    True
"""

from rlcore.offline.input_reader import InputReader

__all__ = ["InputReader"]
