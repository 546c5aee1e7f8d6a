"""Vanilla policy gradient (PG): REINFORCE on discounted returns; defaults, torch and TF policies, trainer.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.pg import PGTrainer, DEFAULT_CONFIG
    >>> PGTrainer.__name__, DEFAULT_CONFIG["num_workers"]
    ('PG', 0)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "PGTrainer": "pg",
    "get_policy_class": "pg",
    "PGTFPolicy": "pg_tf_policy",
    "PGTorchPolicy": "pg_torch_policy",
    "post_process_advantages": "utils",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
