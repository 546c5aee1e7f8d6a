"""APPO: asynchronous PPO on IMPALA's data flow; defaults, policies, execution plan, trainer.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`): the policies
(``AsyncPPOTorchPolicy``, ``AsyncPPOTFPolicy``) import their framework, the trainer Ray Tune.

Examples:
    >>> from rlcore.algorithms.appo import APPOTrainer, DEFAULT_CONFIG
    >>> APPOTrainer.__name__, DEFAULT_CONFIG["clip_param"]
    ('APPO', 0.4)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    **dict.fromkeys(["APPOTrainer", "UpdateTargetAndKL", "execution_plan", "get_policy_class", "initialize_target",
                     "validate_config"], "appo"),
    "AsyncPPOTorchPolicy": "appo_torch_policy",
    "AsyncPPOTFPolicy": "appo_tf_policy",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
