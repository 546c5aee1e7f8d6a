"""``ray.rllib.agents.marwil``: the same objects as :mod:`rlcore.algorithms.marwil`.

Examples:
    >>> from rllib_compat.agents.marwil import MARWILTrainer, BCTrainer, DEFAULT_CONFIG, BC_DEFAULT_CONFIG
    >>> import rlcore.algorithms.marwil
    >>> MARWILTrainer is rlcore.algorithms.marwil.MARWILTrainer, DEFAULT_CONFIG["beta"], BC_DEFAULT_CONFIG["beta"]
    (True, 1.0, 0.0)
"""

from rlcore.algorithms.marwil import (BC_DEFAULT_CONFIG, DEFAULT_CONFIG, BCTrainer, MARWILTFPolicy, MARWILTorchPolicy,
                                      MARWILTrainer)

__all__ = ["DEFAULT_CONFIG", "BC_DEFAULT_CONFIG", "MARWILTrainer", "BCTrainer", "MARWILTFPolicy", "MARWILTorchPolicy"]
