"""RLlib 1.x import path ``ray.rllib.utils.framework``: the same objects as :mod:`rlcore.framework`.

Examples:
    >>> from rllib_compat.utils.framework import try_import_tf
    >>> import rlcore.framework
    >>> try_import_tf is rlcore.framework.try_import_tf
    True
"""

from rlcore.framework import get_activation_fn, try_import_tf, try_import_torch

__all__ = ["get_activation_fn", "try_import_tf", "try_import_torch"]
