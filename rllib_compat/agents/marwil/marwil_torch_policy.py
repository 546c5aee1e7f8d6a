"""``ray.rllib.agents.marwil.marwil_torch_policy``: :mod:`rlcore.algorithms.marwil.marwil_torch_policy`.

Examples:
    >>> from rllib_compat.agents.marwil.marwil_torch_policy import MARWILTorchPolicy
    >>> MARWILTorchPolicy.__name__
    'MARWILTorchPolicy'
"""

from rlcore.algorithms.marwil.marwil_torch_policy import MARWILTorchPolicy, marwil_loss, setup_mixins, stats
from rlcore.algorithms.marwil.postprocessing import postprocess_advantages

__all__ = ["MARWILTorchPolicy", "marwil_loss", "stats", "setup_mixins", "postprocess_advantages"]
