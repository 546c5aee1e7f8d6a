"""``ray.rllib.agents.callbacks``: user callbacks, the same objects as :mod:`rlcore.sampling.callbacks`.

Examples:
    >>> from rllib_compat.agents.callbacks import DefaultCallbacks
    >>> from rlcore.sampling.callbacks import DefaultCallbacks as Core
    >>> DefaultCallbacks is Core
    True
"""

from rlcore.sampling.callbacks import DefaultCallbacks, MultiCallbacks

__all__ = ["DefaultCallbacks", "MultiCallbacks"]
