"""``ray.rllib.offline.shuffled_input``: the same objects as :mod:`rlcore.offline.shuffled_input`.

Examples:
    >>> import rlcore.offline.shuffled_input
    >>> from rllib_compat.offline.shuffled_input import ShuffledInput
    >>> ShuffledInput is rlcore.offline.shuffled_input.ShuffledInput
    True
"""

from rlcore.offline.shuffled_input import ShuffledInput

__all__ = ["ShuffledInput"]
