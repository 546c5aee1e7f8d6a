"""``ray.rllib.offline.mixed_input``: the same objects as :mod:`rlcore.offline.mixed_input`.

Examples:
    >>> import rlcore.offline.mixed_input
    >>> from rllib_compat.offline.mixed_input import MixedInput
    >>> MixedInput is rlcore.offline.mixed_input.MixedInput
    True
"""

from rlcore.offline.mixed_input import MixedInput

__all__ = ["MixedInput"]
