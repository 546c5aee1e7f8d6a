"""RLlib 1.x import path ``ray.rllib.models.modelv2``: the same objects as :mod:`rlcore.models.modelv2`.

Examples:
    >>> from rllib_compat.models.modelv2 import ModelV2
    >>> import rlcore.models.modelv2
    >>> ModelV2 is rlcore.models.modelv2.ModelV2
    True
"""

from rlcore.models.modelv2 import flat_obs_shape, ModelV2, restore_original_dimensions

__all__ = ["ModelV2", "flat_obs_shape", "restore_original_dimensions"]
