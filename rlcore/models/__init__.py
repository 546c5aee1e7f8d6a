"""Models, action distributions, preprocessors and the catalog that picks them.

Framework code lives in ``rlcore.models.torch`` and ``rlcore.models.tf``; importing this package
imports neither framework.

Examples:
    >>> from rlcore.models import ModelCatalog, MODEL_DEFAULTS
    >>> MODEL_DEFAULTS["max_seq_len"]
    20
"""

from rlcore.models.action_dist import ActionDistribution
from rlcore.models.catalog import MODEL_DEFAULTS, ModelCatalog, UnsupportedSpaceException
from rlcore.models.modelv2 import ModelV2
from rlcore.models.preprocessors import Preprocessor, get_preprocessor

__all__ = [
    "MODEL_DEFAULTS",
    "ActionDistribution",
    "ModelCatalog",
    "ModelV2",
    "Preprocessor",
    "UnsupportedSpaceException",
    "get_preprocessor",
]
