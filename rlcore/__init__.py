"""rlcore: a reinforcement-learning runtime with a compiled sampling core.

Importing ``rlcore`` is light: it imports neither torch nor tensorflow and does not start Ray.
Read :mod:`rlcore.core` first: it states the contracts every layer is written against.

Examples:
    >>> import rlcore
    >>> rlcore.native_available() in (True, False)
    True
"""

from rlcore._backend import native_available

__version__ = "0.1.0"

__all__ = ["native_available", "__version__"]
