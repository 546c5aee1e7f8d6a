"""RLlib 1.x import path ``ray.rllib.utils.spaces.repeated``: the ``Repeated`` space of :mod:`rlcore.models.repeated`.

A ``Repeated(child_space, max_len)`` observation reaches a custom model as
``RepeatedValues`` (``rllib_compat.models.repeated_values``) through
``RepeatedValuesPreprocessor`` (``rllib_compat.models.preprocessors``), as in RLlib 1.x.

Examples:
    >>> import gymnasium as gym
    >>> from rllib_compat.utils.spaces.repeated import Repeated
    >>> import rlcore.models.repeated
    >>> Repeated is rlcore.models.repeated.Repeated
    True
    >>> Repeated(gym.spaces.Discrete(3), max_len=5).contains([0, 2])
    True
"""

from rlcore.models.repeated import Repeated

__all__ = ["Repeated"]
