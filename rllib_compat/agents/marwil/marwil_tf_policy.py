"""``ray.rllib.agents.marwil.marwil_tf_policy``: :mod:`rlcore.algorithms.marwil.marwil_tf_policy`.

Examples:
    >>> from rllib_compat.agents.marwil.marwil_tf_policy import MARWILTFPolicy
    >>> MARWILTFPolicy.__name__
    'MARWILTFPolicy'
"""

from rlcore.algorithms.marwil.marwil_tf_policy import MARWILTFPolicy, marwil_loss, setup_mixins, stats
from rlcore.algorithms.marwil.postprocessing import postprocess_advantages

__all__ = ["MARWILTFPolicy", "marwil_loss", "stats", "setup_mixins", "postprocess_advantages"]
