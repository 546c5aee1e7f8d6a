"""MARWIL and BC: learning policies from offline data (RLlib 1.x ``agents/marwil``).

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.marwil import MARWILTrainer, BCTrainer, DEFAULT_CONFIG, BC_DEFAULT_CONFIG
    >>> MARWILTrainer.__name__, BCTrainer.__name__, DEFAULT_CONFIG["beta"], BC_DEFAULT_CONFIG["beta"]
    ('MARWIL', 'BC', 1.0, 0.0)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "BC_DEFAULT_CONFIG": "bc",
    "MARWILTrainer": "marwil",
    "BCTrainer": "bc",
    "MARWILTFPolicy": "marwil_tf_policy",
    "MARWILTorchPolicy": "marwil_torch_policy",
    "execution_plan": "marwil",
    "get_policy_class": "marwil",
    "validate_config": "marwil",
    "postprocess_advantages": "postprocessing",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
