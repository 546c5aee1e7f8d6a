"""``ray.rllib.offline.json_writer``: the same objects as :mod:`rlcore.offline.json_writer`.

Examples:
    >>> import rlcore.offline.json_writer
    >>> from rllib_compat.offline.json_writer import JsonWriter
    >>> JsonWriter is rlcore.offline.json_writer.JsonWriter
    True
"""

from rlcore.offline.json_writer import JsonWriter

__all__ = ["JsonWriter"]
