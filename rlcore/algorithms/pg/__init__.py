"""Vanilla policy gradient (PG): REINFORCE on discounted returns; defaults, torch and TF policies, trainer.

Examples:
    >>> from rlcore.algorithms.pg import PGTrainer, DEFAULT_CONFIG
    >>> PGTrainer.__name__, DEFAULT_CONFIG["num_workers"]
    ('PG', 0)
"""

from rlcore.algorithms.pg.pg import DEFAULT_CONFIG, PGTrainer, get_policy_class
from rlcore.algorithms.pg.pg_tf_policy import PGTFPolicy
from rlcore.algorithms.pg.pg_torch_policy import PGTorchPolicy
from rlcore.algorithms.pg.utils import post_process_advantages

__all__ = ["DEFAULT_CONFIG", "PGTrainer", "PGTFPolicy", "PGTorchPolicy", "get_policy_class", "post_process_advantages"]
