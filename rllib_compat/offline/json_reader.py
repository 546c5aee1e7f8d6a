"""``ray.rllib.offline.json_reader``: the same objects as :mod:`rlcore.offline.json_reader`.

Examples:
    >>> import rlcore.offline.json_reader
    >>> from rllib_compat.offline.json_reader import JsonReader
    >>> JsonReader is rlcore.offline.json_reader.JsonReader
    True
"""

from rlcore.offline.json_reader import JsonReader

__all__ = ["JsonReader"]
