"""MARWIL and BC: learning policies from offline data (RLlib 1.x ``agents/marwil``).

Examples:
    >>> from rlcore.algorithms.marwil import MARWILTrainer, BCTrainer, DEFAULT_CONFIG, BC_DEFAULT_CONFIG
    >>> MARWILTrainer.__name__, BCTrainer.__name__, DEFAULT_CONFIG["beta"], BC_DEFAULT_CONFIG["beta"]
    ('MARWIL', 'BC', 1.0, 0.0)
"""

from rlcore.algorithms.marwil.bc import BC_DEFAULT_CONFIG, BCTrainer
from rlcore.algorithms.marwil.marwil import DEFAULT_CONFIG, MARWILTrainer, execution_plan, get_policy_class, validate_config
from rlcore.algorithms.marwil.marwil_tf_policy import MARWILTFPolicy
from rlcore.algorithms.marwil.marwil_torch_policy import MARWILTorchPolicy
from rlcore.algorithms.marwil.postprocessing import postprocess_advantages

__all__ = ["DEFAULT_CONFIG", "BC_DEFAULT_CONFIG", "MARWILTrainer", "BCTrainer", "MARWILTFPolicy", "MARWILTorchPolicy",
           "execution_plan", "get_policy_class", "validate_config", "postprocess_advantages"]
