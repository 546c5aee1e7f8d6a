"""RLlib 1.x import path ``ray.rllib.models.catalog``: the same objects as :mod:`rlcore.models.catalog`.

Examples:
    >>> from rllib_compat.models.catalog import ModelCatalog
    >>> import rlcore.models.catalog
    >>> ModelCatalog is rlcore.models.catalog.ModelCatalog
    True
"""

from rlcore.models.catalog import MODEL_DEFAULTS, ModelCatalog, UnsupportedSpaceException

__all__ = ["MODEL_DEFAULTS", "ModelCatalog", "UnsupportedSpaceException"]
