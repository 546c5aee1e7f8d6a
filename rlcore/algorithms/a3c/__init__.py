"""A3C: asynchronous advantage actor-critic; defaults, torch and TF policies, async execution plan, trainer.

Examples:
    >>> from rlcore.algorithms.a3c import A3CTrainer, DEFAULT_CONFIG
    >>> A3CTrainer.__name__, DEFAULT_CONFIG["rollout_fragment_length"]
    ('A3C', 10)
"""

from rlcore.algorithms.a3c.a3c import DEFAULT_CONFIG, A3CTrainer, execution_plan, get_policy_class, validate_config
from rlcore.algorithms.a3c.a3c_tf_policy import A3CTFPolicy
from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy

__all__ = ["DEFAULT_CONFIG", "A3CTrainer", "A3CTFPolicy", "A3CTorchPolicy", "execution_plan", "get_policy_class",
           "validate_config"]
