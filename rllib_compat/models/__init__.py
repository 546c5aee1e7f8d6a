"""RLlib 1.x import path ``ray.rllib.models``: ModelCatalog, ModelV2, MODEL_DEFAULTS and friends.

``FullyConnectedNetwork`` and ``VisionNetwork`` (the TF classes, as in RLlib 1.x) load lazily,
so importing this package imports no framework.

Examples:
    >>> from rllib_compat.models import ModelCatalog, MODEL_DEFAULTS
    >>> import rlcore.models
    >>> ModelCatalog is rlcore.models.ModelCatalog and MODEL_DEFAULTS is rlcore.models.MODEL_DEFAULTS
    True
"""

import importlib

from rlcore.models.action_dist import ActionDistribution
from rlcore.models.catalog import MODEL_DEFAULTS, ModelCatalog
from rlcore.models.modelv2 import ModelV2
from rlcore.models.preprocessors import Preprocessor

_LAZY = {"FullyConnectedNetwork": "rlcore.models.tf.fcnet", "VisionNetwork": "rlcore.models.tf.visionnet"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MODEL_DEFAULTS", "ActionDistribution", "FullyConnectedNetwork", "ModelCatalog", "ModelV2", "Preprocessor", "VisionNetwork"]
