"""IMPALA: importance-weighted actor-learner architecture; defaults, V-trace policies, async plan, trainer.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`): the policies
(``VTraceTorchPolicy``, ``VTraceTFPolicy``) import their framework, the trainer Ray Tune.

Examples:
    >>> from rlcore.algorithms.impala import ImpalaTrainer, DEFAULT_CONFIG
    >>> ImpalaTrainer.__name__, DEFAULT_CONFIG["broadcast_interval"]
    ('IMPALA', 1)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    **dict.fromkeys(["ImpalaTrainer", "BroadcastUpdateLearnerWeights", "execution_plan", "get_policy_class",
                     "make_learner_thread", "validate_config"], "impala"),
    "VTraceTorchPolicy": "vtrace_torch_policy",
    "VTraceTFPolicy": "vtrace_tf_policy",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
