"""RLlib 1.x import path ``ray.rllib.utils``, re-exporting rlcore objects.

``from ray.rllib.utils import try_import_tf, try_import_torch`` worked in RLlib 1.x, so it works
here too (both import their framework lazily, only when called).
"""

from rlcore.framework import try_import_tf, try_import_torch

__all__ = ["try_import_tf", "try_import_torch"]
