"""A3C: asynchronous advantage actor-critic; defaults, torch and TF policies, async execution plan, trainer.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.a3c import A3CTrainer, DEFAULT_CONFIG
    >>> A3CTrainer.__name__, DEFAULT_CONFIG["rollout_fragment_length"]
    ('A3C', 10)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "A3CTFPolicy": "a3c_tf_policy",
    "A3CTorchPolicy": "a3c_torch_policy",
    **dict.fromkeys(["A3CTrainer", "execution_plan", "get_policy_class", "validate_config"], "a3c"),
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
