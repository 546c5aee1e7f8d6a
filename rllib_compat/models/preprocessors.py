"""RLlib 1.x import path ``ray.rllib.models.preprocessors``: the same objects as :mod:`rlcore.models.preprocessors`.

Examples:
    >>> from rllib_compat.models.preprocessors import OneHotPreprocessor
    >>> import rlcore.models.preprocessors
    >>> OneHotPreprocessor is rlcore.models.preprocessors.OneHotPreprocessor
    True
"""

from rlcore.models.preprocessors import (
    ATARI_OBS_SHAPE,
    ATARI_RAM_OBS_SHAPE,
    AtariRamPreprocessor,
    DictFlatteningPreprocessor,
    GenericPixelPreprocessor,
    get_preprocessor,
    NoPreprocessor,
    OneHotPreprocessor,
    Preprocessor,
    TupleFlatteningPreprocessor,
)
from rlcore.models.repeated import RepeatedValuesPreprocessor

__all__ = [
    "ATARI_OBS_SHAPE",
    "ATARI_RAM_OBS_SHAPE",
    "AtariRamPreprocessor",
    "DictFlatteningPreprocessor",
    "GenericPixelPreprocessor",
    "NoPreprocessor",
    "OneHotPreprocessor",
    "Preprocessor",
    "RepeatedValuesPreprocessor",
    "TupleFlatteningPreprocessor",
    "get_preprocessor",
]
