"""``ray.rllib.offline.output_writer``: the same objects as :mod:`rlcore.offline.output_writer`.

Examples:
    >>> import rlcore.offline.output_writer
    >>> from rllib_compat.offline.output_writer import OutputWriter
    >>> OutputWriter is rlcore.offline.output_writer.OutputWriter
    True
"""

from rlcore.offline.output_writer import NoopOutput, OutputWriter

__all__ = ["OutputWriter", "NoopOutput"]
